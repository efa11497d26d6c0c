import type * as ort from 'onnxruntime-node';
import type { TensorSpec } from '../contract/card.js';
import { GRAPH_OPTIMIZATION_LEVELS, type BenchConfig, type Scenario, type Trial } from '../contract/bench.js';
import { AirlockError, toErrorInfo } from '../errors.js';
import { sessionOptions, toSessionConfig } from '../inference/engine.js';
import { openSession, type ModelBytes } from '../inference/model-bytes.js';
import { configId, describeConfig } from '../tuning/choose.js';
import { feedsFor, hasSymbolicBatch } from './inputs.js';
import { RssSampler } from './stats.js';
import {
  FULL_BUDGET,
  QUICK_BUDGET,
  measureServer,
  measureStream,
  runnerFor,
  type Measurement,
  type ServerMeasurement,
  type TrialBudget,
} from './trial.js';

export interface BenchmarkOptions {
  /** The graph's verified bytes (and its external data files'): every trial session opens these. */
  readonly model: ModelBytes;
  readonly specs: readonly TensorSpec[];
  readonly scenario: Scenario;
  readonly quick: boolean;
  /** Providers to search; trials on one that fails are recorded as failed and the search goes on. */
  readonly providers: readonly string[];
  /** Logical cores: the upper end of the intra-op thread search. */
  readonly cores: number;
  readonly sample?: Record<string, ort.Tensor> | undefined;
  readonly shapes?: Readonly<Record<string, readonly number[]>> | undefined;
  readonly hints?: { height?: number; width?: number };
  readonly maxBatchSize?: number | undefined;
  readonly targetQps?: number | undefined;
  readonly latencyBoundMs?: number | undefined;
  readonly budget?: TrialBudget | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Called after each trial with how many are done and an estimate of the total. */
  readonly onTrial?: ((trial: Trial, done: number, total: number) => void) | undefined;
  readonly what?: string;
}

/** Intra-op thread counts to try: 1, powers of two below the core count, and the core count. */
export function threadCounts(cores: number, quick: boolean): number[] {
  const n = Math.max(1, Math.floor(cores));
  if (quick) return [...new Set([1, n])];
  const out = new Set<number>([1]);
  for (let t = 2; t < n; t *= 2) out.add(t);
  out.add(n);
  return [...out];
}

/** Batch sizes to try after 1 when the batch dimension is symbolic. */
export function batchSizes(quick: boolean, max: number): number[] {
  return (quick ? [8] : [2, 4, 8, 16, 32, 64, 128]).filter((b) => b <= max);
}

/** Is trial a better than b for the scenario's objective (Offline: throughput; else p90 latency)? */
export function better(scenario: Scenario, a: Trial, b: Trial | null): boolean {
  if (!a.ok || !a.latency) return false;
  if (!b || !b.ok || !b.latency) return true;
  return scenario === 'offline' ? a.throughput > b.throughput : a.latency.p90Ms < b.latency.p90Ms;
}

/**
 * Benchmarks one model file over a pruned search space, in stages (each stage starts from the best
 * so far, so the cost grows with the sum of the axes, not their product):
 *   baseline   onnxruntime's defaults (and each other provider's defaults)
 *   threads    intra-op threads 1, 2, 4, ... cores, per provider
 *   optimization  graph optimisation levels other than the default ("all")
 *   mode       parallel execution mode (sequential is the default)
 *   batch      growing batch sizes, Offline only and only with a symbolic batch dimension; stops
 *              once throughput falls twice in a row
 *   confirm    (full runs) the defaults and the finalists again, two alternating rounds
 *   server     Server only: Poisson arrivals at the target rate for the defaults and the best
 * Each trial opens a fresh session (its load time is measured), warms up, then measures.
 */
