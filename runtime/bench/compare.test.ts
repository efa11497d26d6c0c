import { describe, expect, it } from 'vitest';
import type { BenchReport, Trial } from '../contract/bench.js';
import { compareReports, parseReport } from './compare.js';

function report(
  fingerprint: string,
  scale: number,
  scenario: BenchReport['scenario'] = 'offline',
): BenchReport {
  const t = (stage: Trial['stage'], threads: number | undefined, throughput: number, p90: number): Trial => ({
    stage,
    config: { executionProvider: 'cpu', ...(threads ? { intraOpNumThreads: threads } : {}), batchSize: 1 },
    scenario,
    ok: true,
    error: null,
    loadMs: 5,
    warmupQueries: 3,
    queries: 10,
    durationMs: 100,
    latency: {
      count: 10,
      meanMs: p90,
      minMs: p90,
      maxMs: p90,
      p50Ms: p90,
      p90Ms: p90,
      p99Ms: p90,
      p999Ms: p90,
    },
    throughput,
    peakRssBytes: 1,
  });
  const trials = [t('baseline', undefined, 100 * scale, 10 / scale), t('threads', 2, 150 * scale, 7 / scale)];
  return {
    format: 'airlock-bench-report/1',
    id: `run-${fingerprint}`,
    model: { name: 'm', version: '1.0.0', bundleSha256: 'ab' },
    machine: { fingerprint, cpu: 'CPU', cores: 2, memoryBytes: 1, gpus: [], os: 'linux' },
    onnxruntime: '1.30.0',
    scenario,
    quick: false,
    startedAt: '2026-01-01T00:00:00Z',
    finishedAt: '2026-01-01T00:00:01Z',
    inputs: { source: 'synthesized', shapes: { x: [1, 4] } },
    trials,
    best: {
      latency: { config: trials[1]!.config, metric: 7 / scale, unit: 'ms', speedupVsDefault: 10 / 7 },
      throughput: {
        config: trials[1]!.config,
        metric: 150 * scale,
        unit: 'samples/s',
        speedupVsDefault: 1.5,
      },
    },
  };
}

describe('compareReports', () => {
  it('compares throughput of Offline reports config by config (B twice as fast)', () => {
    const c = compareReports(report('aaaa', 1), report('bbbb', 2));
    expect(c.unit).toBe('samples/s');
    expect(c.bestA).toBe(150);
    expect(c.bestB).toBe(300);
    expect(c.speedup).toBe(2);
    expect(c.rows).toEqual([
      { config: 'defaults: cpu t=default opt=default sequential b=1', metricA: 100, metricB: 200, ratio: 2 },
      { config: 'cpu t=2 opt=default sequential b=1', metricA: 150, metricB: 300, ratio: 2 },
    ]);
  });

  it('compares p90 latency of SingleStream reports (lower is faster)', () => {
    const c = compareReports(report('aaaa', 1, 'single-stream'), report('bbbb', 2, 'single-stream'));
    expect(c.unit).toBe('ms (p90)');
    expect(c.speedup).toBe(2);
  });

  it('round-trips an exported report and refuses other files with INPUT_INVALID', () => {
    const r = report('aaaa', 1);
    expect(parseReport(JSON.stringify(r), 'a.json')).toEqual(r);
    expect(() => parseReport('not json', 'x.json')).toThrow(
      expect.objectContaining({ code: 'INPUT_INVALID' }),
    );
    expect(() => parseReport(JSON.stringify({ ...r, format: 'other/1' }), 'x.json')).toThrow(
      expect.objectContaining({ code: 'INPUT_INVALID' }),
    );
    expect(() => parseReport(JSON.stringify({ ...r, trials: 'none' }), 'x.json')).toThrow(
      expect.objectContaining({ code: 'INPUT_INVALID' }),
    );
  });
});
