/**
 * The shell of issue 11 in Chromium against the real engine: role-aware navigation (no screen
 * visit writes an auth.refused record), the fixed shell (the document never scrolls), a new
 * sign-in lands on Home, the task centre (survives navigation and reload, Cancel works) and
 * alerts on Home with Acknowledge. Screenshots go to /tmp/shots-shell/ (not docs/screenshots).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { call, type CallContext } from '../../runtime/index.js';
import { prepareDemoStick } from '../../runtime/demo/demo.js';
import { channelsAllowed } from '../../runtime/auth/permissions.js';
import { SHELL_CHANNEL_NAMES } from '../../runtime/contract/index.js';
import { browserUnavailable, openHarness, type Harness } from './harness.js';

const skipReason = browserUnavailable();
if (skipReason) console.log(`SKIP shell end-to-end tests: ${skipReason}`);

const SHOTS = '/tmp/shots-shell';
const ADMIN_PASSWORD = 'correct horse battery staple';
const ACCOUNTS = [
  { name: 'admin', role: 'admin', password: ADMIN_PASSWORD },
  { name: 'operator1', role: 'operator', password: 'operator password 1' },
  { name: 'auditor1', role: 'auditor', password: 'auditor password 1' },
] as const;
const SCREENS = ['home', 'media', 'models', 'run', 'benchmark', 'audit', 'settings'] as const;
/** Which nav entries each role sees (the screens the role can use at all). */
const VISIBLE: Record<(typeof ACCOUNTS)[number]['role'], readonly string[]> = {
  admin: SCREENS,
  operator: ['home', 'media', 'models', 'run', 'benchmark', 'settings'],
  auditor: ['home', 'models', 'audit', 'settings'],
};

async function shot(page: Page, name: string): Promise<void> {
  await mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), animations: 'disabled' });
}

async function documentScrolls(page: Page): Promise<{ scrollHeight: number; innerHeight: number }> {
  return page.evaluate(
    '({ scrollHeight: document.scrollingElement?.scrollHeight ?? 0, innerHeight: window.innerHeight })',
  );
}

async function signIn(page: Page, name: string, password: string): Promise<void> {
  await page.getByTestId('signin').waitFor();
  await page.getByTestId('auth-name').fill(name);
  await page.getByTestId('auth-password').fill(password);
  await page.getByTestId('auth-submit').click();
  await expect.poll(() => page.getByTestId('account').textContent(), { timeout: 20_000 }).toContain(name);
}

