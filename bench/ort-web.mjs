#!/usr/bin/env node
// Airlock (onnxruntime-node, through the engine: input validation, session cache, output
// conversion and digests included) vs onnxruntime-web's WASM backend running in Node, on the same
// model file and the same input. The WASM files load from node_modules/onnxruntime-web/dist (no
// network). Both sides: one request at a time, warm-up first, then a fixed time; rounds
// alternate so load from other processes hits both alike. Printed: requests/s of each side and
// the ratio, with Airlock at onnxruntime defaults and WASM at 1 thread (--wasm-threads N).
//
//   node bench/ort-web.mjs [--quick] [--model rec|cls] [--wasm-threads N]
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ortWeb from 'onnxruntime-web';

const root = new URL('..', import.meta.url).pathname;
const { Airlock } = await import(`${root}dist/runtime/airlock.js`);
const { createHandlers } = await import(`${root}dist/runtime/api/handlers.js`);
const { prepareDemoStick } = await import(`${root}dist/runtime/demo/demo.js`);
const { synthesize } = await import(`${root}dist/runtime/bench/inputs.js`);

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const which = args.includes('--model') ? args[args.indexOf('--model') + 1] : 'rec';
const model =
  which === 'cls'
    ? { ref: 'ppocr-cls', shape: [1, 3, 48, 192] }
    : { ref: 'ppocr-rec', shape: [1, 3, 48, 320] };
const rounds = quick ? 1 : 3;
const roundMs = quick ? 1500 : 4000;

ortWeb.env.wasm.wasmPaths = `${root}node_modules/onnxruntime-web/dist/`;

/** Requests per second of `run` over roundMs after a warm-up (at least 3 requests each). */
async function rate(run) {
  for (let i = 0; i < 3; i++) await run();
  const t0 = performance.now();
  let n = 0;
  while (n < 3 || performance.now() - t0 < roundMs) {
    await run();
    n++;
  }
  return { n, ms: performance.now() - t0 };
}

const work = await mkdtemp(join(tmpdir(), 'airlock-ortweb-'));
const ctx = { actor: { name: 'bench', source: `bench:${process.pid}` } };
const airlock = Airlock.open({ dataDir: join(work, 'data') });
const handlers = createHandlers(airlock);
console.log(
  `machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores; load average ${loadavg()[0].toFixed(2)}; onnxruntime-node and onnxruntime-web ${ortWeb.env.versions.web ?? ''}; model ${model.ref} x[${model.shape.join(',')}]; ${quick ? 'quick' : 'full'} run`,
);
try {
  const demo = await prepareDemoStick(work);
  await handlers['trust:add'](
    { name: 'demo', publicKeyPem: await readFile(demo.publicKey, 'utf8'), role: 'publisher' },
    ctx,
  );
  await handlers['models:import']({ path: demo.stick }, ctx);
  const installed = await handlers['models:get']({ ref: model.ref }, ctx);
  const bytes = await readFile(
    airlock.store.blobPath(installed.files.find((f) => f.path === installed.card.model).sha256),
  );

  const x = synthesize('float32', model.shape, 1);
  const inputs = { x: { type: 'float32', dims: model.shape, data: x.data } };
  const airlockRun = () => airlock.inference.run(installed, inputs, { executionProvider: 'cpu' });
  // The same thread count as the WASM side, for a like-for-like figure.
  const airlockOne = () =>
    airlock.inference.run(installed, inputs, { executionProvider: 'cpu', intraOpNumThreads: 1 });

  // onnxruntime-web fixes its thread count when its WASM module first loads, so one count per
  // process: 1 by default (multi-threaded WASM in Node runs its workers through a proxy and was
  // slower here), --wasm-threads N to measure another.
  const wasmThreads = args.includes('--wasm-threads') ? Number(args[args.indexOf('--wasm-threads') + 1]) : 1;
  ortWeb.env.wasm.numThreads = wasmThreads;
  const t0 = performance.now();
  const session = await ortWeb.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  const loadMs = performance.now() - t0;
  const wx = new ortWeb.Tensor('float32', x.data, model.shape);
  const web = [
    { threads: wasmThreads, loadMs, run: () => session.run({ x: wx }), session, total: { n: 0, ms: 0 } },
  ];
  // Check both give the same answer on this input before timing anything.
  const a = (await airlockRun()).outputs;
  const b = await web[0].run();
  const name = Object.keys(a)[0];
  const da = a[name].data;
  const db = b[name].data;
  let maxDiff = 0;
  for (let i = 0; i < da.length; i++) maxDiff = Math.max(maxDiff, Math.abs(da[i] - db[i]));
  console.log(
    `same output: ${name} [${a[name].dims.join(',')}], max |difference| ${maxDiff.toExponential(2)}`,
  );

  const node = { n: 0, ms: 0 };
  const nodeOne = { n: 0, ms: 0 };
  for (let r = 0; r < rounds; r++) {
    const m = await rate(airlockRun);
    node.n += m.n;
    node.ms += m.ms;
    const m1 = await rate(airlockOne);
    nodeOne.n += m1.n;
    nodeOne.ms += m1.ms;
    for (const w of web) {
      const mw = await rate(w.run);
      w.total.n += mw.n;
      w.total.ms += mw.ms;
    }
  }
  const nodeRate = (node.n * 1000) / node.ms;
  const nodeOneRate = (nodeOne.n * 1000) / nodeOne.ms;
  console.log(`  Airlock (onnxruntime-node, defaults)       ${nodeRate.toFixed(1).padStart(9)} requests/s`);
  console.log(
    `  Airlock (onnxruntime-node, 1 thread)       ${nodeOneRate.toFixed(1).padStart(9)} requests/s`,
  );
  for (const w of web) {
    const webRate = (w.total.n * 1000) / w.total.ms;
    console.log(
      `  onnxruntime-web WASM, ${w.threads} thread(s)          ${webRate.toFixed(1).padStart(9)} requests/s (session load ${w.loadMs.toFixed(0)} ms)`,
    );
    console.log(
      `  RATIO Airlock / onnxruntime-web WASM (${w.threads} thread): ${(nodeRate / webRate).toFixed(2)}x at defaults, ${(nodeOneRate / webRate).toFixed(2)}x thread for thread  (target >= 10)`,
    );
    await w.session.release();
  }
} finally {
  await airlock.close();
  await rm(work, { recursive: true, force: true });
}
