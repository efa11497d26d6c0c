/**
 * Shared set-up for the renderer end-to-end tests: build the renderer with Vite into a temp
 * folder, start the loopback transport on a fresh data dir with the real engine, and open Debian's
 * Chromium (offline flags) with Playwright.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startLoopbackServer, type LoopbackServer } from './loopback-server.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = join(ROOT, 'docs', 'screenshots');

/** Why the browser tests cannot run here, or null when they can. */
export function browserUnavailable(): string | null {
  return existsSync(CHROMIUM) ? null : `${CHROMIUM} is not installed (apt-get install chromium)`;
}

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
  await mkdir(join(tmp, 'profile'), { recursive: true });
  const context = await chromium.launchPersistentContext(join(tmp, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: options.width ?? 1360, height: options.height ?? 900 },
    colorScheme: options.colorScheme ?? 'light',
    offline: false,
    acceptDownloads: false,
  });
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