export async function benchmark(
  options: BenchmarkOptions,
): Promise<{ trials: Trial[]; shapes: Record<string, number[]> }> {
  const budget = options.budget ?? (options.quick ? QUICK_BUDGET : FULL_BUDGET);
  const what = options.what ?? 'The benchmark';
  const trials: Trial[] = [];
  const symbolic = hasSymbolicBatch(options.specs);
  const threads = threadCounts(options.cores, options.quick);
  const batches =
    options.scenario === 'offline' && symbolic ? batchSizes(options.quick, options.maxBatchSize ?? 64) : [];
  const providers = options.providers.length > 0 ? [...new Set(options.providers)] : ['cpu'];
  let total =
    providers.length * (1 + threads.length) +
    (options.quick ? 0 : GRAPH_OPTIMIZATION_LEVELS.length - 1 + 1) +
    batches.length +
    (options.quick ? 0 : 6) +
    (options.scenario === 'server' ? 2 : 0);
  const feedCache = new Map<number, Record<string, ort.Tensor>>();
  const feeds = (batch: number) => {
    let f = feedCache.get(batch);
    if (!f) {
      f = feedsFor(options.specs, batch, {
        sample: options.sample,
        shapes: options.shapes,
        hints: options.hints ?? {},
      });
      feedCache.set(batch, f);
    }
    return f;
  };

  let serverBoundMs = options.latencyBoundMs ?? 0;
  const record = (trial: Trial) => {
    trials.push(trial);
    total = Math.max(total, trials.length);
    options.onTrial?.(trial, trials.length, total);
    return trial;
  };

  /** Opens a session for a config, runs `measure` for each batch size, records one trial per batch. */
  async function run(
    stage: Trial['stage'],
    config: BenchConfig,
    sizes: readonly number[],
    measure: (r: () => Promise<unknown>, batch: number) => Promise<Measurement | ServerMeasurement>,
    scenario: Scenario = options.scenario,
  ): Promise<Trial[]> {
    const rss = new RssSampler().start();
    const t0 = performance.now();
    let session: ort.InferenceSession;
    try {
      session = await openSession(options.model, sessionOptions(toSessionConfig(config)));
    } catch (cause) {
      rss.stop();
      const error = new AirlockError(
        'PROVIDER_UNAVAILABLE',
        `onnxruntime could not open the model with ${describeConfig(config)}: ${(cause as Error).message.split('\n')[0]}`,
        { cause },
      );
      return sizes.map((b) =>
        record(failed(stage, { ...config, batchSize: b }, scenario, error, performance.now() - t0, rss.peak)),
      );
    }
    const loadMs = performance.now() - t0;
    const out: Trial[] = [];
    try {
      let falls = 0;
      let bestThroughput = 0;
      for (const batch of sizes) {
        const c = { ...config, batchSize: batch };
        let m: Measurement | ServerMeasurement;
        try {
          m = await measure(runnerFor(session, feeds(batch)), batch);
        } catch (error) {
          if (toErrorInfo(error).code === 'CANCELLED') throw error;
          out.push(
            record(
              failed(
                stage,
                c,
                scenario,
                new AirlockError(
                  'INFERENCE_FAILED',
                  `The model failed to run with ${describeConfig(c)}: ${(error as Error).message.split('\n')[0]}`,
                  { cause: error },
                ),
                loadMs,
                rss.peak,
              ),
            ),
          );
          break;
        }
        rss.sample();
        const server = 'targetQps' in m ? m : null;
        const boundMs = serverBoundMs;
        out.push(
          record({
            stage,
            config: c,
            scenario,
            ok: true,
            error: null,
            loadMs: round(loadMs),
            warmupQueries: m.warmupQueries,
            queries: m.queries,
            durationMs: round(m.durationMs),
            latency: m.latency,
            throughput: round(m.throughput),
            peakRssBytes: rss.peak,
            ...(server
              ? {
                  server: {
                    targetQps: round(server.targetQps),
                    achievedQps: round(server.achievedQps),
                    boundMs,
                    p99Ms: server.latency.p99Ms,
                    withinBound: server.latency.p99Ms <= boundMs,
                  },
                }
              : {}),
          }),
        );
        // Batch stage: stop once bigger batches stop paying (two falls in a row).
        if (m.throughput < bestThroughput * 0.97) {
          if (++falls >= 2) break;
        } else falls = 0;
        bestThroughput = Math.max(bestThroughput, m.throughput);
      }
    } finally {
      rss.stop();
      await session.release().catch(() => undefined);
    }
    return out;
  }

  const stream = (r: () => Promise<unknown>, batch: number) =>
    measureStream(r, batch, budget, options.signal, what);
  const streamScenario: Scenario = options.scenario === 'server' ? 'single-stream' : options.scenario;
  const pick = (list: readonly Trial[], start: Trial | null) =>
    list.reduce<Trial | null>(
      (best, t) => (better(options.scenario === 'offline' ? 'offline' : 'single-stream', t, best) ? t : best),
      start,
    );

  // Untimed: the first session of a process pays one-off costs (onnxruntime's thread pools, the
  // JIT of this loop) that would otherwise be charged to whichever trial runs first: the defaults.
  await warmProcess(options.model, feeds(1), options.signal, what);
  // Stage 1: defaults, per provider.
  let best: Trial | null = null;
  for (const p of providers)
    best = pick(await run('baseline', { executionProvider: p }, [1], stream, streamScenario), best);
  const baseline =
    trials.find((t) => t.stage === 'baseline' && t.config.executionProvider === providers[0] && t.ok) ?? null;
  // Stage 2: intra-op threads, per provider that opened.
  for (const p of providers) {
    if (!trials.some((t) => t.config.executionProvider === p && t.ok)) continue;
    for (const t of threads)
      best = pick(
        await run('threads', { executionProvider: p, intraOpNumThreads: t }, [1], stream, streamScenario),
        best,
      );
  }
  if (!best) return { trials: trials.map(clean), shapes: shapesOf(feeds(1)) };
  const base = best.config;
  if (!options.quick) {
    // Stage 3: graph optimisation level ("all" is onnxruntime's default, measured above).
    for (const level of GRAPH_OPTIMIZATION_LEVELS.filter((l) => l !== 'all')) {
      best = pick(
        await run(
          'optimization',
          { ...base, batchSize: 1, graphOptimizationLevel: level },
          [1],
          stream,
          streamScenario,
        ),
        best,
      );
    }
    // Stage 4: parallel execution mode (inter-op threads: onnxruntime's default).
    best = pick(
      await run(
        'mode',
        { ...best!.config, batchSize: 1, executionMode: 'parallel' },
        [1],
        stream,
        streamScenario,
      ),
      best,
    );
  }
  const winner = best!;
  // Stage 5: batch sizes (Offline, symbolic batch).
  if (batches.length > 0)
    await run('batch', { ...winner.config, batchSize: undefined }, batches, stream, 'offline');
  // Stage 6 (full runs): confirmation. The defaults, the best single-sample config and the best
  // overall are measured again in two alternating rounds, so load that drifted during the search
  // hits them alike; chooseConfigs decides on these figures.
  if (!options.quick) {
    const done = trials.filter((t) => t.ok && t.latency && t.scenario !== 'server');
    const single = done.filter((t) => (t.config.batchSize ?? 1) === 1);
    const finalists = [
      baseline?.config,
      single.length
        ? single.reduce((a, b) => (b.latency!.p90Ms < a.latency!.p90Ms ? b : a)).config
        : undefined,
      done.length ? done.reduce((a, b) => (b.throughput > a.throughput ? b : a)).config : undefined,
    ].filter((c): c is BenchConfig => c !== undefined);
    const unique = [...new Map(finalists.map((c) => [configId(c), c])).values()];
    if (unique.length > 1) {
      for (const order of [unique, [...unique].reverse()]) {
        for (const c of order)
          await run('confirm', { ...c, batchSize: undefined }, [c.batchSize ?? 1], stream, streamScenario);
      }
    }
  }
  // Stage 7: Server, Poisson arrivals at the target rate (default: half what the best config sustains).
  if (options.scenario === 'server' && winner.latency) {
    const targetQps = options.targetQps ?? Math.max(0.1, 500 / winner.latency.meanMs);
    serverBoundMs = options.latencyBoundMs ?? Math.ceil(winner.latency.p90Ms * 5);
    const server = (r: () => Promise<unknown>, batch: number) =>
      measureServer(r, batch, targetQps, budget, options.signal, what);
    if (baseline) await run('server', { ...baseline.config, batchSize: undefined }, [1], server, 'server');
    await run('server', { ...winner.config, batchSize: undefined }, [1], server, 'server');
  }
  return { trials: trials.map(clean), shapes: shapesOf(feeds(1)) };
}

