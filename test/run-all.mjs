#!/usr/bin/env node
// `npm test`: type-check every layer, lint (layering rules included), check formatting, then run
// every test (unit, integration, renderer end-to-end in Chromium) with vitest. Ends with the line
// "N passed, N failed" (static checks count as one test each).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const bin = (name) => join(root, 'node_modules', '.bin', name);
const only = process.argv.slice(2);

const checks = [
  ['build engine (tsc -b runtime)', bin('tsc'), ['-b', 'runtime']],
  ['type-check tests, benches and build scripts', bin('tsc'), ['-p', 'tsconfig.json']],
  ...(existsSync(join(root, 'renderer', 'tsconfig.json'))
    ? [['type-check renderer', bin('tsc'), ['-p', 'renderer/tsconfig.json']]]
    : []),
  ...(existsSync(join(root, 'electron', 'tsconfig.json'))
    ? // Electron's types: the installed package's, else the copy build/electron-types.mjs makes.
      existsSync(join(root, 'node_modules', 'electron', 'electron.d.ts')) ||
      existsSync(join(root, 'node_modules', '.cache', 'airlock-electron-types', 'electron.d.ts'))
      ? [['type-check electron shell', bin('tsc'), ['-p', 'electron/tsconfig.json', '--noEmit']]]
      : [
          [
            "SKIP type-check electron shell (no type definitions for electron: run 'node build/electron-types.mjs' with access to the npm registry, and see what it says)",
            null,
            [],
          ],
        ]
    : []),
  ['lint (eslint, layering rules)', bin('eslint'), ['.', '--max-warnings=0']],
  ['format (prettier --check)', bin('prettier'), ['--check', '.', '--log-level=warn']],
];

let passed = 0;
let failed = 0;
if (only.length === 0) {
  for (const [name, cmd, args] of checks) {
    if (cmd === null) {
      console.log(`\n== ${name}`);
      continue;
    }
    console.log(`\n== ${name}`);
    const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
    if (r.status === 0) passed += 1;
    else {
      failed += 1;
      console.log(`FAILED: ${name}`);
    }
  }
}

console.log('\n== tests (vitest)');
const outDir = join(root, 'test-results');
mkdirSync(outDir, { recursive: true });
const report = join(outDir, 'vitest.json');
rmSync(report, { force: true });
spawnSync(
  bin('vitest'),
  ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...only],
  {
    cwd: root,
    stdio: 'inherit',
  },
);
if (existsSync(report)) {
  const r = JSON.parse(readFileSync(report, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  // A suite that failed without a failed test counts as a failure too: one that failed to load
  // (no tests), or whose beforeAll threw (its tests are reported as skipped, not failed).
  failed += r.testResults.filter(
    (s) => s.status === 'failed' && !s.assertionResults.some((a) => a.status === 'failed'),
  ).length;
} else {
  failed += 1;
  console.log('FAILED: vitest wrote no report');
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
