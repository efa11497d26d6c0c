import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { TensorSpec } from '../contract/card.js';
import type { TensorMapJson } from '../contract/tensors.js';
import { DynamicBatcher, type BatchRunner } from './batcher.js';
import { ModelWorker } from './model-worker.js';

const CLASSIFIER = new URL('../../test/fixtures/models/classifier.onnx', import.meta.url).pathname;
const specs: TensorSpec[] = [{ name: 'x', type: 'float32', shape: ['batch', 4] }];
/** A graph file without external data, as the worker gets it: its bytes. */
const graph = (path: string) => ({ path, model: readFileSync(path), externalData: [] });

let worker: ModelWorker;
beforeAll(async () => {
  worker = new ModelWorker(graph(CLASSIFIER), { executionProviders: ['cpu'] });
  await worker.opened();
});
afterAll(async () => worker?.close());

/** The real worker, recording how many rows each run had. */
function recording(): { runner: BatchRunner; runs: number[] } {
  const runs: number[] = [];
  return {
    runs,
    runner: async (feeds, owned) => (runs.push(feeds['x']!.dims[0]!), worker.run(feeds, owned)),
  };
}

function rows(n: number, seed: number): TensorMapJson {
  const data = Float32Array.from({ length: n * 4 }, (_, i) => Math.sin(seed * 31 + i) * 3);
  return { x: { type: 'float32', dims: [n, 4], data } };
}

