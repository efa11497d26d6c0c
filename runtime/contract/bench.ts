import { z } from 'zod';
import { channel } from './channel.js';

export const SCENARIOS = ['single-stream', 'offline', 'server'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export const EXECUTION_MODES = ['sequential', 'parallel'] as const;
export const GRAPH_OPTIMIZATION_LEVELS = ['disabled', 'basic', 'extended', 'all'] as const;

/** How a session is opened (the engine's SessionConfig) plus the batch size requests are run at. */
export const benchConfigSchema = z.strictObject({
  executionProvider: z.string().min(1).max(40),
  intraOpNumThreads: z.number().int().min(1).max(1024).optional(),
  interOpNumThreads: z.number().int().min(1).max(1024).optional(),
  executionMode: z.enum(EXECUTION_MODES).optional(),
  graphOptimizationLevel: z.enum(GRAPH_OPTIMIZATION_LEVELS).optional(),
  batchSize: z.number().int().min(1).max(4096).optional(),
});
export type BenchConfig = z.infer<typeof benchConfigSchema>;

/** Latency distribution of one trial (from an HDR histogram, microsecond resolution). */
export interface LatencyStats {
  readonly count: number;
  readonly meanMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
}

/** One configuration measured: a point of the search space. */
export interface Trial {
  readonly stage: 'baseline' | 'threads' | 'optimization' | 'mode' | 'batch' | 'confirm' | 'server';
  readonly config: BenchConfig;
  readonly scenario: Scenario;
  readonly ok: boolean;
  readonly error: { readonly code: string; readonly message: string } | null;
  /** Session creation time (graph optimisation included). */
  readonly loadMs: number;
  readonly warmupQueries: number;
  readonly queries: number;
  readonly durationMs: number;
  /** Per-query latency (a query is one run of batchSize samples; Server: arrival to completion). */
  readonly latency: LatencyStats | null;
  /** Samples (batch items) per second. */
  readonly throughput: number;
  readonly peakRssBytes: number;
  /** Server scenario only: Poisson arrivals at targetQps, p99 against boundMs. */
  readonly server?: {
    readonly targetQps: number;
    readonly achievedQps: number;
    readonly boundMs: number;
    readonly p99Ms: number;
    readonly withinBound: boolean;
  };
}

export interface TunedChoice {
  readonly config: BenchConfig;
  /** Latency objective: p90 ms per single-sample query; throughput: samples per second. */
  readonly metric: number;
  readonly unit: 'ms' | 'samples/s';
  /** Against onnxruntime's defaults in the same run (>1 is better). */
  readonly speedupVsDefault: number | null;
}

export interface BenchReport {
  readonly format: 'airlock-bench-report/1';
  readonly id: string;
  readonly model: { readonly name: string; readonly version: string; readonly bundleSha256: string };
  readonly machine: {
    readonly fingerprint: string;
    readonly cpu: string;
    readonly cores: number;
    readonly memoryBytes: number;
    readonly gpus: readonly string[];
    readonly os: string;
  };
  readonly onnxruntime: string;
  readonly scenario: Scenario;
  readonly quick: boolean;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly inputs: {
    readonly source: 'samples' | 'synthesized';
    readonly shapes: Readonly<Record<string, readonly number[]>>;
  };
  readonly trials: readonly Trial[];
  readonly best: { readonly latency: TunedChoice | null; readonly throughput: TunedChoice | null };
}

/** A stored run as listed (the report without its trials). */
export interface BenchRunSummary {
  readonly id: string;
  readonly model: string;
  readonly version: string;
  readonly fingerprint: string;
  readonly currentMachine: boolean;
  readonly scenario: Scenario;
  readonly quick: boolean;
  readonly finishedAt: string;
  readonly trials: number;
  readonly best: BenchReport['best'];
}

/** Per model and objective: the stored choice, and whether it was made on another machine. */
export interface TunedConfig {
  readonly model: string;
  readonly version: string;
  readonly objective: 'latency' | 'throughput';
  readonly config: BenchConfig;
  readonly metric: number;
  readonly unit: string;
  readonly fingerprint: string;
  readonly stale: boolean;
  readonly benchRunId: string;
  readonly chosenAt: string;
}

/** One row of a comparison of two exported reports (two machines, or before and after). */
export interface BenchComparisonRow {
  readonly config: string;
  readonly metricA: number | null;
  readonly metricB: number | null;
  readonly ratio: number | null;
}

export interface BenchComparison {
  readonly a: { readonly machine: string; readonly model: string; readonly scenario: Scenario };
  readonly b: { readonly machine: string; readonly model: string; readonly scenario: Scenario };
  readonly unit: string;
  readonly bestA: number | null;
  readonly bestB: number | null;
  /** bestB / bestA for throughput, bestA / bestB for latency: > 1 means B is faster. */
  readonly speedup: number | null;
  readonly rows: readonly BenchComparisonRow[];
}

export const benchRunRequestSchema = z.object({
  model: z.string().min(1).max(200).describe('NAME or NAME@VERSION'),
  scenario: z.enum(SCENARIOS).default('offline'),
  /** A smoke run: few configurations, short trials (within 30 s on a small model). */
  quick: z.boolean().default(false),
  /** Store the best configurations as the model's tuned ones (default: yes; a quick run never replaces a full run's). */
  keepTuned: z.boolean().optional(),
  /** Providers to search (default: every provider the hardware probe found working, else cpu). */
  providers: z.array(z.string().min(1).max(40)).max(8).optional(),
  /** Fixed shapes for inputs with symbolic dimensions, by input name (the batch dimension is still searched). */
  shapes: z.record(z.string(), z.array(z.number().int().min(1).max(1_000_000)).max(16)).optional(),
  maxBatchSize: z.number().int().min(1).max(1024).optional(),
  /** Server scenario: Poisson arrival rate (queries/s) and the p99 latency bound. */
  targetQps: z.number().positive().max(1_000_000).optional(),
  latencyBoundMs: z.number().positive().max(3_600_000).optional(),
  operationId: z.string().min(1).max(100).optional(),
});

export const benchChannels = {
  /** Benchmarks a model over the search space, stores the report and the tuned configs. Long: progress and cancel by operationId. */
  'bench:run': channel<BenchReport>()(benchRunRequestSchema),
  /** Stored runs (newest first), for one model or all. */
  'bench:results': channel<BenchRunSummary[]>()(
    z.object({
      model: z.string().min(1).max(200).optional(),
      limit: z.number().int().min(1).max(1000).default(50),
    }),
  ),
  /** One stored report in full (the exportable document). */
  'bench:report': channel<BenchReport>()(z.object({ id: z.string().min(1).max(100) })),
  /** Tuned configs per model and objective, with staleness against this machine. */
  'bench:tuned': channel<TunedConfig[]>()(z.object({ model: z.string().min(1).max(200).optional() })),
};

/** How `inference:run` / `airlock run --config` pick a session configuration. */
export const runConfigSchema = z.union([z.enum(['latency', 'throughput', 'default']), benchConfigSchema]);
export type RunConfigRequest = z.infer<typeof runConfigSchema>;

/** The configuration a run used, why, and whether a tuned choice was set aside as stale. */
export interface AppliedConfig {
  readonly source: 'tuned-latency' | 'tuned-throughput' | 'default' | 'explicit';
  readonly config: BenchConfig;
  /** A tuned choice exists but was made on other hardware (so the defaults were used). */
  readonly stale: boolean;
  /** What a user should know (stale choice, provider not working here), or null. */
  readonly note: string | null;
  readonly benchRunId: string | null;
}
