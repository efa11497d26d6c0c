/**
 * Issue 11 end to end: the Media screen's summary, Import all trusted, cancelled checks and
 * imports, the Models library (search, sort, free space) and Re-probe, in Chromium against the
 * real engine. Screenshots go to /tmp/shots-media/ (not docs/screenshots) for a human to look at.
 */
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, type CallContext } from '../../runtime/index.js';
import { prepareDemoStick, type DemoStick } from '../../runtime/demo/demo.js';
import { browserUnavailable, openHarness, type Harness, setUpFirstAdmin } from './harness.js';
import type { Page } from 'playwright-core';
import { etaText, secondsLeft, summaryText } from '../../renderer/src/screens/media/words.js';

const skipReason = browserUnavailable();
const ADMIN_PASSWORD = 'correct horse battery staple';
const SHOTS = '/tmp/shots-media';
if (skipReason) console.log(`SKIP media/models end-to-end tests: ${skipReason}`);

async function shot(page: Page, name: string): Promise<void> {
  await mkdir(SHOTS, { recursive: true });
  // The app keeps its own theme (the sidebar's toggle), so the dark shot goes through it.
  await page.screenshot({ path: join(SHOTS, `${name}-light.png`), animations: 'disabled' });
  await page.getByRole('button', { name: /Dark theme/ }).click();
  await page.screenshot({ path: join(SHOTS, `${name}-dark.png`), animations: 'disabled' });
  await page.getByRole('button', { name: /Light theme/ }).click();
}

describe('Media words (no browser)', () => {
  it('the summary counts with plurals', () => {
    const v = (verdict: 'installable' | 'already-installed' | 'refused') => ({ verdict });
    expect(
      summaryText([v('installable'), v('installable'), v('installable'), ...Array(5).fill(v('refused'))]),
    ).toBe('8 bundles: 3 installable, 5 refused');
    expect(summaryText([v('refused')])).toBe('1 bundle: 1 refused');
    expect(summaryText([])).toBe('0 bundles');
  });

  it('the time left comes from the progress rate, done and total', () => {
    const e = { operationId: 'x', phase: 'verifying', unit: 'bytes' as const };
    expect(secondsLeft({ ...e, done: 10, total: 110, rate: 10 })).toBe(10);
    expect(secondsLeft({ ...e, done: 10, total: null, rate: 10 })).toBeNull();
    expect(secondsLeft({ ...e, done: 10, total: 100, rate: null })).toBeNull();
    expect(etaText(1)).toBe('about 1 second left');
    expect(etaText(45)).toBe('about 45 seconds left');
    expect(etaText(600)).toBe('about 10 minutes left');
    expect(etaText(0.2)).toBe('less than a second left');
    expect(etaText(null)).toBe('');
  });
});