describe('dynamic batching over a real onnxruntime worker', () => {
  test('each caller gets exactly its unbatched result, in its own order, from fewer runs', async () => {
    const requests = Array.from({ length: 24 }, (_, i) => rows(1 + (i % 3), i));
    const alone = [];
    for (const r of requests) alone.push((await worker.run(r)).outputs);
    const { runner, runs } = recording();
    const batcher = new DynamicBatcher(specs, runner, { maxBatchSize: 16, maxQueueDelayMs: 250 });
    const batched = await Promise.all(requests.map((r) => batcher.submit(r)));
    for (let i = 0; i < requests.length; i++) {
      expect(batched[i]!.outputs['probabilities']!.dims).toEqual(alone[i]!['probabilities']!.dims);
      expect(Array.from(batched[i]!.outputs['probabilities']!.data as Float32Array)).toEqual(
        Array.from(alone[i]!['probabilities']!.data as Float32Array),
      );
      expect(Array.from(batched[i]!.outputs['label']!.data as BigInt64Array)).toEqual(
        Array.from(alone[i]!['label']!.data as BigInt64Array),
      );
    }
    expect(runs.length).toBeLessThan(requests.length);
    expect(Math.max(...runs)).toBeLessThanOrEqual(16);
    expect(runs.reduce((a, b) => a + b, 0)).toBe(48);
  });

  test('max batch size is respected, and a full batch runs without waiting for the delay', async () => {
    const { runner, runs } = recording();
    // A delay this long would time the test out if full batches waited for it.
    const batcher = new DynamicBatcher(specs, runner, { maxBatchSize: 4, maxQueueDelayMs: 600_000 });
    await Promise.all(Array.from({ length: 12 }, (_, i) => batcher.submit(rows(1, i))));
    expect(runs).toEqual([4, 4, 4]);
    expect(batcher.stats.largestBatch).toBe(4);
  });

  test('a lone request runs once the max queue delay has passed', async () => {
    const { runner, runs } = recording();
    const batcher = new DynamicBatcher(specs, runner, { maxBatchSize: 8, maxQueueDelayMs: 40 });
    const outcome = await batcher.submit(rows(1, 1));
    expect(runs).toEqual([1]);
    expect(outcome.queueMs).toBeGreaterThanOrEqual(35);
  });

  test('a bad request is refused alone; the others in its window still get their results', async () => {
    const { runner } = recording();
    const batcher = new DynamicBatcher(specs, runner, { maxBatchSize: 8, maxQueueDelayMs: 5 });
    const wrongShape: TensorMapJson = { x: { type: 'float32', dims: [1, 5], data: new Float32Array(5) } };
    const results = await Promise.allSettled([
      batcher.submit(rows(1, 1)),
      batcher.submit(wrongShape),
      batcher.submit(rows(2, 2)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'INPUT_SHAPE_MISMATCH' });
  });

  test('when a merged run fails, each request is retried alone so only the failing one fails', async () => {
    // The real worker behind a guard that fails any run containing the poison value 999.
    const seen: number[] = [];
    const runner: BatchRunner = async (feeds, owned) => {
      seen.push(feeds['x']!.dims[0]!);
      if (Array.from(feeds['x']!.data as Float32Array).includes(999)) throw new Error('poisoned input');
      return worker.run(feeds, owned);
    };
    // The window outlasts the three synchronous submits on a loaded machine: they merge into one run.
    const batcher = new DynamicBatcher(specs, runner, { maxBatchSize: 8, maxQueueDelayMs: 250 });
    const poison: TensorMapJson = {
      x: { type: 'float32', dims: [1, 4], data: Float32Array.from([999, 0, 0, 0]) },
    };
    const results = await Promise.allSettled([
      batcher.submit(rows(1, 1)),
      batcher.submit(poison),
      batcher.submit(rows(1, 3)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(seen).toEqual([3, 1, 1, 1]);
    const expected = (await worker.run(rows(1, 3))).outputs;
    expect(
      Array.from(
        (results[2] as PromiseFulfilledResult<{ outputs: TensorMapJson }>).value.outputs['probabilities']!
          .data as Float32Array,
      ),
    ).toEqual(Array.from(expected['probabilities']!.data as Float32Array));
  });

  test('a cancelled request leaves the queue; the others still run', async () => {
    const { runner, runs } = recording();
    // A window far longer than the three synchronous submits take, even on a loaded machine:
    // the head must not have waited it out before the cancel (the batch then runs at its end).
    const batcher = new DynamicBatcher(specs, runner, { maxBatchSize: 8, maxQueueDelayMs: 1000 });
    const controller = new AbortController();
    const a = batcher.submit(rows(1, 1));
    const b = batcher.submit(rows(1, 2), controller.signal);
    const c = batcher.submit(rows(1, 3));
    controller.abort();
    await expect(b).rejects.toMatchObject({ code: 'CANCELLED' });
    await Promise.all([a, c]);
    expect(runs).toEqual([2]);
    await expect(batcher.submit(rows(1, 4), AbortSignal.abort())).rejects.toMatchObject({
      code: 'CANCELLED',
    });
  });

  test('a model whose first dimension is fixed is never merged', async () => {
    const { runner, runs } = recording();
    const fixed = new DynamicBatcher([{ name: 'x', type: 'float32', shape: [1, 4] }], runner, {
      maxBatchSize: 8,
      maxQueueDelayMs: 5,
    });
    expect(fixed.batchable).toBe(false);
    await Promise.all([fixed.submit(rows(1, 1)), fixed.submit(rows(1, 2))]);
    expect(runs).toEqual([1, 1]);
  });

  test('a worker that cannot open the model reports PROVIDER_UNAVAILABLE', async () => {
    const broken = new ModelWorker(
      { path: 'junk.onnx', model: Buffer.from('not an onnx graph'), externalData: [] },
      { executionProviders: ['cpu'] },
    );
    await expect(broken.opened()).rejects.toMatchObject({ code: 'PROVIDER_UNAVAILABLE' });
    await broken.close();
  });
});

describe('inference off the main event loop', () => {
  test('timers on the main thread keep firing while a large batch runs in the worker', async () => {
    const { demoModels } = await import('../demo/demo.js');
    const rec = new ModelWorker(graph(demoModels().find((m) => m.name === 'ppocr-rec')!.model), {
      executionProviders: ['cpu'],
    });
    try {
      await rec.opened();
      const rows = 16;
      const x = {
        type: 'float32' as const,
        dims: [rows, 3, 48, 320],
        data: new Float32Array(rows * 3 * 48 * 320).fill(0.5),
      };
      let ticks = 0;
      const timer = setInterval(() => ticks++, 5);
      const started = performance.now();
      await rec.run({ x });
      const elapsed = performance.now() - started;
      clearInterval(timer);
      // A blocked event loop would fire the interval at most once, after the run.
      expect(elapsed).toBeGreaterThan(50);
      expect(ticks).toBeGreaterThanOrEqual(Math.min(5, Math.floor(elapsed / 50)));
    } finally {
      await rec.close();
    }
  });
});