describe.skipIf(skipReason !== null)('the shell in Chromium against the real engine', () => {
  let h: Harness;
  /** Every 404 the page got (the favicon was one). */
  const notFound: string[] = [];
  /** Every channel the page called, in order. */
  const invoked: string[] = [];
  const ctx: CallContext = { actor: { name: 'e2e-check', source: 'test', role: 'admin' } };
  /** The auth.refused records so far, as "actor screen? target" lines. */
  const refusals = async () =>
    (await call(h.server.handlers, 'audit:list', { action: 'auth.refused', limit: 500 }, ctx)).map(
      (r) => `${r.seq} ${r.actor} ${r.target}`,
    );

  beforeAll(async () => {
    h = await openHarness({ width: 1280, height: 800 });
    h.page.on('request', (r) => {
      const m = /\/invoke\/([^?]+)/.exec(r.url());
      if (m) invoked.push(decodeURIComponent(m[1]!));
    });
    h.page.on('response', (r) => {
      if (r.status() === 404) notFound.push(r.url());
    });
  });

  afterAll(async () => {
    await h?.close();
  });

  it('first start: the admin lands on Home; operator and auditor accounts are added', async () => {
    const { page, server } = h;
    await page.goto(server.url);
    await page.getByTestId('setup').waitFor();
    await page.getByTestId('auth-name').fill('admin');
    await page.getByTestId('auth-password').fill(ADMIN_PASSWORD);
    await page.getByTestId('auth-confirm').fill(ADMIN_PASSWORD);
    await page.getByTestId('auth-submit').click();
    await page.getByTestId('screen-home').waitFor({ timeout: 20_000 });
    for (const a of ACCOUNTS.slice(1))
      await call(
        server.handlers,
        'users:add',
        { name: a.name, role: a.role, password: a.password, osUsers: [] },
        ctx,
      );
  });

  for (const account of ACCOUNTS) {
    it(`${account.role}: lands on Home, sees only its screens, no visit writes a refusal, the document never scrolls`, async () => {
      const { page } = h;
      if (account.role !== 'admin') {
        await page.getByTestId('sign-out').click();
        await signIn(page, account.name, account.password);
      }
      // Whatever screen the previous account left open, a sign-in starts at Home.
      await page.getByTestId('screen-home').waitFor();
      expect(await page.evaluate<string>('location.hash')).not.toMatch(/media|settings|audit/);
      const before = await refusals();
      const firstCall = invoked.length;
      // The nav shows once auth:status has said what this account may call.
      await page.getByTestId('nav-home').waitFor();
      const nav = await page
        .locator('[data-testid^="nav-"]')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')!.slice(4)));
      expect(nav).toEqual(VISIBLE[account.role]);
      for (const screen of nav) {
        await page.getByTestId(`nav-${screen}`).click();
        await page.getByTestId(`screen-${screen}`).waitFor();
        // Let the screen's first calls finish.
        await page.waitForLoadState('networkidle');
        const size = await documentScrolls(page);
        expect(size.scrollHeight, `${account.role} on ${screen}`).toBeLessThanOrEqual(size.innerHeight);
        for (const id of ['sign-out', 'theme-toggle', 'network-badge']) {
          const box = await page.getByTestId(id).boundingBox();
          expect(box, `${id} on ${screen}`).not.toBeNull();
          expect(box!.y + box!.height).toBeLessThanOrEqual(800);
        }
        await shot(page, `${account.role}-${screen}-light`);
      }
      expect(await refusals(), `auth.refused records written while ${account.role} visited screens`).toEqual(
        before,
      );
      // The shell and the screens called only what this role may call (and the host's own channels).
      const may = new Set([...channelsAllowed(account.role), ...SHELL_CHANNEL_NAMES]);
      expect(
        invoked.slice(firstCall).filter((c) => !may.has(c)),
        `${account.role} called`,
      ).toEqual([]);
      // Leave a screen other than Home open for the next account.
      await page.getByTestId(`nav-${nav.at(-1)!}`).click();
    });
  }

  it('dark theme at 1280x800 and 1920x1080: the shell stays put', async () => {
    const { page } = h;
    await page.getByTestId('sign-out').click();
    await signIn(page, 'admin', ADMIN_PASSWORD);
    await page.getByTestId('screen-home').waitFor();
    await page.getByTestId('theme-toggle').click();
    for (const screen of SCREENS) {
      await page.getByTestId(`nav-${screen}`).click();
      await page.waitForLoadState('networkidle');
      const size = await documentScrolls(page);
      expect(size.scrollHeight).toBeLessThanOrEqual(size.innerHeight);
      await shot(page, `admin-${screen}-dark`);
    }
    await page.setViewportSize({ width: 1920, height: 1080 });
    await page.getByTestId('nav-home').click();
    await page.waitForLoadState('networkidle');
    expect((await documentScrolls(page)).scrollHeight).toBeLessThanOrEqual(1080);
    await shot(page, 'admin-home-dark-1920');
    await page.getByTestId('tasks-button').click();
    await page.getByTestId('task-centre').waitFor();
    await shot(page, 'admin-tasks-dark-1920');
    await page.getByTestId('tasks-close').click();
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.getByTestId('theme-toggle').click();
  });

  it('a benchmark started on its screen shows in the task centre after navigating away and a reload; Cancel ends it cancelled', async () => {
    const { page, server } = h;
    const stick = await prepareDemoStick(join(h.tmp, 'demo'));
    await call(
      server.handlers,
      'trust:add',
      { name: 'demo-publisher', publicKeyPem: await readFile(stick.publicKey, 'utf8'), role: 'publisher' },
      ctx,
    );
    const bundle = stick.bundles.find((b) => b.includes('ppocr-cls'))!;
    await call(server.handlers, 'models:import', { path: bundle }, ctx);
    await page.getByTestId('nav-benchmark').click();
    await expect.poll(() => page.getByTestId('bench-model').locator('option').count()).toBeGreaterThan(0);
    // The full run (not the quick one): long enough to cancel from the task centre.
    await page.getByLabel('Quick run: a few configurations, short trials (under a minute)').uncheck();
    await page.getByTestId('bench-go').click();
    await expect.poll(() => page.getByTestId('tasks-running').textContent(), { timeout: 20_000 }).toBe('1');
    await page.getByTestId('nav-home').click();
    await page.getByTestId('tasks-button').click();
    const task = page.getByTestId('task').filter({ hasText: 'Benchmark' });
    await expect.poll(() => task.getAttribute('data-state')).toBe('running');
    await shot(page, 'tasks-running-light');
    await page.reload();
    await page.getByTestId('screen-home').waitFor({ timeout: 20_000 });
    await expect.poll(() => page.getByTestId('tasks-running').textContent(), { timeout: 20_000 }).toBe('1');
    await page.getByTestId('tasks-button').click();
    await expect.poll(() => task.getAttribute('data-state')).toBe('running');
    await task.getByTestId('task-cancel').click();
    await expect.poll(() => task.getAttribute('data-state'), { timeout: 60_000 }).toBe('cancelled');
    expect(await page.getByTestId('tasks-running').count()).toBe(0);
    // Cancelled is an outcome, not an error: a neutral badge.
    expect(await task.getByTestId('task-outcome').locator('.badge').getAttribute('class')).toContain(
      'neutral',
    );
    const tasks = await call(server.handlers, 'tasks:list', {}, ctx);
    expect(tasks.find((t) => t.kind === 'benchmark')?.state).toBe('cancelled');
    await shot(page, 'tasks-cancelled-light');
    // A finished task links to where its result is: the import to Models.
    await page.getByTestId('task').filter({ hasText: 'Import' }).getByTestId('task-link').click();
    await page.getByTestId('screen-models').waitFor();
    expect(await page.getByTestId('task-centre').count()).toBe(0);
    await page.getByTestId('tasks-button').click();
    await page.getByTestId('tasks-clear').click();
    await expect.poll(() => page.getByTestId('task').filter({ hasText: 'Benchmark' }).count()).toBe(0);
    await page.getByTestId('tasks-close').click();
  });

  it('alerts on Home: Acknowledge removes the alert and writes one alert.ack record; operators make no alert calls', async () => {
    const { page, server } = h;
    // A refusal to alert on: the operator's session asks for the accounts list directly.
    await page.getByTestId('sign-out').click();
    await signIn(page, 'operator1', 'operator password 1');
    await page.getByTestId('screen-home').waitFor();
    await page.waitForLoadState('networkidle');
    const calls = invoked.length;
    await page.evaluate("fetch('/invoke/users%3Alist', { method: 'POST', body: '{}' })");
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('nav-home').click();
    await page.waitForLoadState('networkidle');
    expect(await page.getByTestId('alert').count()).toBe(0);
    expect(invoked.slice(calls).filter((c) => c.startsWith('alerts:'))).toEqual([]);
    await page.getByTestId('sign-out').click();
    await signIn(page, 'auditor1', 'auditor password 1');
    const alerts = await call(server.handlers, 'alerts:list', { limit: 500 }, ctx);
    expect(alerts.total).toBeGreaterThan(0);
    const first = alerts.alerts[0]!;
    const row = page.locator(`[data-testid="alert"][data-seq="${first.seq}"]`);
    await expect.poll(() => row.count()).toBe(1);
    await shot(page, 'alerts-auditor-light');
    const acksBefore = (await call(server.handlers, 'audit:list', { action: 'alert.ack', limit: 100 }, ctx))
      .length;
    await row.getByTestId('alert-ack').click();
    await expect.poll(() => row.count()).toBe(0);
    const acks = await call(server.handlers, 'audit:list', { action: 'alert.ack', limit: 100 }, ctx);
    expect(acks.length).toBe(acksBefore + 1);
    expect(acks[0]?.actor).toBe('auditor1');
    const after = await call(server.handlers, 'alerts:list', { limit: 500 }, ctx);
    expect(after.alerts.map((a) => a.seq)).not.toContain(first.seq);
    if (after.total > 1) {
      await page.getByTestId('alerts-ack-all').click();
      await expect.poll(() => page.getByTestId('alert').count()).toBe(0);
      expect((await call(server.handlers, 'alerts:list', { limit: 500 }, ctx)).total).toBe(0);
    }
  });

  it('the page asked for nothing that is not there (no favicon 404)', () => {
    expect(notFound).toEqual([]);
  });
});
