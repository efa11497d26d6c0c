/**
 * Pickers for every path: each path field has "Choose…", which asks the host for a native dialog
 * (dialog:open / dialog:save). Here the loopback transport answers from the test's queue, as
 * Electron main answers with dialog.showOpenDialog. Cancelling the dialog leaves the field as it was.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserUnavailable, openHarness, type Harness, setUpFirstAdmin } from './harness.js';

const skipReason = browserUnavailable();
if (skipReason) console.log(`SKIP picker tests: ${skipReason}`);
const PASSWORD = 'correct horse battery staple';

describe.skipIf(skipReason !== null)('native pickers for paths', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness({ width: 1280, height: 800 });
    await setUpFirstAdmin(h, PASSWORD);
  });
  afterAll(async () => {
    await h?.close();
  });

  const cases = [
    {
      screen: 'media',
      field: 'media-path',
      channel: 'dialog:open',
      kind: 'folder',
      answer: '/media/stick-1',
    },
    {
      screen: 'run',
      field: 'job-inputs',
      channel: 'dialog:open',
      kind: 'folder',
      answer: '/media/stick-1/inputs',
    },
    {
      screen: 'run',
      field: 'job-out',
      channel: 'dialog:save',
      kind: undefined,
      answer: '/media/stick-1/results.csv',
    },
    {
      screen: 'audit',
      field: 'audit-export-path',
      channel: 'dialog:save',
      kind: undefined,
      answer: '/media/stick-1/audit',
    },
  ] as const;

  for (const c of cases)
    it(`${c.screen}: ${c.field} is filled from ${c.channel}; a cancelled dialog leaves it as it was`, async () => {
      const { page, server } = h;
      await page.getByTestId(`nav-${c.screen}`).click();
      await page.getByTestId(`screen-${c.screen}`).waitFor();
      const before = server.dialogs.asked.length;
      server.dialogs.answer(c.answer);
      await page.getByTestId(`${c.field}-choose`).click();
      await expect.poll(() => page.getByTestId(c.field).inputValue()).toBe(c.answer);
      const asked = server.dialogs.asked[before]!;
      expect(asked.channel).toBe(c.channel);
      if (c.kind) expect(asked.request).toMatchObject({ kind: c.kind });
      server.dialogs.answer(null);
      await page.getByTestId(`${c.field}-choose`).click();
      await expect.poll(() => server.dialogs.asked.length).toBe(before + 2);
      expect(await page.getByTestId(c.field).inputValue()).toBe(c.answer);
    });

  it('settings: the policy file is chosen with a file dialog filtered to signed documents', async () => {
    const { page, server } = h;
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('settings-nav-policy').click();
    const before = server.dialogs.asked.length;
    server.dialogs.answer('/media/stick-1/policy-v1.json');
    await page.getByTestId('policy-path-choose').click();
    await expect
      .poll(() => page.getByTestId('policy-path').inputValue())
      .toBe('/media/stick-1/policy-v1.json');
    expect(server.dialogs.asked[before]).toMatchObject({
      channel: 'dialog:open',
      request: { kind: 'file', filters: [{ name: 'Signed document', extensions: ['json'] }] },
    });
  });
});