describe.skipIf(skipReason !== null)('Media and Models screens (issue 11)', () => {
  let h: Harness;
  let stick: DemoStick;
  let ctx: CallContext;
  let release: (() => void) | null = null;

  /**
   * The fixture bundles verify in milliseconds, too fast to press Cancel by hand: hold the
   * engine's next long operation at its start until it is cancelled (the real cancel path then
   * runs: the work sees an aborted signal).
   */
  const holdNextOperation = () => {
    const ops = h.server.airlock.operations;
    const original = ops.run.bind(ops);
    ops.run = ((ids, outer, work) =>
      original(ids, outer, async (signal) => {
        await new Promise<void>((resolve) => {
          if (signal.aborted) resolve();
          signal.addEventListener('abort', () => resolve(), { once: true });
          release = resolve;
        });
        return work(signal);
      })) as typeof ops.run;
    return () => {
      delete (ops as { run?: unknown }).run;
      release?.();
    };
  };

  const installed = async () =>
    (await call(h.server.handlers, 'models:list', { includeDisabled: true }, ctx))
      .map((m) => `${m.name}@${m.version}`)
      .sort();

  beforeAll(async () => {
    h = await openHarness({ width: 1280, height: 800 });
    stick = await prepareDemoStick(join(h.tmp, 'demo'));
    // One refused bundle beside the trusted ones: a tampered copy.
    const copy = join(stick.stick, 'airlock', 'tampered-9.9.9.airlock');
    await copyFile(stick.bundles[0]!, copy);
    const data = await readFile(copy);
    const at = Math.floor(data.length / 2);
    data[at] = data[at]! ^ 0xff;
    await writeFile(copy, data);
    ctx = { actor: { name: 'e2e-check', source: 'test', role: 'admin' } };
  }, 240_000);

  afterAll(async () => {
    await h?.close();
  });

  it('signs in as the first admin; system:info says how much space the data directory has left', async () => {
    await setUpFirstAdmin(h, ADMIN_PASSWORD);
    const { server } = h;
    await call(
      server.handlers,
      'trust:add',
      { name: 'demo-publisher', publicKeyPem: await readFile(stick.publicKey, 'utf8'), role: 'publisher' },
      ctx,
    );
    const info = await call(h.server.handlers, 'system:info', {}, ctx);
    expect(info.dataDirFreeBytes).toBeGreaterThan(0);
  });

  it('a cancelled check shows Cancelled (neutral, no error) and lists nothing', async () => {
    const { page } = h;
    await page.getByTestId('nav-media').click();
    await page.getByTestId('media-path').fill(stick.stick);
    const restore = holdNextOperation();
    try {
      await page.getByTestId('media-scan').click();
      await page.getByTestId('scan-cancel').click();
      await expect.poll(() => page.getByTestId('cancelled').textContent()).toContain('Cancelled');
      expect(await page.getByTestId('error').count()).toBe(0);
      expect(await page.getByTestId('bundle-row').count()).toBe(0);
    } finally {
      restore();
    }
  });

  it('the summary counts match the bundles on the stick', async () => {
    const { page, server } = h;
    await page.getByTestId('media-scan').click();
    await expect.poll(() => page.getByTestId('bundle-row').count()).toBe(stick.bundles.length + 1);
    const [report] = await call(server.handlers, 'media:scan', { mountpoint: stick.stick }, ctx);
    const trusted = report!.bundles.filter((b) => b.verdict === 'installable').length;
    const refused = report!.bundles.filter((b) => b.verdict === 'refused').length;
    expect(trusted).toBe(stick.bundles.length);
    expect(refused).toBe(1);
    expect(await page.getByTestId('media-summary').textContent()).toBe(
      `${trusted + refused} bundles: ${trusted} installable, ${refused} refused`,
    );
    // The refusal is in words; the engine's text and code are behind Details.
    const reason = page.getByTestId('verdict-reason').first();
    expect(await reason.textContent()).toContain('changed after it was signed');
    expect(await reason.locator('.problem-raw').isVisible()).toBe(false);
    await reason.locator('summary').click();
    expect(await reason.locator('.problem-raw').isVisible()).toBe(true);
    await shot(page, 'media-scanned');
  });

  it('a cancelled import shows Cancelled and installs nothing', async () => {
    const { page } = h;
    const restore = holdNextOperation();
    try {
      await page.getByTestId('bundle-row').first().getByTestId('import').click();
      await expect.poll(() => page.getByTestId('import-progress').textContent()).toContain('Importing');
      await page.getByTestId('import-cancel').click();
      await expect.poll(() => page.getByTestId('cancelled').count()).toBeGreaterThan(0);
      expect(await page.getByTestId('cancelled').first().textContent()).toMatch(/Cancelled: ppocr/);
      expect(await page.locator('.note.error').count()).toBe(0);
      await shot(page, 'media-import-cancelled');
    } finally {
      restore();
    }
    expect(await installed()).toEqual([]);
  });

  it('Import all trusted asks first, naming the bundles; Cancel there installs nothing', async () => {
    const { page } = h;
    await page.getByTestId('import-all').click();
    const dialog = page.getByTestId('import-all-confirm');
    const text = await dialog.textContent();
    for (const name of ['ppocr-rec', 'ppocr-cls']) expect(text).toContain(name);
    expect(text).not.toContain('tampered');
    expect(text).toContain(`Import ${stick.bundles.length} bundles?`);
    await shot(page, 'media-confirm');
    await page.getByTestId('import-all-no').click();
    expect(await dialog.count()).toBe(0);
    expect(await installed()).toEqual([]);
  });

  it('Import all trusted installs exactly the trusted ones and the rows say installed', async () => {
    const { page, server } = h;
    const [report] = await call(server.handlers, 'media:scan', { mountpoint: stick.stick }, ctx);
    const expected = report!.bundles
      .filter((b) => b.verdict === 'installable')
      .map((b) => `${b.name}@${b.version}`)
      .sort();
    await page.getByTestId('import-all').click();
    await page.getByTestId('import-all-yes').click();
    await expect.poll(installed, { timeout: 120_000 }).toEqual(expected);
    await expect
      .poll(() => page.getByTestId('media-summary').textContent(), { timeout: 30_000 })
      .toBe(`${expected.length + 1} bundles: ${expected.length} already installed, 1 refused`);
    const rows = page.getByTestId('bundle-row');
    for (let i = 0; i < (await rows.count()); i++) {
      const row = await rows.nth(i).textContent();
      expect(row).toMatch(row!.includes('tampered') ? /refused/ : /installed/);
    }
    await shot(page, 'media-imported');
  });

  it('Models: the library searches and sorts, and shows the space left', async () => {
    const { page, server } = h;
    await page.getByTestId('nav-models').click();
    const items = page.getByTestId('model-item');
    await expect.poll(() => items.count()).toBe(stick.bundles.length);
    expect(await page.getByTestId('models-disk').textContent()).toMatch(/free on this disk/);
    const names = async () => (await items.locator('strong').allTextContents()).map((s) => s.trim());
    const models = await call(server.handlers, 'models:list', { includeDisabled: true }, ctx);
    const size = (m: (typeof models)[number]) => m.files.reduce((n, f) => n + f.size, 0);
    expect(await names()).toEqual(models.map((m) => m.name).sort((a, b) => a.localeCompare(b)));
    await page.getByTestId('models-sort').selectOption('size');
    expect(await names()).toEqual(
      [...models].sort((a, b) => size(b) - size(a) || a.name.localeCompare(b.name)).map((m) => m.name),
    );
    expect(await items.first().textContent()).toContain('signed by demo-publisher');
    expect(await items.first().textContent()).toContain('last used never');
    await shot(page, 'models-library');
    await page.getByTestId('models-search').fill('cls');
    expect(await names()).toEqual(['ppocr-cls']);
    await page.getByTestId('models-search').fill('no such model');
    expect(await items.count()).toBe(0);
    await page.getByTestId('models-search').fill('');
  });

  it('Re-probe runs hardware:probe, disabled while it runs, and shows the providers', async () => {
    const { page, server } = h;
    const button = page.getByTestId('hardware-reprobe');
    const restore = holdNextOperation();
    try {
      await button.click();
      await expect.poll(() => button.isDisabled()).toBe(true);
      expect(await button.textContent()).toBe('Probing…');
    } finally {
      restore();
    }
    await expect.poll(() => button.isEnabled(), { timeout: 120_000 }).toBe(true);
    await expect.poll(() => button.textContent()).toBe('Re-probe');
    expect(await page.getByTestId('hardware-providers').textContent()).toContain('cpu');
    expect(await call(server.handlers, 'hardware:get', {}, ctx)).not.toBeNull();
    await page.getByTestId('hardware-panel').scrollIntoViewIfNeeded();
    // A provider that does not work says why in words; the full text is behind its summary.
    const profile = await call(server.handlers, 'hardware:get', {}, ctx);
    const failing = profile!.providers.find((p) => p.reason !== null);
    if (failing) {
      const reason = page.getByTestId('provider-reason').first();
      expect((await reason.locator('summary').textContent())!.length).toBeLessThan(80);
      expect(await reason.locator('.problem-raw').isVisible()).toBe(false);
      await reason.locator('summary').click();
      expect(await reason.locator('.problem-raw').textContent()).toBe(failing.reason);
    }
    await page.screenshot({ path: join(SHOTS, 'models-hardware-light.png'), animations: 'disabled' });
  });
});
