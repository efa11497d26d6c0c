/**
 * The packaged shell end to end with Playwright's Electron support: runs only where the Electron
 * binary is installed (downloads are blocked on the CI box), and prints why it was skipped
 * otherwise. The same checks on the pure parts run everywhere (electron/main/policy.test.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { _electron as electron } from 'playwright-core';
import { describe, expect, it } from 'vitest';

function electronBinary(): { path: string | null; reason: string } {
  try {
    const path = createRequire(import.meta.url)('electron') as unknown;
    if (typeof path === 'string') return { path, reason: '' };
    return { path: null, reason: 'the electron package did not return a binary path' };
  } catch (error) {
    return {
      path: null,
      reason: /failed to install correctly/i.test(String((error as Error).message))
        ? 'the electron package is installed without its binary (downloads are blocked on this machine)'
        : 'the electron package is not installed',
    };
  }
}

const binary = electronBinary();
if (!binary.path) console.log(`SKIP Electron end-to-end test: ${binary.reason}`);

describe.skipIf(binary.path === null)('the desktop app in Electron', () => {
  it('opens the sandboxed window, locks the network and serves only the contract', async () => {
    const script = '../../build/electron-build.mjs';
    const { buildApp } = (await import(script)) as { buildApp(): Promise<string> };
    const out = await buildApp();
    const home = mkdtempSync(join(tmpdir(), 'airlock-electron-'));
    const app = await electron.launch({
      executablePath: binary.path!,
      args: [join(out, 'main', 'main.js')],
      env: { ...process.env, AIRLOCK_HOME: join(home, 'data') } as Record<string, string>,
    });
    try {
      const page = await app.firstWindow();
      await page.getByTestId('setup').waitFor();
      expect(page.url()).toBe('app://airlock/index.html');
      // The page has the bridge and nothing of Node.
      expect(await page.evaluate('Object.keys(window.airlock).sort().join(",")')).toBe('invoke,on');
      expect(await page.evaluate('typeof require + typeof process + typeof Buffer')).toBe(
        'undefinedundefinedundefined',
      );
      const bogus = (await page.evaluate('window.airlock.invoke("fs:read", { path: "/etc/passwd" })')) as {
        ok: boolean;
        error: { code: string };
      };
      expect(bogus).toMatchObject({ ok: false, error: { code: 'USAGE' } });
      const net = (await page.evaluate('window.airlock.invoke("system:network", {})')) as {
        ok: boolean;
        value: { locked: boolean; transport: string; blockedRequests: number };
      };
      expect(net.value).toMatchObject({ transport: 'electron', locked: true });
      // A request from the page to the outside is cancelled, and counted.
      const fetched = await page.evaluate(
        'fetch("https://example.com/").then(() => "reached", () => "blocked")',
      );
      expect(fetched).toBe('blocked');
      const after = (await page.evaluate('window.airlock.invoke("system:network", {})')) as {
        value: { blockedRequests: number };
      };
      expect(after.value.blockedRequests).toBeGreaterThan(net.value.blockedRequests);
      // Navigation away and new windows are refused.
      await page.evaluate('location.href = "https://example.com/"').catch(() => {});
      await page.evaluate('window.open("https://example.com/")');
      expect(app.windows()).toHaveLength(1);
      expect(page.url()).toBe('app://airlock/index.html');
    } finally {
      await app.close();
      rmSync(home, { recursive: true, force: true });
    }
  }, 240_000);
});
