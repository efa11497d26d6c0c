import type { BenchConfig, Trial, TunedChoice } from '../contract/bench.js';

/** Differences smaller than this are noise: a tuned config must beat the default by more to replace it. */
export const NOISE_MARGIN = 0.03;

function isDefault(t: Trial): boolean {
  return t.stage === 'baseline' && t.config.executionProvider === 'cpu' && (t.config.batchSize ?? 1) === 1;
}

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

/**
 * The best configuration for latency (lowest p90 of single-sample queries) and for throughput
 * (most samples per second, any batch size) among a benchmark's successful non-Server trials.
 * When the winner beats onnxruntime's defaults by less than the noise margin, the defaults are
 * chosen instead: tuning never trades a known configuration for noise. Pure: plain data in and out.
 */
export function chooseConfigs(trials: readonly Trial[]): {
  latency: TunedChoice | null;
  throughput: TunedChoice | null;
} {
  const usable = trials.filter((t) => t.ok && t.latency && t.scenario !== 'server');
  const base = usable.find(isDefault) ?? null;

  const single = usable.filter((t) => (t.config.batchSize ?? 1) === 1);
  let latency: TunedChoice | null = null;
  if (single.length > 0) {
    let best = single.reduce((a, b) => (b.latency!.p90Ms < a.latency!.p90Ms ? b : a));
    if (base && best !== base && best.latency!.p90Ms > base.latency!.p90Ms * (1 - NOISE_MARGIN)) best = base;
    latency = {
      config: { ...best.config, batchSize: 1 },
      metric: best.latency!.p90Ms,
      unit: 'ms',
      speedupVsDefault: base ? round(base.latency!.p90Ms / best.latency!.p90Ms) : null,
    };
  }

  let throughput: TunedChoice | null = null;
  if (usable.length > 0) {
    let best = usable.reduce((a, b) => (b.throughput > a.throughput ? b : a));
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
