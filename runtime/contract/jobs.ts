import { z } from 'zod';
import { channel } from './channel.js';
import type { ErrorInfo } from './errors.js';

export const JOB_STATES = ['running', 'cancelled', 'completed'] as const;
export type JobState = (typeof JOB_STATES)[number];

/** The session and batching settings a job ran with (recorded and audited). */
export const jobConfigSchema = z.strictObject({
  /** Without session fields, a job uses the model's tuned throughput config for this machine. */
  executionProvider: z.string().min(1).max(64).optional(),
  intraOpNumThreads: z.number().int().min(0).max(1024).optional(),
  interOpNumThreads: z.number().int().min(0).max(1024).optional(),
  executionMode: z.enum(['sequential', 'parallel']).optional(),
  graphOptimizationLevel: z.enum(['disabled', 'basic', 'extended', 'all']).optional(),
  /** Inputs in flight at once (what the dynamic batcher can merge). */
  concurrency: z.number().int().min(1).max(256).default(16),
  /** Largest merged batch; unset: the tuned throughput batch size, else 16. */
  maxBatchSize: z.number().int().min(1).max(1024).optional(),
  maxQueueDelayMs: z.number().min(0).max(10_000).default(2),
  /** Where the session settings came from: tuned-throughput, default or explicit (set by the engine). */
  source: z.enum(['tuned-latency', 'tuned-throughput', 'default', 'explicit']).optional(),
});
export type JobConfig = z.infer<typeof jobConfigSchema>;

export interface JobInfo {
  readonly id: string;
  /** NAME@VERSION as resolved when the job started (or the reference given, if none was installed). */
  readonly model: string;
  readonly inputsDir: string;
  readonly outFile: string;
  readonly format: 'csv' | 'jsonl';
  readonly state: JobState;
  readonly total: number;
  readonly done: number;
  readonly failed: number;
  /** SHA-256 over the sorted (file name, file SHA-256) list of the inputs. */
  readonly inputsDigest: string;
  /** SHA-256 of the output file once the job completed. */
  readonly outputSha256: string | null;
  readonly config: JobConfig;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly updatedAt: string;
  readonly finishedAt: string | null;
}

/** A failed input of a job with the reason its results line gives. */
export interface JobFailure {
  readonly file: string;
  readonly code: string;
  readonly message: string;
}

/** What `jobs:get` adds: the failed inputs so far, from the job's results file (at most 500). */
export interface JobDetail extends JobInfo {
  readonly failures: readonly JobFailure[];
}

/** One result line (JSON Lines form; CSV carries the same facts flattened). */
export interface JobLine {
  readonly file: string;
  readonly sha256: string | null;
  readonly ok: boolean;
  readonly result?: unknown;
  readonly outputs?: unknown;
  readonly error?: ErrorInfo;
}

const jobId = z.string().min(1).max(100);

export const jobsChannels = {
  'jobs:start': channel<JobInfo>()(
    z.object({
      model: z.string().min(1).max(200).describe('NAME or NAME@VERSION'),
      inputsDir: z.string().min(1).max(4096),
      outFile: z.string().min(1).max(4096).describe('.csv or .jsonl; must not exist yet'),
      config: jobConfigSchema.optional(),
      operationId: z.string().min(1).max(100).optional(),
    }),
  ),
  'jobs:list': channel<JobInfo[]>()(z.object({})),
  'jobs:get': channel<JobDetail>()(z.object({ id: jobId })),
  'jobs:resume': channel<JobInfo>()(
    z.object({ id: jobId, operationId: z.string().min(1).max(100).optional() }),
  ),
  'jobs:cancel': channel<JobInfo>()(z.object({ id: jobId })),
};
