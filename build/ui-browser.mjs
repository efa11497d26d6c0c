#!/usr/bin/env node
// `npm run ui:browser -- --data-dir DIR [--port N]`: a development and test tool. Builds the
// renderer with Vite and serves it, with the real engine on DIR, over the loopback test transport
// (test/e2e/loopback-server.ts) on 127.0.0.1 only, so the UI can be used in a local browser
// without Electron. The desktop app itself opens no socket. Ctrl-C stops it and closes the engine.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const usage = 'usage: npm run ui:browser -- --data-dir DIR [--port N]';

let values;
try {
  ({ values } = parseArgs({
    options: { 'data-dir': { type: 'string' }, port: { type: 'string' }, help: { type: 'boolean' } },
    strict: true,
  }));
} catch (error) {
  console.error(`${error.message}\n${usage}`);
  process.exit(2);
}
if (values.help) {
  console.log(usage);
  process.exit(0);
}
if (!values['data-dir']) {
  console.error(`--data-dir is required (the engine's data directory; a new one is created).\n${usage}`);
  process.exit(2);
}
const port = values.port === undefined ? 0 : Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be a whole number from 0 to 65535; given ${values.port}.\n${usage}`);
  process.exit(2);
}

const { build, runnerImport } = await import('vite');
const dist = mkdtempSync(join(tmpdir(), 'airlock-ui-browser-'));
await build({
  configFile: join(ROOT, 'renderer', 'vite.config.mjs'),
  build: { outDir: dist, emptyOutDir: true },
  logLevel: 'warn',
});
// The loopback server is TypeScript under test/: loaded through Vite's module runner (no build).
const { module } = await runnerImport(join(ROOT, 'test', 'e2e', 'loopback-server.ts'));
let server;
try {
  server = await module.startLoopbackServer({ dataDir: resolve(values['data-dir']), staticDir: dist, port });
} catch (error) {
  rmSync(dist, { recursive: true, force: true });
  console.error(`ui:browser: cannot start: ${error?.message ?? error}`);
  process.exit(1);
}
console.log(`Airlock UI (loopback test transport, 127.0.0.1 only): ${server.url}/`);
console.log('Press Ctrl-C to stop.');

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  try {
    await server.close();
  } finally {
    rmSync(dist, { recursive: true, force: true });
  }
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
