import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { feedsFor } from './inputs.js';
import { measureServer, measureStream, runnerFor } from './trial.js';
import { batchSizes, benchmark, threadCounts } from './search.js';
import { describeConfig } from '../tuning/choose.js';

const CLASSIFIER = new URL('../../test/fixtures/models/classifier.onnx', import.meta.url).pathname;
const specs = [{ name: 'x', type: 'float32' as const, shape: ['batch', 4] }];

describe('trials on a real session', () => {
  let session: ort.InferenceSession;
  beforeAll(async () => {
    session = await ort.InferenceSession.create(CLASSIFIER);
  });
  afterAll(async () => session.release());

  it('stops at the query bound and reports a histogram', async () => {
    const m = await measureStream(runnerFor(session, feedsFor(specs, 4)), 4, {
      warmupQueries: 2,
      warmupMs: 0,
      minQueries: 1,
      maxQueries: 50,
      maxMs: 60_000,
    });
    expect(m.queries).toBe(50);
    expect(m.warmupQueries).toBeGreaterThanOrEqual(2);
    expect(m.latency.count).toBe(50);
    expect(m.latency.p50Ms).toBeLessThanOrEqual(m.latency.p90Ms);
    expect(m.latency.p90Ms).toBeLessThanOrEqual(m.latency.p99Ms);
    expect(m.latency.p99Ms).toBeLessThanOrEqual(m.latency.p999Ms);
    expect(m.throughput).toBeCloseTo((50 * 4 * 1000) / m.durationMs, 3);
  });

  it('stops at the time bound', async () => {
    const m = await measureStream(runnerFor(session, feedsFor(specs, 1)), 1, {
      warmupQueries: 1,
      warmupMs: 0,
      minQueries: 1,
      maxQueries: 10_000_000,
      maxMs: 100,
    });
    expect(m.durationMs).toBeGreaterThanOrEqual(100);
    expect(m.durationMs).toBeLessThan(2000);
    expect(m.queries).toBeLessThan(10_000_000);
  });

  it('cancels between queries', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      measureStream(
        runnerFor(session, feedsFor(specs, 1)),
        1,
        { warmupQueries: 1, warmupMs: 0, minQueries: 1, maxQueries: 10, maxMs: 1000 },
        controller.signal,
      ),
    ).rejects.toMatchObject({ code: 'CANCELLED' });
  });

  it('Server: Poisson arrivals at the target rate, latency counted from arrival', async () => {
    const m = await measureServer(runnerFor(session, feedsFor(specs, 1)), 1, 200, {
      warmupQueries: 1,
      warmupMs: 0,
      minQueries: 1,
      maxQueries: 100,
      maxMs: 60_000,
    });
    expect(m.queries).toBe(100);
    // 100 arrivals at 200/s take about half a second; the achieved rate is near the target.
    expect(m.achievedQps).toBeGreaterThan(50);
    expect(m.achievedQps).toBeLessThan(400);
  });
});

describe('search space', () => {
  it('prunes threads and batch sizes', () => {
    expect(threadCounts(2, false)).toEqual([1, 2]);
    expect(threadCounts(16, false)).toEqual([1, 2, 4, 8, 16]);
    expect(threadCounts(12, false)).toEqual([1, 2, 4, 8, 12]);
    expect(threadCounts(16, true)).toEqual([1, 16]);
    expect(threadCounts(1, true)).toEqual([1]);
    expect(batchSizes(false, 16)).toEqual([2, 4, 8, 16]);
    expect(batchSizes(true, 64)).toEqual([8]);
  });

  it('runs the staged search (full) and records a failing provider instead of stopping', async () => {
    const seen: string[] = [];
    const { trials, shapes } = await benchmark({
      model: { path: 'classifier.onnx', model: readFileSync(CLASSIFIER), externalData: [] },
      specs,
      scenario: 'offline',
      quick: false,
      providers: ['cpu', 'no-such-provider'],
      cores: 2,
      maxBatchSize: 8,
      budget: { warmupQueries: 1, warmupMs: 0, minQueries: 5, maxQueries: 20, maxMs: 50 },
      onTrial: (t, done, total) => {
        seen.push(t.stage);
        expect(done).toBeLessThanOrEqual(total);
      },
    });
    expect(shapes).toEqual({ x: [1, 4] });
    const stages = trials.map((t) => t.stage);
    expect(seen).toEqual(stages);
    expect(new Set(stages)).toEqual(
      new Set(['baseline', 'threads', 'optimization', 'mode', 'batch', 'confirm']),
    );
    // Confirmation: each finalist twice, in alternating order, the defaults among them.
    const confirm = trials.filter((t) => t.stage === 'confirm');
    expect(confirm.length % 2).toBe(0);
    expect(confirm.length).toBeGreaterThanOrEqual(4);
    expect(
      confirm
        .map((t) => describeConfig(t.config))
        .slice(0, confirm.length / 2)
        .reverse(),
    ).toEqual(confirm.slice(confirm.length / 2).map((t) => describeConfig(t.config)));
    expect(confirm.some((t) => describeConfig(t.config) === 'cpu t=default opt=default sequential b=1')).toBe(
      true,
    );
    const bad = trials.filter((t) => t.config.executionProvider === 'no-such-provider');
    expect(bad).toHaveLength(1);
    expect(bad[0]).toMatchObject({ ok: false, error: { code: 'PROVIDER_UNAVAILABLE' } });
    expect(trials.filter((t) => t.stage === 'threads').map((t) => t.config.intraOpNumThreads)).toEqual([
      1, 2,
    ]);
    expect(
      trials.filter((t) => t.stage === 'optimization').map((t) => t.config.graphOptimizationLevel),
    ).toEqual(['disabled', 'basic', 'extended']);
    expect(
      trials
        .filter((t) => t.stage === 'batch')
        .every((t) => (t.config.batchSize ?? 0) > 1 && (t.config.batchSize ?? 0) <= 8),
    ).toBe(true);
    for (const t of trials.filter((x) => x.ok)) {
      expect(t.loadMs).toBeGreaterThan(0);
      expect(t.peakRssBytes).toBeGreaterThan(0);
      expect(t.latency!.count).toBe(t.queries);
    }
  });

  it('Server scenario measures the defaults and the best at one target rate against a bound', async () => {
    const { trials } = await benchmark({
      model: { path: 'classifier.onnx', model: readFileSync(CLASSIFIER), externalData: [] },
      specs,
      scenario: 'server',
      quick: true,
      providers: ['cpu'],
      cores: 2,
      targetQps: 300,
      latencyBoundMs: 50,
      budget: { warmupQueries: 1, warmupMs: 0, minQueries: 5, maxQueries: 30, maxMs: 200 },
    });
    const server = trials.filter((t) => t.stage === 'server');
    expect(server).toHaveLength(2);
    for (const t of server) {
      expect(t.scenario).toBe('server');
      expect(t.server).toMatchObject({ targetQps: 300, boundMs: 50 });
      expect(t.server!.withinBound).toBe(t.server!.p99Ms <= 50);
    }
    expect(trials.some((t) => t.stage === 'batch')).toBe(false);
  });
});
