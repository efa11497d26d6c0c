/**
 * The renderer end to end: the built UI in Debian's Chromium, over the loopback transport, against
 * the real engine on a fresh data dir. Walks the workflows of issue 6 and saves a screenshot of
 * every screen to docs/screenshots/.
 */
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, type CallContext } from '../../runtime/index.js';
import { prepareDemoStick, type DemoStick } from '../../runtime/demo/demo.js';
import { writeNpy } from '../../runtime/inference/npy.js';
import { generateSigningKey } from '../../runtime/crypto/keys.js';
import { policyFile } from '../attack/policy-helpers.js';
import sharp from 'sharp';
import { browserUnavailable, openHarness, screenshot, type Harness } from './harness.js';

const skipReason = browserUnavailable();
const ADMIN_PASSWORD = 'correct horse battery staple';
const OPERATOR_PASSWORD = 'operator password 1';
if (skipReason) console.log(`SKIP renderer end-to-end tests: ${skipReason}`);

async function listing(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(join(e.parentPath, e.name));
  }
  return out.sort();
}

describe.skipIf(skipReason !== null)('desktop UI in Chromium against the real engine', () => {
  let h: Harness;
  let stick: DemoStick;
  let ctx: CallContext;
  /** The engine's digest of the tensor the Run screen's .npy held (the .json test sends the same). */
  let npyInputDigest: string;

  beforeAll(async () => {
    h = await openHarness();
    stick = await prepareDemoStick(join(h.tmp, 'demo'));
    // The test's own checks read the engine directly, as an admin of the same data dir.
    ctx = { actor: { name: 'e2e-check', source: 'test', role: 'admin' } };
  });

  afterAll(async () => {
    await h?.close();
  });

  it('first start shows Home with the transport, an empty trust store and the alert to add a key', async () => {
    const { page, server } = h;
    await page.goto(server.url);
    // Issue 5's accounts: the first start asks for the administrator account.
    await page.getByTestId('setup').waitFor();
    await page.getByTestId('auth-name').fill('admin');
    await page.getByTestId('auth-password').fill(ADMIN_PASSWORD);
    await page.getByTestId('auth-confirm').fill(ADMIN_PASSWORD + 'x');
    await page.getByTestId('auth-submit').click();
    await expect.poll(() => page.getByTestId('error').textContent()).toContain('differ');
    await page.getByTestId('auth-confirm').fill(ADMIN_PASSWORD);
    await screenshot(page, 'first-start');
    await page.getByTestId('auth-submit').click();
    await expect
      .poll(() => page.getByTestId('account').textContent(), { timeout: 20_000 })
      .toContain('admin');
    await expect
      .poll(() => page.getByTestId('home-machine').textContent())
      .toContain(server.airlock.installationId);
    await expect
      .poll(() => page.getByTestId('home-alerts').textContent())
      .toContain('No publisher key is trusted yet');
    await expect.poll(() => page.getByTestId('network-badge').textContent()).toContain('loopback');
  });

  it('trusts the demo publisher key from Settings', async () => {
    const { page } = h;
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('key-name').fill('demo-publisher');
    await page.getByTestId('key-pem').fill(await readFile(stick.publicKey, 'utf8'));
    await page.getByTestId('key-add').click();
    // The full key id is shown and must be confirmed before the key is trusted (issue 11).
    await expect
      .poll(() => page.getByTestId('key-fingerprint').getAttribute('aria-label'))
      .toContain(stick.keyId);
    await page.getByTestId('key-fingerprint-matches').check();
    await page.getByTestId('confirm-ok').click();
    await expect
      .poll(() => page.getByTestId('settings-keys').textContent())
      .toContain(stick.keyId.slice(0, 32));
    const keys = await call(h.server.handlers, 'trust:list', {}, ctx);
    expect(keys.map((k) => k.keyId)).toEqual([stick.keyId]);
  });

  it('the stick shows the demo bundles as trusted; inspect shows card, files and signers', async () => {
    const { page } = h;
    await page.getByTestId('nav-media').click();
    await page.getByTestId('media-path').fill(stick.stick);
    await page.getByTestId('media-scan').click();
    await expect.poll(() => page.getByTestId('bundle-row').count()).toBeGreaterThan(0);
    const rows = page.getByTestId('bundle-row');
    await expect.poll(() => rows.first().textContent()).toContain('trusted');
    await rows.filter({ hasText: 'ppocr-cls' }).getByTestId('inspect').click();
    await expect.poll(() => page.getByTestId('inspect-card').textContent()).toContain('image-classification');
    const files = await page.getByTestId('bundle-files').textContent();
    expect(files).toContain('model.onnx');
    expect(await page.getByTestId('bundle-signers').textContent()).toContain('demo-publisher');
    await screenshot(page, 'media');
  });

  it('imports with progress and the models are installed', async () => {
    const { page, server } = h;
    const rows = page.getByTestId('bundle-row');
    for (const name of ['ppocr-cls', 'ppocr-rec']) {
      await rows
        .filter({ hasText: `${name}-` })
        .getByTestId('import')
        .click();
      await expect
        .poll(() => page.getByTestId('import-report').textContent(), { timeout: 60_000 })
        .toContain(`Installed ${name}`);
    }
    const models = await call(server.handlers, 'models:list', { includeDisabled: true }, ctx);
    expect(models.map((m) => `${m.name}@${m.version}`).sort()).toEqual([
      'ppocr-cls@2.0.0',
      'ppocr-rec@4.0.0',
    ]);
    expect(
      (await call(server.handlers, 'audit:list', { action: 'model.install', limit: 10 }, ctx)).length,
    ).toBe(2);
    // The page was sent the import's progress (bytes verified, then the install step).
    const progress = server.events
      .filter((e) => e.event === 'operation:progress')
      .map((e) => e.payload as { operationId: string; phase: string });
    expect(progress.some((p) => p.operationId.startsWith('import-') && p.phase === 'verifying')).toBe(true);
    expect(progress.some((p) => p.operationId.startsWith('import-') && p.phase === 'installing')).toBe(true);
  });

  it('a tampered bundle shows its reason and is not installed', async () => {
    const { page, server } = h;
    const bad = join(h.tmp, 'demo', 'tampered');
    await mkdir(bad, { recursive: true });
    const copy = join(bad, 'ppocr-rec-4.0.0.airlock');
    await copyFile(stick.bundles[0]!, copy);
    const bytes = await readFile(copy);
    const at = Math.floor(bytes.length / 2);
    bytes[at] = bytes[at]! ^ 0xff;
    await writeFile(copy, bytes);
    const stored = async () => [
      ...(await listing(join(h.tmp, 'data', 'store'))),
      ...(await listing(join(h.tmp, 'data', 'staging'))),
    ];
    const before = await stored();
    const modelsBefore = await call(server.handlers, 'models:list', { includeDisabled: true }, ctx);

    await page.getByTestId('media-path').fill(bad);
    await page.getByTestId('media-scan').click();
    await expect.poll(() => page.getByTestId('bundle-row').first().textContent()).toContain('refused');
    const reason = await page.getByTestId('verdict-reason').first().textContent();
    expect(reason).toMatch(/digest|sha-256|does not match|changed/i);
    await page.getByTestId('bundle-row').first().getByTestId('import').click();
    await expect.poll(() => page.getByTestId('import-report').textContent()).toContain('Not installed');
    expect(await page.getByTestId('import-report').textContent()).toContain('DIGEST_MISMATCH');
    await screenshot(page, 'media-rejected');

    const modelsAfter = await call(server.handlers, 'models:list', { includeDisabled: true }, ctx);
    expect(modelsAfter).toEqual(modelsBefore);
    // Only the database changes (the refusal is audited): no blob stored, nothing left in staging.
    expect(await stored()).toEqual(before);
  });

  it('Models shows the installed model with its card, files and install history', async () => {
    const { page } = h;
    await page.getByTestId('nav-models').click();
    await expect.poll(() => page.getByTestId('model-detail').textContent()).toContain('ppocr-cls 2.0.0');
    await expect.poll(() => page.locator('main').textContent()).toContain('model.install');
    await screenshot(page, 'models');
  });

  it('runs ppocr-cls on a .npy and shows the probabilities, latency and provider', async () => {
    const { page, server } = h;
    const model = await call(server.handlers, 'models:get', { ref: 'ppocr-cls' }, ctx);
    const spec = model.card.inputs[0]!;
    const dims = spec.shape.map((d) => (typeof d === 'number' ? d : 1));
    const count = dims.reduce((a, b) => a * b, 1);
    const data = new Float32Array(count).map((_, i) => Math.sin(i / 7));
    const npy = join(h.tmp, 'line.npy');
    await writeFile(npy, writeNpy({ type: 'float32', dims, data }));

    await page.getByTestId('nav-run').click();
    await page.getByTestId('run-model').selectOption('ppocr-cls@2.0.0');
    await page.getByTestId('run-file').setInputFiles(npy);
    await expect.poll(() => page.getByTestId('run-chosen').textContent()).toContain('line.npy');
    const sent = page.waitForRequest((r) => r.url().endsWith('/invoke/inference%3Arun'));
    await page.getByTestId('run-go').click();
    await expect
      .poll(() => page.getByTestId('result').textContent(), { timeout: 60_000 })
      .toContain('ppocr-cls');
    expect(await page.getByTestId('topk').locator('li').count()).toBe(2);
    const text = await page.getByTestId('result').textContent();
    expect(text).toMatch(/cpu/i);
    expect(await page.getByTestId('result-latency').textContent()).toMatch(/ms|s$/);
    const runs = await call(server.handlers, 'audit:list', { action: 'inference.run', limit: 5 }, ctx);
    expect(runs[0]?.outcome).toBe('success');
    // The page sent the file itself, byte for byte, for the engine to read: no tensors of its own.
    const body = (await sent).postDataJSON() as {
      model: string;
      file?: { name: string; bytes: { $bytes: string } };
    };
    expect(Object.keys(body).sort()).toEqual(['file', 'model']);
    expect(body.file?.name).toBe('line.npy');
    expect(Buffer.from(body.file!.bytes.$bytes, 'base64').equals(await readFile(npy))).toBe(true);
    npyInputDigest = (runs[0]!.details as { inputDigest: string }).inputDigest;
    await screenshot(page, 'run');
  });

  it("runs ppocr-cls on a .json the engine reads; a broken one shows the engine's INPUT_INVALID message", async () => {
    const { page, server } = h;
    const model = await call(server.handlers, 'models:get', { ref: 'ppocr-cls' }, ctx);
    const spec = model.card.inputs[0]!;
    const dims = spec.shape.map((d) => (typeof d === 'number' ? d : 1));
    const count = dims.reduce((a, b) => a * b, 1);
    // The .npy test's tensor as one JSON tensor (a one-input model): the engine sees the same input.
    const data = Array.from(new Float32Array(count).map((_, i) => Math.sin(i / 7)));
    const good = join(h.tmp, 'line.json');
    await writeFile(good, JSON.stringify({ type: 'float32', dims, data }));
    await page.getByTestId('nav-run').click();
    await page.getByTestId('run-model').selectOption('ppocr-cls@2.0.0');
    await page.getByTestId('run-file').setInputFiles(good);
    await expect.poll(() => page.getByTestId('run-chosen').textContent()).toContain('line.json');
    await page.getByTestId('run-go').click();
    await expect
      .poll(() => page.getByTestId('result').textContent(), { timeout: 60_000 })
      .toContain('ppocr-cls');
    expect(await page.getByTestId('topk').locator('li').count()).toBe(2);
    const runs = await call(server.handlers, 'audit:list', { action: 'inference.run', limit: 1 }, ctx);
    expect(runs[0]).toMatchObject({ outcome: 'success', target: 'ppocr-cls@2.0.0' });
    expect((runs[0]!.details as { inputDigest: string }).inputDigest).toBe(npyInputDigest);

    // A broken file: the engine's reader refuses it, and the page shows the engine's words.
    const bad = join(h.tmp, 'broken.json');
    await writeFile(bad, '{"type": "float32", "dims": [1, ');
    await page.getByTestId('run-file').setInputFiles(bad);
    await expect.poll(() => page.getByTestId('run-chosen').textContent()).toContain('broken.json');
    expect(await page.getByTestId('result').count()).toBe(0);
    await page.getByTestId('run-go').click();
    const note = page.getByTestId('run-input').getByTestId('error');
    await expect.poll(() => note.textContent(), { timeout: 30_000 }).toContain('INPUT_INVALID');
    expect(await note.textContent()).toContain('broken.json is not JSON');
    expect(await page.getByTestId('result').count()).toBe(0);
    await screenshot(page, 'run-input-invalid');

    // Valid JSON naming an input the model does not have.
    const misnamed = join(h.tmp, 'misnamed.json');
    await writeFile(misnamed, JSON.stringify({ pixels: { type: 'float32', dims, data } }));
    await page.getByTestId('run-file').setInputFiles(misnamed);
    await page.getByTestId('run-go').click();
    await expect.poll(() => note.textContent(), { timeout: 30_000 }).toContain('INPUT_NAME_MISMATCH');
  });

  it('runs a batch job over a folder and writes the results file', async () => {
    const { page, server } = h;
    const model = await call(server.handlers, 'models:get', { ref: 'ppocr-cls' }, ctx);
    const dims = model.card.inputs[0]!.shape.map((d) => (typeof d === 'number' ? d : 1));
    const count = dims.reduce((a, b) => a * b, 1);
    const dir = join(h.tmp, 'batch');
    await mkdir(dir, { recursive: true });
    for (let k = 0; k < 3; k++) {
      const data = new Float32Array(count).map((_, i) => Math.cos((i + k) / 5));
      await writeFile(join(dir, `line-${k}.npy`), writeNpy({ type: 'float32', dims, data }));
    }
    const out = join(h.tmp, 'batch-results.jsonl');
    await page.getByTestId('nav-run').click();
    await page.getByTestId('run-model').selectOption('ppocr-cls@2.0.0');
    await page.getByTestId('job-inputs').fill(dir);
    await page.getByTestId('job-out').fill(out);
    await page.getByTestId('job-start').click();
    await expect
      .poll(() => page.getByTestId('jobs').textContent(), { timeout: 60_000 })
      .toContain('completed');
    expect(await page.getByTestId('jobs').textContent()).toContain('3 / 3');
    const lines = (await readFile(out, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(3);
    await screenshot(page, 'run-jobs');
  });

  it('recognises the text of an image with the OCR model', async () => {
    const { page } = h;
    const png = join(h.tmp, 'line.png');
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="360" height="48"><rect width="100%" height="100%" fill="white"/><text x="12" y="36" font-family="DejaVu Sans" font-size="30" fill="black">AIRLOCK 2026</text></svg>`;
    await sharp(Buffer.from(svg)).png().toFile(png);
    await page.getByTestId('nav-run').click();
    await page.getByTestId('run-model').selectOption('ppocr-rec@4.0.0');
    await page.getByTestId('run-file').setInputFiles(png);
    await expect.poll(() => page.getByTestId('run-chosen').textContent()).toContain('line.png');
    await page.getByTestId('run-go').click();
    await expect
      .poll(() => page.getByTestId('recognised-text').textContent(), { timeout: 60_000 })
      .toMatch(/AIRLOCK\s?2026/);
    await screenshot(page, 'run-ocr');
  });

  it('a short benchmark: progress, charts and the chosen configuration', async () => {
    const { page, server } = h;
    await page.getByTestId('nav-benchmark').click();
    await page.getByTestId('bench-model').selectOption('ppocr-cls@2.0.0');
    // A quick run becomes the tuned configuration only when asked (the Models screen shows it next).
    await page.getByTestId('bench-keep-tuned').check();
    await page.getByTestId('bench-go').click();
    await page.getByTestId('progress').waitFor();
    await expect
      .poll(() => page.getByTestId('bench-best').textContent(), { timeout: 120_000, interval: 500 })
      .toMatch(/For latency.*cpu/);
    expect(await page.locator('.chart canvas').count()).toBeGreaterThanOrEqual(2);
    expect(await page.getByTestId('bench-trials').locator('tbody tr').count()).toBeGreaterThan(1);
    const tuned = await call(server.handlers, 'bench:tuned', { model: 'ppocr-cls' }, ctx);
    expect(tuned.map((t) => t.objective).sort()).toEqual(['latency', 'throughput']);
    await screenshot(page, 'benchmark');
  }, 180_000);

  it('Models: the chosen configuration shows; an admin disables with a reason and enables again', async () => {
    const { page, server } = h;
    await page.getByTestId('nav-models').click();
    await page.getByRole('option', { name: /ppocr-cls/ }).click();
    const detail = page.getByTestId('model-detail');
    await expect.poll(() => detail.textContent()).toContain('ppocr-cls 2.0.0');
    await expect.poll(() => page.locator('main').textContent()).toMatch(/latency: cpu/);
    await page.getByTestId('model-manage').getByRole('button', { name: 'Disable…' }).click();
    await page.getByLabel('Reason for disabling').fill('line 3 recalibration');
    await page
      .getByTestId('model-manage')
      .getByRole('button', { name: /^Disable ppocr-cls/ })
      .click();
    await expect.poll(() => detail.textContent()).toContain('disabled — by admin: line 3 recalibration');
    expect((await call(server.handlers, 'models:get', { ref: 'ppocr-cls@2.0.0' }, ctx)).enabled).toBe(false);
    await screenshot(page, 'models-disabled');
    await page.getByTestId('model-manage').getByRole('button', { name: 'Enable' }).click();
    await expect.poll(() => detail.textContent()).toContain('Statusenabled');
    expect((await call(server.handlers, 'models:get', { ref: 'ppocr-cls@2.0.0' }, ctx)).enabled).toBe(true);
    // Remove asks first; cancelling leaves the model installed.
    await page.getByTestId('model-manage').getByRole('button', { name: 'Remove…' }).click();
    expect(await page.getByRole('alertdialog').textContent()).toContain('stay refused as rollbacks');
    await page.getByRole('alertdialog').getByRole('button', { name: 'Cancel' }).click();
    expect(
      (await call(server.handlers, 'models:list', { includeDisabled: true }, ctx)).length,
    ).toBeGreaterThan(0);
    const actions = (await call(server.handlers, 'audit:list', { limit: 10 }, ctx)).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['model.disable', 'model.enable']));
  });

  it('audit: the table lists the records and verification reports the chain intact', async () => {
    const { page, server } = h;
    await page.getByTestId('nav-audit').click();
    const head = (await call(server.handlers, 'audit:list', { limit: 1 }, ctx))[0]!;
    await expect.poll(() => page.getByTestId('audit-scroller').textContent()).toContain(head.action);
    await page.getByTestId('audit-verify-run').click();
    await expect
      .poll(() => page.getByTestId('verify-result').textContent())
      .toMatch(/Intact: [\d,]+ records/);
    const out = join(h.tmp, 'demo', 'usb-stick', 'audit-export');
    await page.getByTestId('audit-export-path').fill(out);
    await page.getByTestId('audit-export-run').click();
    await expect
      .poll(() => page.getByTestId('export-result').textContent(), { timeout: 60_000 })
      .toContain('Exported records');
    const written = await readdir(out);
    expect(written.length).toBeGreaterThan(2);
    expect(written).toContain('verify.js');
    await expect.poll(() => page.getByTestId('audit-scroller').textContent()).not.toContain('loading');
    await screenshot(page, 'audit');
  });

  it('Home after a session of work, in light and dark', async () => {
    const { page } = h;
    await page.getByTestId('nav-home').click();
    await expect.poll(() => page.getByTestId('home-events').textContent()).toContain('audit.verify');
    await page.getByTestId('hardware-probe').click();
    await expect
      .poll(() => page.getByTestId('providers').textContent(), { timeout: 60_000 })
      .toContain('cpu');
    await screenshot(page, 'home-light');
    await page.getByTestId('theme-toggle').click();
    await expect.poll(() => page.evaluate('document.documentElement.dataset.theme')).toBe('dark');
    await screenshot(page, 'home-dark');
    await page.getByTestId('theme-toggle').click();
  });

  it('every screen is reachable by keyboard (Alt+1..7)', async () => {
    const { page } = h;
    const screens = ['home', 'media', 'models', 'run', 'benchmark', 'audit', 'settings'];
    for (const [i, s] of screens.entries()) {
      await page.keyboard.press(`Alt+${i + 1}`);
      await expect.poll(() => page.getByTestId(`screen-${s}`).count()).toBe(1);
    }
  });

  it('Settings: with a signed policy in force the rules show their keys by id and the trust store is locked', async () => {
    const { page, server } = h;
    const admin = generateSigningKey();
    await call(
      server.handlers,
      'trust:add',
      { name: 'admin1', publicKeyPem: admin.publicKeyPem, role: 'admin' },
      ctx,
    );
    const file = await policyFile(
      h.tmp,
      { version: 1, rules: [{ pattern: 'ppocr-*', keys: ['demo-publisher'], threshold: 1 }] },
      [admin],
    );
    await call(server.handlers, 'policy:apply', { path: file }, ctx);
    await page.getByTestId('nav-home').click();
    await page.getByTestId('nav-settings').click();
    await expect.poll(() => page.getByTestId('keys-locked').count()).toBe(1);
    expect(await page.getByTestId('keys-locked').textContent()).toContain('version 1 is in force');
    expect(await page.getByTestId('key-add').count()).toBe(0);
    await page.getByTestId('settings-nav-policy').click();
    await expect.poll(() => page.getByTestId('policy-rule-keys').count()).toBe(1);
    const rule = await page.getByTestId('policy-rule-keys').textContent();
    expect(rule).toContain('demo-publisher');
    expect(rule).toContain(stick.keyId.slice(0, 12));
    expect(await page.getByTestId('settings-policy').textContent()).toContain(admin.keyId.slice(0, 12));
  });

  it('an operator account cannot import: the engine refuses and the UI says why', async () => {
    const { page, server } = h;
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('settings-nav-users').click();
    await page.getByTestId('user-name').fill('operator1');
    await page.getByTestId('user-role').selectOption('operator');
    await page.getByTestId('user-password').fill(OPERATOR_PASSWORD);
    await page.getByTestId('user-add').click();
    await expect.poll(() => page.getByTestId('users').textContent()).toContain('operator1');
    await screenshot(page, 'settings');
    await page.getByTestId('sign-out').click();
    await page.getByTestId('signin').waitFor();
    await page.getByTestId('auth-name').fill('operator1');
    await page.getByTestId('auth-password').fill(OPERATOR_PASSWORD);
    await page.getByTestId('auth-submit').click();
    await expect.poll(() => page.getByTestId('account').textContent()).toContain('operator');

    const modelsBefore = await call(server.handlers, 'models:list', { includeDisabled: true }, ctx);
    await page.getByTestId('nav-media').click();
    // An operator may check a bundle file (bundle:verify) but not install it.
    const bundle = stick.bundles.find((b) => b.includes('ppocr-det')) ?? stick.bundles[0]!;
    await page.getByTestId('media-path').fill(bundle);
    await page.getByTestId('media-scan').click();
    await expect.poll(() => page.getByTestId('bundle-row').count()).toBeGreaterThan(0);
    await page.getByTestId('bundle-row').first().getByTestId('import').click();
    await expect.poll(() => page.getByTestId('error').last().textContent()).toContain('ROLE_FORBIDDEN');
    expect(await page.getByTestId('error').last().textContent()).toMatch(/operator role may not/);
    await screenshot(page, 'media-operator-refused');
    expect(await call(server.handlers, 'models:list', { includeDisabled: true }, ctx)).toEqual(modelsBefore);
    const refusals = await call(server.handlers, 'audit:list', { action: 'auth.refused', limit: 5 }, ctx);
    expect(refusals[0]).toMatchObject({ actor: 'operator1', target: 'models:import', outcome: 'refused' });
  });
});
