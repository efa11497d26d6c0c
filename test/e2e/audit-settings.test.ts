/**
 * Issue 11 end to end: the Audit screen (filters answered by the engine, date range, jump to a
 * record, inclusion proof, keyboard rows) and Settings (fingerprint-confirmed trust, key removal
 * that disables the models it alone signed, account dialogs, own password change), in Chromium
 * against the real engine. Screenshots at 1280x800, light and dark, go to /tmp/shots-screens/.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, type CallContext } from '../../runtime/index.js';
import { publisher, signedBundle, type Publisher } from '../core/helpers.js';
import { browserUnavailable, openHarness, type Harness, setUpFirstAdmin } from './harness.js';

const skipReason = browserUnavailable();
if (skipReason) console.log(`SKIP audit/settings end-to-end tests: ${skipReason}`);
const SHOTS = '/tmp/shots-screens';
const ADMIN_PASSWORD = 'correct horse battery staple';
const NEW_PASSWORD = 'a different long passphrase';

async function shot(page: Page, name: string): Promise<void> {
  await mkdir(SHOTS, { recursive: true });
  for (const theme of ['light', 'dark'] as const) {
    await page.evaluate(`(() => { document.documentElement.dataset.theme = '${theme}'; })()`);
    await page.screenshot({ path: join(SHOTS, `${name}-${theme}.png`), animations: 'disabled' });
  }
  await page.evaluate(`(() => { document.documentElement.dataset.theme = 'light'; })()`);
}

const seqsShown = (page: Page) =>
  page
    .locator('[data-testid="audit-scroller"] [role="row"][data-seq]')
    .evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-seq'))));

describe.skipIf(skipReason !== null)('Audit and Settings screens against the real engine', () => {
  let h: Harness;
  let ctx: CallContext;
  let pub: Publisher;
  const today = new Date().toISOString().slice(0, 10);
  const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  const list = (q: Record<string, unknown>) =>
    call(h.server.handlers, 'audit:list', { limit: 10_000, ...q } as never, ctx);
  const auditCount = async () => (await list({ limit: 1 }))[0]?.seq ?? 0;

  beforeAll(async () => {
    h = await openHarness({ width: 1280, height: 800 });
    ctx = { actor: { name: 'e2e-check', source: 'test', role: 'admin' } };
    pub = publisher();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('signs in the first admin', async () => {
    await setUpFirstAdmin(h, ADMIN_PASSWORD);
  });

  it('Audit: outcome and action filters show exactly the engine’s matching rows (no row stuck loading)', async () => {
    const { page, server } = h;
    const actor = { name: 'e2e-writer', source: 'test' };
    for (let i = 0; i < 12; i++) {
      const outcome = i % 3 === 0 ? 'refused' : i % 3 === 1 ? 'failure' : 'success';
      server.airlock.audit.append(actor, {
        action: i % 2 ? 'test.beta' : 'test.alpha',
        target: `t${i}`,
        outcome,
      });
    }
    await page.getByTestId('nav-audit').click();
    await expect.poll(() => page.getByTestId('audit-count').textContent()).toContain('records');

    await page.getByTestId('audit-filter-outcome').selectOption('refused');
    await page.getByTestId('audit-filter-apply').click();
    const refused = (await list({ outcome: 'refused' })).map((r) => r.seq);
    expect(refused.length).toBeGreaterThanOrEqual(4);
    await expect.poll(() => seqsShown(page), { timeout: 10_000 }).toEqual(refused);
    expect(await page.getByTestId('audit-scroller').textContent()).not.toContain('loading');

    await page.getByTestId('audit-filter-action').fill('test.beta');
    await page.getByTestId('audit-filter-apply').click();
    const betaRefused = (await list({ outcome: 'refused', action: 'test.beta' })).map((r) => r.seq);
    await expect.poll(() => seqsShown(page)).toEqual(betaRefused);

    await page.getByTestId('audit-filter-outcome').selectOption('');
    await page.getByTestId('audit-filter-actor').fill('e2e-writer');
    await page.getByTestId('audit-filter-apply').click();
    const beta = (await list({ action: 'test.beta', actor: 'e2e-writer' })).map((r) => r.seq);
    expect(beta).toHaveLength(6);
    await expect.poll(() => seqsShown(page)).toEqual(beta);
    await shot(page, 'audit-filtered');
  });

  it('Audit: a date range narrows the rows; an empty range says so', async () => {
    const { page } = h;
    await page.getByTestId('audit-filter-clear').click();
    await page.getByTestId('audit-filter-action').fill('test.alpha');
    await page.getByTestId('audit-filter-from').fill(yesterday);
    await page.getByTestId('audit-filter-to').fill(yesterday);
    await page.getByTestId('audit-filter-apply').click();
    await expect.poll(() => page.getByTestId('audit-empty').count()).toBe(1);
    await page.getByTestId('audit-filter-to').fill(today);
    await page.getByTestId('audit-filter-apply').click();
    const alpha = (
      await list({ action: 'test.alpha', from: `${yesterday}T00:00:00.000Z`, to: `${today}T23:59:59.999Z` })
    ).map((r) => r.seq);
    expect(alpha).toHaveLength(6);
    await expect.poll(() => seqsShown(page)).toEqual(alpha);
    await page.getByTestId('audit-filter-clear').click();
  });

  it('Audit: jump to a record, its inclusion proof, and keyboard navigation', async () => {
    const { page, server } = h;
    await page.getByTestId('audit-jump').fill('5');
    await page.getByTestId('audit-jump-go').click();
    await expect.poll(() => page.getByTestId('audit-detail').textContent()).toContain('Record #5');
    await expect
      .poll(() => page.locator('[data-testid="audit-scroller"] .vrow.active').getAttribute('data-seq'))
      .toBe('5');
    await page.getByTestId('audit-prove').click();
    const proof = await call(server.handlers, 'audit:prove', { seq: 5 }, ctx);
    await expect.poll(() => page.getByTestId('audit-proof-root').textContent()).toBe(proof.merkleRoot);
    expect(await page.getByTestId('audit-proof').textContent()).toContain('Record #5 is included');
    await shot(page, 'audit-proof');

    const jumpMissing = (await auditCount()) + 1000;
    await page.getByTestId('audit-jump').fill(String(jumpMissing));
    await page.getByTestId('audit-jump-go').click();
    await expect
      .poll(() => page.getByTestId('error').first().textContent())
      .toContain(`no record #${jumpMissing}`);

    await page.getByTestId('audit-grid').focus();
    await page.keyboard.press('End');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('audit-detail').textContent()).toContain('Record #2');
    await page.keyboard.press('Home');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    const head = await auditCount();
    await expect
      .poll(() => page.getByTestId('audit-detail').locator('h3').textContent())
      .toContain(`#${head - 1}`);
    await shot(page, 'audit-keyboard');
  });

  it('Settings: trusting a key shows its full key id and needs the match confirmed; cancel changes nothing', async () => {
    const { page, server } = h;
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('key-name').fill('acme');
    await page.getByTestId('key-pem').fill(pub.publicKeyPem);
    await page.getByTestId('key-add').click();
    const dialog = page.getByRole('dialog');
    await expect.poll(() => dialog.count()).toBe(1);
    expect(await dialog.getAttribute('aria-modal')).toBe('true');
    expect((await page.getByTestId('key-fingerprint').textContent())!.replace(/\s/g, '')).toBe(pub.keyId);
    expect(await page.getByTestId('confirm-ok').isDisabled()).toBe(true);
    await shot(page, 'settings-trust-confirm');
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.count()).toBe(0);
    await page.getByTestId('key-add').click();
    await page.getByTestId('confirm-cancel').click();
    expect(await call(server.handlers, 'trust:list', {}, ctx)).toEqual([]);

    await page.getByTestId('key-add').click();
    await page.getByTestId('key-fingerprint-matches').check();
    await page.getByTestId('confirm-ok').click();
    await expect.poll(() => page.getByTestId('keys-notice').textContent()).toContain(pub.keyId);
    expect((await call(server.handlers, 'trust:list', {}, ctx)).map((k) => k.keyId)).toEqual([pub.keyId]);
  });

  it('Settings: a .pub file picked by the person is read and fingerprinted the same way', async () => {
    const { page, server } = h;
    const other = publisher();
    const file = join(h.tmp, 'other.pub');
    await writeFile(file, other.publicKeyPem);
    await page.getByTestId('key-file').setInputFiles(file);
    await expect.poll(() => page.getByTestId('key-pem').inputValue()).toContain('BEGIN PUBLIC KEY');
    expect(await page.getByTestId('key-name').inputValue()).toBe('other');
    await page.getByTestId('key-add').click();
    expect((await page.getByTestId('key-fingerprint').textContent())!.replace(/\s/g, '')).toBe(other.keyId);
    await page.getByTestId('confirm-cancel').click();
    expect((await call(server.handlers, 'trust:list', {}, ctx)).map((k) => k.name)).toEqual(['acme']);
  });

  it('Settings: removing a key names the model it alone signed; cancel changes nothing; confirm disables it', async () => {
    const { page, server } = h;
    const bundle = await signedBundle(h.tmp, pub, { name: 'classifier', version: '1.0.0' });
    const report = await call(server.handlers, 'models:import', { path: bundle }, ctx);
    expect(report.items[0]!.outcome).toBe('installed');
    await page.getByTestId('nav-home').click();
    await page.getByTestId('nav-settings').click();

    const before = {
      trust: await call(server.handlers, 'trust:list', {}, ctx),
      models: await call(server.handlers, 'models:list', { includeDisabled: true }, ctx),
      audit: await auditCount(),
    };
    await page.getByTestId('key-remove-acme').click();
    await expect
      .poll(() => page.getByTestId('key-remove-affected').textContent())
      .toContain('classifier@1.0.0');
    expect(await page.getByTestId('confirm-ok').textContent()).toBe('Remove key and disable 1 model');
    await shot(page, 'settings-key-remove');
    await page.getByTestId('confirm-cancel').click();
    expect(await call(server.handlers, 'trust:list', {}, ctx)).toEqual(before.trust);
    expect(await call(server.handlers, 'models:list', { includeDisabled: true }, ctx)).toEqual(before.models);
    expect(await auditCount()).toBe(before.audit);

    // Focus stays in the dialog: Tab and Shift+Tab cycle through its controls only.
    await page.getByTestId('key-remove-acme').click();
    for (const key of [
      'Tab',
      'Tab',
      'Tab',
      'Tab',
      'Shift+Tab',
      'Shift+Tab',
      'Shift+Tab',
      'Shift+Tab',
      'Shift+Tab',
    ]) {
      await page.keyboard.press(key);
      expect(await page.evaluate('!!document.activeElement?.closest("[role=dialog]")')).toBe(true);
    }
    await page.getByTestId('confirm-ok').click();
    await expect.poll(() => page.getByTestId('keys-notice').textContent()).toContain('disabled 1 model');
    expect(await call(server.handlers, 'trust:list', {}, ctx)).toEqual([]);
    const [model] = await call(server.handlers, 'models:list', { includeDisabled: true }, ctx);
    expect(model!.enabled).toBe(false);
    expect(model!.disabledReason).toContain('acme');
  });

  it('Settings: a refusal that names a CLI command gets an app-worded hint next to it', async () => {
    const { page, server } = h;
    const gone = publisher();
    await call(
      server.handlers,
      'trust:add',
      { name: 'gone', publicKeyPem: gone.publicKeyPem, role: 'publisher' },
      ctx,
    );
    await page.getByTestId('nav-home').click();
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('key-remove-gone').click();
    // Someone else removes it meanwhile: the engine refuses with KEY_NOT_FOUND, worded for the CLI.
    await call(server.handlers, 'trust:remove', { name: 'gone' }, ctx);
    await page.getByTestId('confirm-ok').click();
    await expect.poll(() => page.getByTestId('error').first().textContent()).toContain('KEY_NOT_FOUND');
    expect(await page.getByTestId('error').first().textContent()).toContain('airlock trust list');
    expect(await page.getByTestId('app-hint').first().textContent()).toContain('Settings › Keys');
  });

  it('Settings: role change and removal ask first; the last admin refusal is shown in words', async () => {
    const { page, server } = h;
    await call(
      server.handlers,
      'users:add',
      { name: 'olga', role: 'operator', password: 'olga long password' },
      ctx,
    );
    await page.getByTestId('settings-nav-users').click();
    await expect.poll(() => page.getByTestId('users').textContent()).toContain('olga');
    const roleOf = async (name: string) =>
      (await call(server.handlers, 'users:list', {}, ctx)).find((u) => u.name === name)?.role;

    await page.getByTestId('user-role-olga').selectOption('auditor');
    await expect.poll(() => page.getByTestId('user-role-confirm').textContent()).toContain('operator');
    await shot(page, 'settings-role-confirm');
    await page.getByTestId('confirm-cancel').click();
    expect(await roleOf('olga')).toBe('operator');
    expect(await page.getByTestId('user-role-olga').inputValue()).toBe('operator');
    await page.getByTestId('user-role-olga').selectOption('auditor');
    await page.getByTestId('confirm-ok').click();
    await expect.poll(() => roleOf('olga')).toBe('auditor');

    await page.getByTestId('user-password-olga').click();
    await page.getByTestId('user-new-password').fill('olga second password');
    await page.getByTestId('confirm-ok').click();
    await expect.poll(() => page.getByTestId('users-notice').textContent()).toContain('New password set');

    await page.getByTestId('user-remove-olga').click();
    expect(await page.getByTestId('confirm-ok').textContent()).toBe('Remove account "olga"');
    await page.getByTestId('confirm-cancel').click();
    expect(await roleOf('olga')).toBe('auditor');
    await page.getByTestId('user-remove-olga').click();
    await page.getByTestId('confirm-ok').click();
    await expect.poll(() => roleOf('olga')).toBeUndefined();

    // The last admin: the engine refuses, and the refusal is shown as it says it.
    await page.getByTestId('user-role-admin').selectOption('operator');
    await page.getByTestId('confirm-ok').click();
    await expect.poll(() => page.getByTestId('settings-users').textContent()).toContain('last admin');
    expect(await roleOf('admin')).toBe('admin');
    await shot(page, 'settings-last-admin');
  });

  it('Settings: changing one’s own password ends the session and sign-in says why', async () => {
    const { page } = h;
    await page.getByTestId('pw-current').fill(ADMIN_PASSWORD);
    await page.getByTestId('pw-new').fill(NEW_PASSWORD);
    await page.getByTestId('pw-again').fill(NEW_PASSWORD);
    await page.getByTestId('pw-change').click();
    await page.getByTestId('signin').waitFor();
    expect(await page.getByTestId('signin-notice').textContent()).toContain('password was changed');
    await shot(page, 'signin-after-password');
    await page.getByTestId('auth-name').fill('admin');
    await page.getByTestId('auth-password').fill(NEW_PASSWORD);
    await page.getByTestId('auth-submit').click();
    await expect.poll(() => page.getByTestId('account').textContent()).toContain('admin');
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('settings-nav-retention').click();
    await expect.poll(() => page.getByTestId('audit-retention').textContent()).toContain('checkpoint');
    await page.getByTestId('retention-days').fill('90');
    await page.getByTestId('retention-save').click();
    await expect
      .poll(() => page.getByTestId('audit-retention').textContent())
      .toContain('older than 90 days');
    expect((await call(h.server.handlers, 'audit:settings', {}, ctx)).retentionDays).toBe(90);
    await shot(page, 'settings-retention');
  });
});
