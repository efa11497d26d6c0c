/**
 * Shared set-up for the renderer end-to-end tests: build the renderer with Vite into a temp
 * folder, start the loopback transport on a fresh data dir with the real engine, and open Chromium
 * (Debian's, else the npm package's: see browser.ts) with offline flags through Playwright.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { chromiumInstall } from './browser.js';
import { startLoopbackServer, type LoopbackServer } from './loopback-server.js';

export { browserUnavailable } from './browser.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const SCREENSHOTS = join(ROOT, 'docs', 'screenshots');

export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
];

export async function buildRenderer(outDir: string): Promise<void> {
  const { build } = await import('vite');
  await build({
    configFile: join(ROOT, 'renderer', 'vite.config.mjs'),
    build: { outDir, emptyOutDir: true },
    logLevel: 'error',
  });
}

export interface Harness {
  readonly tmp: string;
  readonly server: LoopbackServer;
  readonly context: BrowserContext;
  readonly page: Page;
  close(): Promise<void>;
}

export async function openHarness(
  options: { width?: number; height?: number; colorScheme?: 'light' | 'dark' } = {},
): Promise<Harness> {
  const tmp = mkdtempSync(join(tmpdir(), 'airlock-e2e-'));
  const dist = join(tmp, 'renderer-dist');
  await buildRenderer(dist);
  const server = await startLoopbackServer({ dataDir: join(tmp, 'data'), staticDir: dist });
  const browser = await chromiumInstall();
  const launch = async (profile: string) => {
    await mkdir(profile, { recursive: true });
    return chromium.launchPersistentContext(profile, {
      executablePath: browser.executablePath,
      ...(Object.keys(browser.env).length > 0 ? { env: { ...process.env, ...browser.env } } : {}),
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: options.width ?? 1360, height: options.height ?? 900 },
      colorScheme: options.colorScheme ?? 'light',
      // Not the machine's: under LANG=C.UTF-8 the npm package's Chromium reports "en-US@posix",
      // which Intl refuses ("Invalid language tag"), and screenshots must not vary with the machine.
      locale: 'en-US',
      offline: false,
      acceptDownloads: false,
    });
  };
  let context: BrowserContext;
  try {
    context = await launch(join(tmp, 'profile'));
  } catch (error) {
    // On a loaded 2-core box the headless shell has once died at start (SIGSEGV before its first
    // page, not reproduced since). Say so and start it once more on a fresh profile; a browser
    // that cannot start twice fails the tests.
    console.warn(`harness: Chromium did not start, trying once more: ${String(error).split('\n')[0]}`);
    context = await launch(join(tmp, 'profile-2'));
  }
  // Anything not served by the loopback transport is refused: the page must not reach out.
  const refused: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(server.url)) return route.continue();
    refused.push(url);
    return route.abort();
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    tmp,
    server,
    context,
    page,
    close: async () => {
      await context.close();
      await server.close();
      rmSync(tmp, { recursive: true, force: true });
      if (refused.length > 0)
        throw new Error(`The page tried to reach outside the loopback transport: ${refused.join(', ')}`);
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true });
  await page.evaluate('document.querySelector("main")?.scrollTo(0, 0)');
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: false, animations: 'disabled' });
}

/** First start: creates the first admin through the setup screen and waits until it is signed in. */
export async function setUpFirstAdmin(h: Harness, password: string, name = 'admin'): Promise<void> {
  const { page, server } = h;
  await page.goto(server.url);
  await page.getByTestId('setup').waitFor();
  await page.getByTestId('auth-name').fill(name);
  await page.getByTestId('auth-password').fill(password);
  await page.getByTestId('auth-confirm').fill(password);
  await page.getByTestId('auth-submit').click();
  await page.getByTestId('account').filter({ hasText: name }).waitFor({ timeout: 20_000 });
}
