import type * as ort from 'onnxruntime-node';
import { CancelledError } from '../errors.js';
import { prng } from './inputs.js';
import { LatencyRecorder } from './stats.js';
import type { LatencyStats } from '../contract/bench.js';

/** How long a trial runs: warm-up, then measured queries bounded by count and by time. */
export interface TrialBudget {
  readonly warmupQueries: number;
  readonly warmupMs: number;
  readonly minQueries: number;
  readonly maxQueries: number;
  readonly maxMs: number;
}

export const FULL_BUDGET: TrialBudget = {
  warmupQueries: 3,
  warmupMs: 250,
  minQueries: 10,
  maxQueries: 5000,
  maxMs: 1500,
};
export const QUICK_BUDGET: TrialBudget = {
  warmupQueries: 1,
  warmupMs: 50,
  minQueries: 3,
  maxQueries: 500,
  maxMs: 300,
};

export interface Measurement {
  readonly warmupQueries: number;
  readonly queries: number;
  readonly durationMs: number;
  readonly latency: LatencyStats;
  /** Samples per second (queries × batch / time). */
  readonly throughput: number;
}

type Runner = () => Promise<unknown>;

export function runnerFor(session: ort.InferenceSession, feeds: Record<string, ort.Tensor>): Runner {
  return () => session.run(feeds);
}

function check(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new CancelledError(what);
}

async function warmUp(
  run: Runner,
  budget: TrialBudget,
  signal: AbortSignal | undefined,
  what: string,
): Promise<number> {
  const started = performance.now();
  let n = 0;
  // At least one query; then until both the count and the time are reached, but never past 4x the
  // time (a slow model warms up on fewer queries) nor 50x the count (a fast one on fewer seconds).
  for (;;) {
    const elapsed = performance.now() - started;
    if (
      n >= 1 &&
      ((n >= budget.warmupQueries && elapsed >= budget.warmupMs) ||
        (budget.warmupMs > 0 && elapsed >= budget.warmupMs * 4) ||
        n >= budget.warmupQueries * 50)
    )
      break;
    check(signal, what);
    await run();
    n++;
  }
  return n;
}

/** Keep measuring? Until maxQueries or maxMs; below minQueries, up to 3x maxMs for slow models. */
function more(n: number, elapsedMs: number, budget: TrialBudget): boolean {
  if (n < budget.minQueries) return n === 0 || elapsedMs < budget.maxMs * 3;
  return n < budget.maxQueries && elapsedMs < budget.maxMs;
}

/**
 * SingleStream and Offline: one query in flight at a time, back to back (Offline's queries carry
 * `batch` samples each), until maxQueries or maxMs (but at least minQueries).
 */
export async function measureStream(
  run: Runner,
  batch: number,
  budget: TrialBudget,
  signal?: AbortSignal,
  what = 'The benchmark',
): Promise<Measurement> {
  const warmupQueries = await warmUp(run, budget, signal, what);
  const recorder = new LatencyRecorder();
  const started = performance.now();
  let n = 0;
  while (more(n, performance.now() - started, budget)) {
    check(signal, what);
    const t0 = performance.now();
    await run();
    recorder.record(performance.now() - t0);
    n++;
  }
  const durationMs = performance.now() - started;
  return {
    warmupQueries,
    queries: n,
    durationMs,
    latency: recorder.stats(),
    throughput: (n * batch * 1000) / durationMs,
  };
}

export interface ServerMeasurement extends Measurement {
  readonly targetQps: number;
  readonly achievedQps: number;
}

/**
 * Server: queries arrive as a Poisson process at targetQps (exponential gaps, seeded); each is
 * served in arrival order, one at a time, and its latency runs from its arrival to its completion,
 * so time spent queueing behind earlier queries counts (as in MLPerf LoadGen's Server scenario).
 */
export async function measureServer(
  run: Runner,
  batch: number,
  targetQps: number,
  budget: TrialBudget,
  signal?: AbortSignal,
  what = 'The benchmark',
  seed = 7,
): Promise<ServerMeasurement> {
  const warmupQueries = await warmUp(run, budget, signal, what);
  const rand = prng(seed);
  const recorder = new LatencyRecorder();
  const started = performance.now();
  let nextArrival = 0;
  let n = 0;
  while (more(n, performance.now() - started, budget)) {
    check(signal, what);
    nextArrival += (-Math.log(1 - rand()) / targetQps) * 1000;
    const wait = started + nextArrival - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    await run();
    recorder.record(performance.now() - (started + nextArrival));
    n++;
  }
  const durationMs = performance.now() - started;
  return {
    warmupQueries,
    queries: n,
    durationMs,
    latency: recorder.stats(),
    throughput: (n * batch * 1000) / durationMs,
    targetQps,
    achievedQps: (n * 1000) / durationMs,
  };
}
