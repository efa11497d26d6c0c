#!/usr/bin/env node
// Renderer figures in headless Chromium (Debian's, else the npm package's: test/e2e/browser.ts):
// first paint, time to interactive, audit-table frame times while scrolling 1,000 records
// (baseline) and 100,000 records (ratio printed), JS heap. Runs the measuring e2e test
// (test/e2e/figures.test.ts) and prints test-results/renderer-figures.json.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const root = new URL('..', import.meta.url).pathname;
const npmChromium = (() => {
  try {
    createRequire(import.meta.url).resolve('@sparticuz/chromium');
    return process.platform === 'linux' && process.arch === 'x64';
  } catch {
    return false;
  }
})();
if (!existsSync('/usr/bin/chromium') && !npmChromium) {
  console.log('bench/renderer.mjs: skipped, neither /usr/bin/chromium nor @sparticuz/chromium can run here.');
  process.exit(0);
}
const r = spawnSync(
  `${root}node_modules/.bin/vitest`,
  ['run', 'test/e2e/figures.test.ts', '--reporter=dot'],
  {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  },
);
const file = `${root}test-results/renderer-figures.json`;
if (r.status !== 0 || !existsSync(file)) {
  console.log(
    'bench/renderer.mjs: the figures test failed; run "npx vitest run test/e2e/figures.test.ts" to see why.',
  );
  process.exit(1);
}
const f = JSON.parse(readFileSync(file, 'utf8'));
const row = (name, s) =>
  `  ${name.padEnd(26)} frames ${s.frames}, >16.7 ms ${s.over16}, missed vsync ${s.missedVsync}, p50 ${s.p50} ms, p95 ${s.p95} ms, max ${s.max} ms`;
console.log(`Renderer (headless Chromium, software rendering)
  first contentful paint     ${f.firstContentfulPaintMs} ms
  DOM interactive            ${f.domInteractiveMs} ms
  Home interactive           ${f.homeInteractiveMs} ms (engine data on screen)
  JS heap after Home         ${f.heapAfterHomeMb} MiB
  JS heap after audit 100k   ${f.heapAfterAudit100kMb} MiB
Audit table scroll (240 rAF frames each)
${row('1,000 records, jump', f.auditScroll1k.jump)}
${row('1,000 records, steady', f.auditScroll1k.steady)}
${row('100,000 records, jump', f.auditScroll100k.jump)}
${row('100,000 records, steady', f.auditScroll100k.steady)}
  p95 ratio 100k vs 1k       jump ${f.auditScrollRatio100kVs1k_p95_jump}x, steady ${f.auditScrollRatio100kVs1k_p95_steady}x`);
