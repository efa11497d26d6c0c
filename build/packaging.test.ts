/**
 * The packaging configuration and the app build, checked without Electron's binary (downloads are
 * blocked here): electron-builder's own schema validation, the settings issue 6 requires, and the
 * built main/preload/renderer files.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { FUSES } from '../electron/main/policy.js';

const require = createRequire(import.meta.url);
const config = require('./electron-builder.config.cjs') as Record<string, unknown> & {
  linux: { target: string[] };
  win: { target: string[] };
  mac: { target: string[] };
  asarUnpack: string[];
  files: string[];
  electronFuses: Record<string, boolean>;
};
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  optionalDependencies: Record<string, string>;
};

describe('electron-builder configuration', () => {
  it("passes electron-builder's own schema validation", async () => {
    const { validateConfiguration } = require('app-builder-lib/out/util/config/config') as {
      validateConfiguration(c: unknown, logger: unknown): Promise<void>;
    };
    const { DebugLogger } = require('builder-util/out/DebugLogger') as {
      DebugLogger: new (on: boolean) => unknown;
    };
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
    // A misspelt key is caught, so the check above is not vacuous.
    await expect(validateConfiguration({ ...config, asarUnpak: [] }, new DebugLogger(false))).rejects.toThrow(
      /asarUnpak/,
    );
  });

  it('builds AppImage and deb for Linux, NSIS for Windows, dmg for macOS', () => {
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.win.target).toEqual(['nsis']);
    expect(config.mac.target).toEqual(['dmg']);
  });

  it('pins Electron to the version package.json installs', () => {
    expect(config['electronVersion']).toBe('41.7.1');
    expect(pkg.optionalDependencies['electron']).toBe('41.7.1');
  });

  it('rebuilds native modules for Electron and unpacks them from the asar', () => {
    expect(config['npmRebuild']).toBe(true);
    expect(config['asar']).toBe(true);
    for (const name of ['onnxruntime-node', 'better-sqlite3']) {
      expect(config.asarUnpack.some((p) => p.includes(`node_modules/${name}/`))).toBe(true);
    }
    expect(config.asarUnpack).toContain('**/*.node');
  });

  it('has no auto-update: publish is null and no update files are written', () => {
    expect(config['publish']).toBeNull();
    expect(config['generateUpdatesFilesForAllChannels']).toBe(false);
  });

  it('flips the fuses the shell expects', () => {
    expect(config.electronFuses).toEqual(FUSES);
    expect(config.electronFuses['runAsNode']).toBe(false);
    expect(config.electronFuses['onlyLoadAppFromAsar']).toBe(true);
    expect(config.electronFuses['enableEmbeddedAsarIntegrityValidation']).toBe(true);
  });

  it('ships the built shell and the engine, not sources or tests', () => {
    expect(config.files).toEqual(
      expect.arrayContaining(['out/app/**/*', 'dist/runtime/**/*.js', '!**/*.ts']),
    );
    expect((config['extraMetadata'] as { main: string }).main).toBe('out/app/main/main.js');
  });
});

describe('the app build (node build/electron-build.mjs)', () => {
  it('emits main and engine host as ES modules over dist/runtime, and a self-contained CommonJS preload', async () => {
    const script = './electron-build.mjs';
    const { buildApp } = (await import(script)) as { buildApp(): Promise<string> };
    const out = await buildApp();
    const main = readFileSync(`${out}/main/main.js`, 'utf8');
    const host = readFileSync(`${out}/main/engine-host.js`, 'utf8');
    const preload = readFileSync(`${out}/preload/preload.cjs`, 'utf8');
    const html = readFileSync(`${out}/renderer/index.html`, 'utf8');
    const imports = (code: string) => [...code.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1]);
    for (const spec of [...imports(main), ...imports(host)]) {
      expect(spec, spec).toMatch(/^(node:|electron$|zod$|\.\.\/\.\.\/\.\.\/dist\/runtime\/index\.js$)/);
    }
    expect(imports(host)).toContain('../../../dist/runtime/index.js');
    // Sandboxed preload: CommonJS, requires electron only, exposes only "airlock".
    expect([...preload.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1])).toEqual(['electron']);
    expect(preload).toContain('exposeInMainWorld("airlock"');
    expect(preload).not.toMatch(/^import /m);
    // The page loads only its own files: no inline script, no remote URL.
    expect(html).not.toMatch(/<script>(?!<)/);
    expect(html).not.toMatch(/https?:\/\//);
  }, 180_000);
});
