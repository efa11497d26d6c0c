#!/usr/bin/env node
// Auto-tuned config vs onnxruntime defaults: Offline throughput (samples/s) on the PP-OCRv4
// recogniser (x [N, 3, 48, 320]) and the PP-OCR orientation classifier (x [N, 3, 48, 192]).
//
// 1. The product path chooses the config: the real demo bundles are imported into a fresh data
//    directory and `bench:run` (scenario offline) searches threads x optimisation level x
//    execution mode x batch size and stores its throughput choice.
// 2. The ratio is then measured apart from the search, with the same harness on both sides:
//    onnxruntime defaults (default session options, one sample per run) and the tuned config
//    (its session options and batch size) in alternating rounds, so load from other processes
//    hits both alike. Printed: each side's samples/s, tuned/default, and the part of the gain
//    that the session options alone give (tuned options at batch 1).
//
//   node bench/autotune.mjs [--quick]
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';

const root = new URL('..', import.meta.url).pathname;
const { Airlock } = await import(`${root}dist/runtime/airlock.js`);
const { createHandlers } = await import(`${root}dist/runtime/api/handlers.js`);
const { prepareDemoStick } = await import(`${root}dist/runtime/demo/demo.js`);
const { measureStream } = await import(`${root}dist/runtime/bench/trial.js`);
const { feedsFor } = await import(`${root}dist/runtime/bench/inputs.js`);
const { describeConfig } = await import(`${root}dist/runtime/tuning/choose.js`);
const { sessionOptions, toSessionConfig } = await import(`${root}dist/runtime/inference/engine.js`);

const quick = process.argv.includes('--quick');
const rounds = quick ? 1 : 3;
const roundMs = quick ? 1000 : 3000;
const MODELS = [
  { ref: 'ppocr-rec', shape: [1, 3, 48, 320], label: 'PP-OCRv4 recogniser x[N,3,48,320]' },
  { ref: 'ppocr-cls', shape: [1, 3, 48, 192], label: 'PP-OCR orientation classifier x[N,3,48,192]' },
];

const work = await mkdtemp(join(tmpdir(), 'airlock-autotune-'));
const actor = { name: 'bench', source: `bench:${process.pid}` };
const ctx = { actor };
const airlock = Airlock.open({ dataDir: join(work, 'data') });
const handlers = createHandlers(airlock);
console.log(
  `machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores; load average ${loadavg()[0].toFixed(2)}; onnxruntime-node ${ort.env.versions.node}; ${quick ? 'quick' : 'full'} run`,
);
try {
  const demo = await prepareDemoStick(work);
  await handlers['trust:add'](
    { name: 'demo', publicKeyPem: await readFile(demo.publicKey, 'utf8'), role: 'publisher' },
    ctx,
  );
  await handlers['models:import']({ path: demo.stick }, ctx);
  const results = [];
  for (const m of MODELS) {
    const started = performance.now();
    const report = await handlers['bench:run'](
      { model: m.ref, scenario: 'offline', quick, shapes: { x: m.shape }, providers: ['cpu'] },
      ctx,
    );
    const tuned = report.best.throughput.config;
    console.log(
      `\n${m.label}: search of ${report.trials.length} configurations took ${((performance.now() - started) / 1000).toFixed(1)} s; chose ${describeConfig(tuned)}`,
    );
    const model = await handlers['models:get']({ ref: m.ref }, ctx);
    const file = airlock.store.blobPath(model.files.find((f) => f.path === model.card.model).sha256);
    const specs = model.card.inputs;
    const sides = [
      { name: 'onnxruntime defaults', options: sessionOptions({ executionProvider: 'cpu' }), batch: 1 },
      {
        name: `tuned (${describeConfig(tuned)})`,
        options: sessionOptions(toSessionConfig(tuned)),
        batch: tuned.batchSize ?? 1,
      },
      { name: 'tuned options, batch 1', options: sessionOptions(toSessionConfig(tuned)), batch: 1 },
    ];
    const budget = { warmupQueries: 2, warmupMs: 300, minQueries: 3, maxQueries: 1_000_000, maxMs: roundMs };
    const sessions = [];
    for (const s of sides) sessions.push(await ort.InferenceSession.create(file, s.options));
    const totals = sides.map(() => ({ samples: 0, ms: 0 }));
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < sides.length; i++) {
        const feeds = feedsFor(specs, sides[i].batch, { shapes: { x: m.shape } });
        const run = () => sessions[i].run(feeds);
        const res = await measureStream(run, sides[i].batch, budget);
        totals[i].samples += res.queries * sides[i].batch;
        totals[i].ms += res.durationMs;
      }
    }
    for (const s of sessions) await s.release();
    const rate = totals.map((t) => (t.samples * 1000) / t.ms);
    sides.forEach((s, i) =>
      console.log(`  ${s.name.padEnd(60)} ${rate[i].toFixed(1).padStart(9)} samples/s`),
    );
    const ratio = rate[1] / rate[0];
    console.log(
      `  RATIO tuned/defaults (Offline throughput): ${ratio.toFixed(2)}x  (target >= 1.3); session options alone: ${(rate[2] / rate[0]).toFixed(2)}x`,
    );
    results.push({ model: m.ref, ratio });
  }
  console.log(`\nsummary: ${results.map((r) => `${r.model} ${r.ratio.toFixed(2)}x`).join(', ')}`);
} finally {
  await airlock.close();
  await rm(work, { recursive: true, force: true });
}
