#!/usr/bin/env node
// Import figures (issue 3), each against a baseline measured in this same run on the same file:
//  1. import throughput (one streaming pass: hash + staging copy + signature/digest checks + ONNX
//     I/O check + atomic commit with its audit record) of a generated bundle of >= 100 MB, vs
//     `cp` followed by `sha256sum` of the copy (the least any verified copy must do). Target >= 0.8.
//  2. peak RSS of a process importing bundles of two sizes (target: flat, independent of size).
// Usage: node bench/import.mjs [--quick]     (build first: npx tsc -b runtime)
import { execFileSync, spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Airlock } from '../dist/runtime/airlock.js';
import { createBundle, signBundle } from '../dist/runtime/bundle/writer.js';
import { generateSigningKey } from '../dist/runtime/crypto/keys.js';
import { importPath } from '../dist/runtime/import/importer.js';

const quick = process.argv.includes('--quick');
const MB = 1024 * 1024;
const THROUGHPUT_MB = quick ? 100 : 256;
const RSS_SIZES_MB = quick ? [50, 200] : [100, 400];
const RUNS = quick ? 2 : 3;
const model = new URL('../test/fixtures/models/classifier.onnx', import.meta.url).pathname;
const actor = { name: 'bench', source: `bench:${process.pid}` };
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function makeBundle(root, pub, megabytes) {
  const weights = join(root, `weights-${megabytes}.bin`);
  const buf = Buffer.alloc(megabytes * MB);
  randomFillSync(buf);
  writeFileSync(weights, buf);
  const out = join(root, `big-${megabytes}.airlock`);
  await createBundle({ model, name: 'big', version: '1.0.0', out, extraFiles: { 'weights.bin': weights } });
  await signBundle(out, pub.privateKeyPem);
  rmSync(weights);
  return out;
}

function freshDataDir(root, pub, n) {
  const dataDir = join(root, `data-${n}`);
  const airlock = Airlock.open({ dataDir });
  airlock.db
    .prepare(
      "INSERT INTO trust_keys (name, key_id, public_key_pem, role, added_at, added_by) VALUES ('bench', ?, ?, 'publisher', ?, 'bench')",
    )
    .run(pub.keyId, pub.publicKeyPem, new Date().toISOString());
  return { dataDir, airlock };
}

/** Peak RSS of a fresh process that opens a data dir and (unless `bundle` is null) imports it. */
function peakRss(dataDir, bundle) {
  const dist = new URL('../dist/runtime/', import.meta.url).href;
  const script = `
    const { Airlock } = await import(${JSON.stringify(dist + 'airlock.js')});
    const { importPath } = await import(${JSON.stringify(dist + 'import/importer.js')});
    await import('onnxruntime-node');
    // Sampled here, not getrusage's maxRSS: on Linux that keeps the high-water mark of the forked
    // parent image across exec, so a big parent would inflate it.
    let peak = process.memoryUsage().rss;
    const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 5);
    const airlock = Airlock.open({ dataDir: ${JSON.stringify(dataDir)} });
    const bundle = ${JSON.stringify(bundle)};
    let installed = 0;
    if (bundle) installed = (await importPath(airlock, { name: 'bench', source: 'bench' }, bundle)).installed;
    await airlock.close();
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    console.log(JSON.stringify({ maxRssKb: peak / 1024, installed }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    cwd: new URL('..', import.meta.url).pathname,
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').at(-1));
}

const root = await mkdtemp(join(tmpdir(), 'airlock-bench-import-'));
try {
  console.log(
    `machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, node ${process.versions.node}${quick ? ' (quick)' : ''}`,
  );
  const pub = generateSigningKey();

  // 1. Throughput vs cp + sha256sum, alternating runs, medians.
  const bundle = await makeBundle(root, pub, THROUGHPUT_MB);
  const size = statSync(bundle).size;
  const importS = [];
  const baselineS = [];
  for (let i = 0; i < RUNS; i++) {
    const copy = join(root, 'copy.airlock');
    let t = performance.now();
    execFileSync('cp', [bundle, copy]);
    execFileSync('sha256sum', [copy]);
    baselineS.push((performance.now() - t) / 1000);
    rmSync(copy);

    const { dataDir, airlock } = freshDataDir(root, pub, i);
    t = performance.now();
    const report = await importPath(airlock, actor, bundle);
    importS.push((performance.now() - t) / 1000);
    if (report.installed !== 1) throw new Error(`import failed: ${JSON.stringify(report.items[0]?.error)}`);
    await airlock.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  const importRate = size / MB / median(importS);
  const baselineRate = size / MB / median(baselineS);
  const ratio = importRate / baselineRate;
  console.log(`bundle ${(size / MB).toFixed(1)} MiB, ${RUNS} runs each, medians:`);
  console.log(`  airlock import          ${importRate.toFixed(1)} MiB/s  (${median(importS).toFixed(3)} s)`);
  console.log(
    `  cp + sha256sum          ${baselineRate.toFixed(1)} MiB/s  (${median(baselineS).toFixed(3)} s)`,
  );
  console.log(
    `  ratio import / baseline ${ratio.toFixed(2)}  (target >= 0.8: ${ratio >= 0.8 ? 'met' : 'NOT met'})`,
  );
  rmSync(bundle);

  // 2. Peak RSS for two bundle sizes, and for the same process importing nothing.
  const idleDir = freshDataDir(root, pub, 'idle');
  await idleDir.airlock.close();
  const idle = peakRss(idleDir.dataDir, null);
  console.log(
    `peak RSS, fresh process: open + load onnxruntime, no import  ${(idle.maxRssKb / 1024).toFixed(1)} MiB`,
  );
  const rss = [];
  for (const mb of RSS_SIZES_MB) {
    const file = await makeBundle(root, pub, mb);
    const { dataDir, airlock } = freshDataDir(root, pub, `rss-${mb}`);
    await airlock.close();
    const r = peakRss(dataDir, file);
    if (r.installed !== 1) throw new Error('import failed in the RSS child');
    rss.push(r.maxRssKb / 1024);
    console.log(
      `peak RSS importing a ${String(mb).padStart(4)} MiB bundle                   ${(r.maxRssKb / 1024).toFixed(1)} MiB (+${((r.maxRssKb - idle.maxRssKb) / 1024).toFixed(1)} over idle)`,
    );
    rmSync(file);
    rmSync(dataDir, { recursive: true, force: true });
  }
  const growth = rss[1] / rss[0];
  console.log(
    `  RSS ratio ${RSS_SIZES_MB[1]} MiB / ${RSS_SIZES_MB[0]} MiB bundle: ${growth.toFixed(2)} for ${RSS_SIZES_MB[1] / RSS_SIZES_MB[0]}x the bytes (flat: ~1.0)`,
  );
} finally {
  await rm(root, { recursive: true, force: true });
}
