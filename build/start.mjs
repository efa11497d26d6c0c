#!/usr/bin/env node
// `npm start`: launches the desktop app when an Electron binary is installed; otherwise says so
// plainly and points to the CLI, which drives the same engine.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let electronPath = null;
let reason = '';
try {
  electronPath = require('electron');
} catch (error) {
  reason = /failed to install correctly/i.test(String(error?.message))
    ? 'the electron package is installed without its binary (downloads are blocked on this machine)'
    : 'the electron package is not installed';
}
if (typeof electronPath !== 'string') {
  console.log(`Airlock desktop app: cannot start here, because ${reason}.
The engine works without it. Try the command line, which uses the same engine and data:

  node bin/airlock.js demo        (or "npm link" once, then: airlock demo)

To run the desktop app, install on a machine that can download Electron (see docs/offline-install.md).`);
  process.exit(0);
}
// Build the engine, the renderer, main, preload and engine host, then launch.
const { buildApp } = await import('./electron-build.mjs');
const { spawn } = await import('node:child_process');
const out = await buildApp();
const child = spawn(electronPath, [`${out}/main/main.js`], { stdio: 'inherit' });
child.on('exit', (code) => process.exit(code ?? 0));