async function warmProcess(
  model: ModelBytes,
  feeds: Record<string, ort.Tensor>,
  signal: AbortSignal | undefined,
  what: string,
): Promise<void> {
  let session: ort.InferenceSession;
  try {
    session = await openSession(model, sessionOptions({ executionProvider: 'cpu' }));
  } catch {
    return; // the trials report why
  }
  try {
    await measureStream(
      runnerFor(session, feeds),
      1,
      { warmupQueries: 3, warmupMs: 100, minQueries: 1, maxQueries: 1, maxMs: 0 },
      signal,
      what,
    );
  } catch (error) {
    if (toErrorInfo(error).code === 'CANCELLED') throw error;
  } finally {
    await session.release().catch(() => undefined);
  }
}

function clean(t: Trial): Trial {
  const config = Object.fromEntries(
    Object.entries(t.config).filter(([, v]) => v !== undefined),
  ) as BenchConfig;
  return { ...t, config };
}

function shapesOf(feeds: Record<string, ort.Tensor>): Record<string, number[]> {
  return Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, [...v.dims]]));
}

function failed(
  stage: Trial['stage'],
  config: BenchConfig,
  scenario: Scenario,
  error: AirlockError,
  loadMs: number,
  peak: number,
): Trial {
  return {
    stage,
    config,
    scenario,
    ok: false,
    error: { code: error.code, message: error.message },
    loadMs: round(loadMs),
    warmupQueries: 0,
    queries: 0,
    durationMs: 0,
    latency: null,
    throughput: 0,
    peakRssBytes: peak,
  };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
