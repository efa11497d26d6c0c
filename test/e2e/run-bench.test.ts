/**
 * Issue 11, Run and Benchmark screens end to end: the built UI in Chromium over the loopback
 * transport against the real engine and onnxruntime. The input is checked against the card before
 * Run is enabled, a regression output shows as values, a batch job's counts add up and its failed
 * files show with their reasons, and a benchmark runs in the chosen mode; a quick run is marked
 * and leaves bench:tuned alone unless the user asks. Screenshots (1280x800, light and dark) go to
 * /tmp/shots-run/.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import sharp from 'sharp';
import { prepareDemoStick } from '../../runtime/demo/demo.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { call, type CallContext } from '../../runtime/index.js';
import { writeNpy } from '../../runtime/inference/npy.js';
import { model, publisher, signedBundle } from '../core/helpers.js';
import { browserUnavailable, openHarness, type Harness } from './harness.js';

const skipReason = browserUnavailable();
if (skipReason) console.log(`SKIP run/benchmark end-to-end tests: ${skipReason}`);
const PASSWORD = 'correct horse battery staple';
const SHOTS = '/tmp/shots-run';

async function shot(page: Page, name: string): Promise<void> {
  await mkdir(SHOTS, { recursive: true });
  await page.evaluate('document.querySelector("main")?.scrollTo(0, 0)');
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false, animations: 'disabled' });
}

async function shotAt(page: Page, testId: string, name: string): Promise<void> {
  await mkdir(SHOTS, { recursive: true });
  await page.getByTestId(testId).scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false, animations: 'disabled' });
}

async function theme(page: Page, want: 'light' | 'dark'): Promise<void> {
  const now = await page.evaluate('document.documentElement.dataset.theme');
  if (now !== want) await page.getByTestId('theme-toggle').click();
  await expect.poll(() => page.evaluate('document.documentElement.dataset.theme')).toBe(want);
}

describe.skipIf(skipReason !== null)('Run and Benchmark screens against the real engine', () => {
  let h: Harness;
  const ctx: CallContext = { actor: { name: 'e2e-check', source: 'test', role: 'admin' } };

  beforeAll(async () => {
    h = await openHarness({ width: 1280, height: 800 });
    const pub = publisher();
    await call(
      h.server.handlers,
      'trust:add',
      { name: 'acme', publicKeyPem: pub.publicKeyPem, role: 'publisher' },
      ctx,
    );
    const bundles = join(h.tmp, 'bundles');
    await mkdir(bundles, { recursive: true });
    const addOne = await signedBundle(bundles, pub, { name: 'add-one', model: model('add-one.onnx') });
    expect((await call(h.server.handlers, 'models:import', { path: addOne }, ctx)).installed).toBe(1);

    const { page, server } = h;
    await page.goto(server.url);
    await page.getByTestId('setup').waitFor();
    await page.getByTestId('auth-name').fill('admin');
    await page.getByTestId('auth-password').fill(PASSWORD);
    await page.getByTestId('auth-confirm').fill(PASSWORD);
    await page.getByTestId('auth-submit').click();
    await page.getByTestId('account').filter({ hasText: 'admin' }).waitFor({ timeout: 20_000 });
  }, 180_000);

  afterAll(async () => {
    await h?.close();
  });

  it('refuses an input of the wrong shape with the reason, runs a right one; a regression output shows as values', async () => {
    const { page, server } = h;
    const wrong = join(h.tmp, 'wrong.npy');
    await writeFile(wrong, writeNpy({ type: 'float32', dims: [1, 4], data: new Float32Array([1, 2, 3, 4]) }));
    const right = join(h.tmp, 'right.json');
    await writeFile(right, JSON.stringify({ type: 'float32', dims: [1, 3], data: [1, 2.5, -3] }));

    await page.getByTestId('nav-run').click();
    await page.getByTestId('run-model').selectOption('add-one@1.0.0');
    // No "(unspecified)" task in the list.
    expect(await page.getByTestId('run-model').textContent()).not.toContain('unspecified');
    await page.getByTestId('run-file').setInputFiles(wrong);
    await expect.poll(() => page.getByTestId('run-check').getAttribute('data-verdict')).toBe('refused');
    expect(await page.getByTestId('run-check').textContent()).toContain('[1, 3]');
    expect(await page.getByTestId('run-check').textContent()).toContain('[1, 4]');
    expect(await page.getByTestId('run-go').isDisabled()).toBe(true);
    await theme(page, 'light');
    await shot(page, 'run-refused-light');

    await page.getByTestId('run-file').setInputFiles(right);
    await expect.poll(() => page.getByTestId('run-check').getAttribute('data-verdict')).toBe('ok');
    expect(await page.getByTestId('run-go').isDisabled()).toBe(false);
    await page.getByTestId('run-config').selectOption('default');
    const sent = page.waitForRequest((r) => r.url().endsWith('/invoke/inference%3Arun'));
    await page.getByTestId('run-go').click();
    await expect
      .poll(() => page.getByTestId('output-values').textContent(), { timeout: 60_000 })
      .toMatch(/2.*3\.5.*-2/);
    expect(await page.getByTestId('output-values').locator('li').count()).toBe(3);
    expect(await page.getByTestId('raw-topk').count()).toBe(0);
    expect(await page.getByTestId('topk').count()).toBe(0);
    expect(await page.getByTestId('result-config').textContent()).toContain('defaults');
    expect(((await sent).postDataJSON() as { config?: string }).config).toBe('default');
    const runs = await call(server.handlers, 'audit:list', { action: 'inference.run', limit: 1 }, ctx);
    expect(runs[0]).toMatchObject({ outcome: 'success', target: 'add-one@1.0.0' });
    await shot(page, 'run-values-light');
    await theme(page, 'dark');
    await shot(page, 'run-values-dark');
    await theme(page, 'light');
  }, 120_000);

  it('OCR lines are drawn as boxes over the input image', async () => {
    const { page, server } = h;
    const stick = await prepareDemoStick(join(h.tmp, 'demo'));
    await call(
      server.handlers,
      'trust:add',
      { name: 'demo', publicKeyPem: await readFile(stick.publicKey, 'utf8'), role: 'publisher' },
      ctx,
    );
    const ppocr = stick.bundles.find((b) => /^ppocr-\d/.test(basename(b)))!;
    expect((await call(server.handlers, 'models:import', { path: ppocr }, ctx)).installed).toBe(1);
    const png = join(h.tmp, 'two-lines.png');
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="420" height="140"><rect width="100%" height="100%" fill="white"/><text x="16" y="50" font-family="DejaVu Sans" font-size="32" fill="black">AIRLOCK 2026</text><text x="16" y="110" font-family="DejaVu Sans" font-size="32" fill="black">OFFLINE RUN</text></svg>`;
    await sharp(Buffer.from(svg)).png().toFile(png);
    await page.getByTestId('nav-home').click();
    await page.getByTestId('nav-run').click();
    await page.getByTestId('run-model').selectOption('ppocr@1.0.0');
    await page.getByTestId('run-file').setInputFiles(png);
    await expect.poll(() => page.getByTestId('run-check').getAttribute('data-verdict')).toBe('ok');
    await page.getByTestId('run-go').click();
    await expect
      .poll(() => page.getByTestId('overlay-box').count(), { timeout: 90_000 })
      .toBeGreaterThanOrEqual(2);
    expect(await page.getByTestId('recognised-text').textContent()).toMatch(/AIRLOCK/);
    await shot(page, 'run-ocr-overlay-light');
    await theme(page, 'dark');
    await shot(page, 'run-ocr-overlay-dark');
    await theme(page, 'light');
  }, 180_000);

  it('a batch job with bad inputs: counts that add up and the failed files with their reasons', async () => {
    const { page, server } = h;
    const dir = join(h.tmp, 'batch');
    await mkdir(dir, { recursive: true });
    for (let k = 0; k < 3; k++)
      await writeFile(
        join(dir, `good-${k}.npy`),
        writeNpy({ type: 'float32', dims: [1, 3], data: new Float32Array([k, k + 1, k + 2]) }),
      );
    await writeFile(join(dir, 'broken.json'), '{"type": "float32", "dims": [1, ');
    await writeFile(
      join(dir, 'too-long.npy'),
      writeNpy({ type: 'float32', dims: [1, 5], data: new Float32Array(5) }),
    );
    const out = join(h.tmp, 'batch-results.jsonl');
    await page.getByTestId('nav-run').click();
    await page.getByTestId('run-model').selectOption('add-one@1.0.0');
    await page.getByTestId('job-inputs').fill(dir);
    await page.getByTestId('job-out').fill(out);
    await page.getByTestId('job-start').click();
    const row = page.getByTestId('job-row').first();
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 60_000 }).toBe('completed');
    expect(await row.getByTestId('job-processed').textContent()).toBe('5 / 5');
    expect(await row.getByTestId('job-done').textContent()).toBe('3');
    expect(await row.getByTestId('job-failed').textContent()).toBe('2');
    const [job] = await call(server.handlers, 'jobs:list', {}, ctx);
    expect(job).toMatchObject({ total: 5, done: 3, failed: 2 });
    await row.getByTestId('job-failed-toggle').click();
    const failures = page.getByTestId('job-failure');
    await expect.poll(() => failures.count(), { timeout: 10_000 }).toBe(2);
    const text = await page.getByTestId('job-failures').textContent();
    expect(text).toContain('broken.json');
    expect(text).toContain('too-long.npy');
    expect(text).toMatch(/INPUT_/);
    // The engine's own record says the same.
    const detail = await call(server.handlers, 'jobs:get', { id: job!.id }, ctx);
    expect(detail.failures.map((f) => f.file).sort()).toEqual(['broken.json', 'too-long.npy']);
    expect(await page.getByText('No batch job yet').count()).toBe(0);
    await shotAt(page, 'run-jobs', 'jobs-failed-light');
    await theme(page, 'dark');
    await shotAt(page, 'run-jobs', 'jobs-failed-dark');
    await theme(page, 'light');
  }, 120_000);

  it('a quick benchmark in the chosen mode is marked and leaves bench:tuned alone unless asked', async () => {
    const { page, server } = h;
    expect(await call(server.handlers, 'bench:tuned', { model: 'add-one' }, ctx)).toEqual([]);
    await page.getByTestId('nav-benchmark').click();
    await page.getByTestId('bench-model').selectOption('add-one@1.0.0');
    await page.getByTestId('bench-scenario').selectOption('single-stream');
    expect(await page.getByTestId('bench-quick').isChecked()).toBe(true);
    expect(await page.getByTestId('bench-keep-tuned').isChecked()).toBe(false);
    await shot(page, 'bench-form-light');
    await page.getByTestId('bench-go').click();
    await expect
      .poll(() => page.getByTestId('bench-best').textContent(), { timeout: 120_000, interval: 500 })
      .toMatch(/For latency.*cpu/);
    expect(await page.getByTestId('bench-quick-mark').textContent()).toContain('not kept');
    expect(await page.getByTestId('bench-report-quick').count()).toBe(1);
    expect(await page.getByTestId('bench-histogram').locator('rect.bar').count()).toBeGreaterThan(0);
    expect(await page.locator('[data-testid="bench-chart-latency"] canvas').count()).toBe(1);
    expect(await page.getByTestId('bench-trials').textContent()).not.toMatch(/\b1 threads\b/);
    const [stored] = await call(server.handlers, 'bench:results', { model: 'add-one', limit: 1 }, ctx);
    expect(stored).toMatchObject({ scenario: 'single-stream', quick: true });
    expect(await call(server.handlers, 'bench:tuned', { model: 'add-one' }, ctx)).toEqual([]);
    await page.getByTestId('bench-report').scrollIntoViewIfNeeded();
    await shotAt(page, 'bench-report', 'bench-report-light');
    await theme(page, 'dark');
    await shotAt(page, 'bench-report', 'bench-report-dark');
    await page.getByTestId('bench-histogram').scrollIntoViewIfNeeded();
    await shotAt(page, 'bench-histogram', 'bench-histogram-dark');
    await theme(page, 'light');

    // Asked for: the quick result becomes the tuned configuration.
    await page.getByTestId('bench-keep-tuned').check();
    await page.getByTestId('bench-go').click();
    await expect
      .poll(() => page.getByTestId('bench-quick-mark').textContent(), { timeout: 120_000, interval: 500 })
      .toContain('kept as the tuned configuration as you asked');
    const tuned = await call(server.handlers, 'bench:tuned', { model: 'add-one' }, ctx);
    expect(tuned.map((t) => t.objective)).toContain('latency');
  }, 300_000);
});
