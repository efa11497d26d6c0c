#!/usr/bin/env node
// Builds what the desktop app runs into out/app: the renderer (Vite) into out/app/renderer, the
// main process and the engine host as ES modules into out/app/main (dependencies stay in
// node_modules), and the preload as one CommonJS file (sandboxed preloads cannot be ES modules
// and may require nothing but electron).
import { builtinModules } from 'node:module';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = `${root}out/app`;
const nodeExternals = [/^node:/, ...builtinModules, 'electron', /^[a-z@][^:]*$/];

/**
 * The engine is not bundled: it finds files next to its modules (the export verifier, worker
 * sources, onnxruntime's binaries). Main and the engine host import it from dist/runtime, which
 * `tsc -b` builds and the installer ships.
 */
const engineFromDist = {
  name: 'airlock-engine-from-dist',
  enforce: 'pre',
  resolveId(source, importer) {
    if (importer && importer.includes('/electron/main/') && /\/runtime\/index\.js$/.test(source)) {
      return { id: `${root}dist/runtime/index.js`, external: true };
    }
    return null;
  },
};

export async function buildApp() {
  rmSync(out, { recursive: true, force: true });
  try {
    execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-b'], {
      cwd: root,
      stdio: 'pipe',
    });
  } catch (error) {
    // tsc still emits on type errors; `npm test` reports them. Say so and go on.
    console.warn(
      `electron-build: "tsc -b" reported errors:\n${String(error.stdout ?? error.message).slice(0, 2000)}`,
    );
  }
  await build({
    configFile: `${root}renderer/vite.config.mjs`,
    build: { outDir: `${out}/renderer`, emptyOutDir: true },
    logLevel: 'warn',
  });
  await build({
    configFile: false,
    root,
    logLevel: 'warn',
    plugins: [engineFromDist],
    build: {
      ssr: true,
      outDir: `${out}/main`,
      emptyOutDir: true,
      target: 'node22',
      minify: false,
      rollupOptions: {
        input: { main: `${root}electron/main/main.ts`, 'engine-host': `${root}electron/main/engine-host.ts` },
        external: nodeExternals,
        output: {
          format: 'es',
          entryFileNames: '[name].js',
          // out/app/main/*.js → <app root>/dist/runtime/index.js
          paths: { [`${root}dist/runtime/index.js`]: '../../../dist/runtime/index.js' },
        },
      },
    },
  });
  await build({
    configFile: false,
    root,
    logLevel: 'warn',
    build: {
      ssr: true,
      outDir: `${out}/preload`,
      emptyOutDir: true,
      target: 'node22',
      minify: false,
      // Bundle the contract (and zod) in: only electron is required at run time.
      ssrEmitAssets: false,
      rollupOptions: {
        input: { preload: `${root}electron/preload/preload.ts` },
        external: ['electron'],
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
    ssr: { noExternal: true },
  });
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = await buildApp();
  console.log(`Built the desktop app into ${dir}`);
}
