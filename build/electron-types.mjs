#!/usr/bin/env node
// Run by `npm ci` (the "prepare" script). Makes Electron's type definitions available even where
// the Electron binary cannot be downloaded.
//
// electron is an optional dependency whose postinstall downloads the binary from GitHub. Where that
// fails (an offline or registry-only machine), npm removes the whole package, and electron.d.ts
// with it, so nothing that imports 'electron' type-checks. Neither electron's install.js nor
// @electron/get reads a setting from .npmrc that skips the download (only the environment variable
// ELECTRON_SKIP_BINARY_DOWNLOAD), so this script takes the types from the same electron package
// the lockfile pins: `npm pack` fetches its tarball (from npm's cache, which `npm ci` has just
// filled, else the registry), the tarball must match the lockfile's integrity, and electron.d.ts
// is copied into node_modules/.cache. tsconfig.base.json's `paths` map 'electron' to the installed
// package first and to this copy second. Nothing is done when the package is installed.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import tar from 'tar-stream';

const root = fileURLToPath(new URL('..', import.meta.url));
export const INSTALLED_TYPES = join(root, 'node_modules', 'electron', 'electron.d.ts');
export const FALLBACK_TYPES = join(root, 'node_modules', '.cache', 'airlock-electron-types', 'electron.d.ts');

/** The version electron.d.ts states in its first line ("// Type definitions for Electron 41.7.1"). */
function typesVersion(file) {
  if (!existsSync(file)) return null;
  return /^\/\/ Type definitions for Electron (\S+)/.exec(readFileSync(file, 'utf8'))?.[1] ?? null;
}

function npm(args, cwd) {
  // Inside an npm lifecycle script npm_execpath is the npm that runs it; otherwise the one on PATH.
  const execPath = process.env.npm_execpath;
  const [cmd, argv] =
    execPath && /\.[cm]?js$/.test(execPath)
      ? [process.execPath, [execPath, ...args]]
      : [process.platform === 'win32' ? 'npm.cmd' : 'npm', args];
  return spawnSync(cmd, argv, { cwd, encoding: 'utf8', shell: process.platform === 'win32' });
}

async function extractFile(tgz, wanted) {
  const extract = tar.extract();
  let found = null;
  const done = new Promise((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      const chunks = [];
      stream.on('data', (c) => {
        if (header.name === wanted) chunks.push(c);
      });
      stream.on('end', () => {
        if (header.name === wanted) found = Buffer.concat(chunks);
        next();
      });
      stream.resume();
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  extract.end(gunzipSync(tgz));
  await done;
  return found;
}

export async function ensureElectronTypes() {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
  const pinned = lock.packages?.['node_modules/electron'];
  if (!pinned?.version || !pinned.integrity) throw new Error('package-lock.json pins no electron version');
  if (typesVersion(INSTALLED_TYPES) === pinned.version) return 'installed';
  if (typesVersion(FALLBACK_TYPES) === pinned.version) return 'cached';

  const work = mkdtempSync(join(tmpdir(), 'airlock-electron-types-'));
  try {
    const packed = npm(
      ['pack', `electron@${pinned.version}`, '--pack-destination', work, '--prefer-offline', '--json'],
      work,
    );
    if (packed.status !== 0) throw new Error(`npm pack failed: ${(packed.stderr || packed.stdout).trim()}`);
    const [{ filename }] = JSON.parse(packed.stdout);
    const tgz = readFileSync(join(work, filename));
    const [algorithm, expected] = pinned.integrity.split('-', 2);
    const actual = createHash(algorithm).update(tgz).digest('base64');
    if (actual !== expected)
      throw new Error(`${filename} does not match the integrity package-lock.json records for it`);
    const types = await extractFile(tgz, 'package/electron.d.ts');
    if (!types) throw new Error(`${filename} has no electron.d.ts`);
    mkdirSync(join(FALLBACK_TYPES, '..'), { recursive: true });
    const partial = `${FALLBACK_TYPES}.${process.pid}`;
    writeFileSync(partial, types);
    renameSync(partial, FALLBACK_TYPES);
    return 'extracted';
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    const how = await ensureElectronTypes();
    if (how === 'extracted')
      console.log(
        `electron-types: the electron package is not installed (its binary could not be downloaded); its type definitions are in ${FALLBACK_TYPES}.`,
      );
  } catch (error) {
    // Never fail the install for this: the engine and the CLI do not need it. `npm test` then skips
    // the electron shell's type-check and says why.
    console.warn(`electron-types: could not provide Electron's type definitions: ${error.message}`);
  }
}
