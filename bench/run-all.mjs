#!/usr/bin/env node
// `npm run bench`: builds the engine, then runs every bench script in turn. Each prints ratios
// against a baseline measured in the same run. Pass --quick for a short smoke run.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const scripts = [
  'core.mjs',
  'import.mjs',
  'audit.mjs',
  'autotune.mjs',
  'batching.mjs',
  'ort-web.mjs',
  'renderer.mjs',
];

const build = spawnSync(`${root}node_modules/.bin/tsc`, ['-b', 'runtime'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
let failed = 0;
for (const script of scripts) {
  const file = `${root}bench/${script}`;
  if (!existsSync(file)) continue;
  console.log(`\n===== bench/${script} =====`);
  const r = spawnSync(process.execPath, [file, ...args], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) failed += 1;
}
process.exit(failed === 0 ? 0 : 1);
