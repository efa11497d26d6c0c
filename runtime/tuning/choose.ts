import type { BenchConfig, Trial, TunedChoice } from '../contract/bench.js';

/** Differences smaller than this are noise: a tuned config must beat the default by more to replace it. */
export const NOISE_MARGIN = 0.03;

/** A short label for a configuration ("cpu t=2 all sequential b=8"). */
export function describeConfig(c: BenchConfig): string {
  return [
    c.executionProvider,
    c.intraOpNumThreads ? `t=${c.intraOpNumThreads}` : 't=default',
    c.graphOptimizationLevel ?? 'opt=default',
    c.executionMode ?? 'sequential',
    c.interOpNumThreads ? `inter=${c.interOpNumThreads}` : '',
    `b=${c.batchSize ?? 1}`,
  ]
    .filter(Boolean)
    .join(' ');
}

/** A stable key for a configuration (batch size included). */
export function configId(c: BenchConfig): string {
  return JSON.stringify([
    c.executionProvider,
    c.intraOpNumThreads ?? 0,
    c.interOpNumThreads ?? 0,
    c.executionMode ?? '',
    c.graphOptimizationLevel ?? '',
    c.batchSize ?? 1,
  ]);
}

const DEFAULT_ID = configId({ executionProvider: 'cpu' });

interface Candidate {
  readonly config: BenchConfig;
  readonly p90Ms: number;
  readonly throughput: number;
  readonly isDefault: boolean;
}

/** Confirmation trials of one config averaged into one candidate (they ran in alternating rounds). */
function averaged(trials: readonly Trial[]): Candidate[] {
  const groups = new Map<string, Trial[]>();
  for (const t of trials) groups.set(configId(t.config), [...(groups.get(configId(t.config)) ?? []), t]);
  return [...groups.entries()].map(([id, g]) => ({
    config: g[0]!.config,
    p90Ms: g.reduce((n, t) => n + t.latency!.p90Ms, 0) / g.length,
    throughput: g.reduce((n, t) => n + t.throughput, 0) / g.length,
    isDefault: id === DEFAULT_ID,
  }));
}

/**
 * The best configuration for latency (lowest p90 of single-sample queries) and for throughput
 * (most samples per second, any batch size) among a benchmark's successful non-Server trials.
 * When the search ended with a confirmation stage (the finalists and the defaults measured again
 * in alternating rounds, so drifting load hits them alike), the choice is made among those
 * figures, averaged per config; otherwise among all trials. When the winner beats onnxruntime's
 * defaults by less than the noise margin, the defaults are chosen instead: tuning never trades a
 * known configuration for noise. Pure: plain data in and out.
 */
export function chooseConfigs(trials: readonly Trial[]): {
  latency: TunedChoice | null;
  throughput: TunedChoice | null;
} {
  const usable = trials.filter((t) => t.ok && t.latency && t.scenario !== 'server');
  const confirm = usable.filter((t) => t.stage === 'confirm');
  const pool: Candidate[] =
    confirm.length > 0
      ? averaged(confirm)
      : usable.map((t) => ({
          config: t.config,
          p90Ms: t.latency!.p90Ms,
          throughput: t.throughput,
          isDefault: t.stage === 'baseline' && configId(t.config) === DEFAULT_ID,
        }));
  const base = pool.find((c) => c.isDefault) ?? null;

  const single = pool.filter((c) => (c.config.batchSize ?? 1) === 1);
  let latency: TunedChoice | null = null;
  if (single.length > 0) {
    let best = single.reduce((a, b) => (b.p90Ms < a.p90Ms ? b : a));
    if (base && best !== base && best.p90Ms > base.p90Ms * (1 - NOISE_MARGIN)) best = base;
    latency = {
      config: { ...best.config, batchSize: 1 },
      metric: round(best.p90Ms),
      unit: 'ms',
      speedupVsDefault: base ? round(base.p90Ms / best.p90Ms) : null,
    };
  }

  let throughput: TunedChoice | null = null;
  if (pool.length > 0) {
    let best = pool.reduce((a, b) => (b.throughput > a.throughput ? b : a));
    if (base && best !== base && best.throughput < base.throughput * (1 + NOISE_MARGIN)) best = base;
    throughput = {
      config: { ...best.config, batchSize: best.config.batchSize ?? 1 },
      metric: round(best.throughput),
      unit: 'samples/s',
      speedupVsDefault: base ? round(best.throughput / base.throughput) : null,
    };
  }
  return { latency, throughput };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
