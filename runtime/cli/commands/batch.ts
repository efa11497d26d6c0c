import { randomUUID } from 'node:crypto';
import { call } from '../../api/handlers.js';
import type { JobInfo } from '../../contract/jobs.js';
import { AirlockError } from '../../errors.js';
import { str, type CliContext, type Command } from '../command.js';

function int(ctx: CliContext, name: string): number | undefined {
  const v = str(ctx, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0)
    throw new AirlockError('USAGE', `--${name} must be a number; given "${v}".`);
  return n;
}

function describe(job: JobInfo): string {
  const state =
    job.state === 'completed' ? 'completed' : job.state === 'cancelled' ? 'CANCELLED' : 'running/interrupted';
  return `${job.id}  ${job.model}  ${state}  ${job.done} done, ${job.failed} failed of ${job.total}  → ${job.outFile}`;
}

function outcome(job: JobInfo) {
  const finished = job.state === 'completed';
  const text = finished
    ? `Job ${job.id}: ${job.done} done, ${job.failed} failed of ${job.total} inputs; results in ${job.outFile} (SHA-256 ${job.outputSha256})`
    : `Job ${job.id} stopped after ${job.done + job.failed} of ${job.total} inputs; continue with "airlock jobs resume ${job.id}".`;
  return {
    json: job,
    text,
    exitCode: finished ? (0 as const) : (1 as const),
    audit: { job: job.id, state: job.state, done: job.done, failed: job.failed },
  };
}

export const batchCommands: Command[] = [
  {
    name: 'batch',
    args: 'NAME[@VERSION] --inputs DIR --out FILE.csv|FILE.jsonl',
    summary:
      'Run a model over every image, .npy or JSON file of a folder: one result line per input, resumable after a crash.',
    options: {
      inputs: { type: 'string', description: 'folder of inputs (images, .npy or .json files)' },
      out: { type: 'string', description: 'results file, .csv or .jsonl (must not exist)' },
      concurrency: { type: 'string', description: 'inputs in flight at once (default 16)' },
      'max-batch': {
        type: 'string',
        description: 'dynamic batching: most rows merged into one run (default 16)',
      },
      'max-delay': { type: 'string', description: 'dynamic batching: max queue delay in ms (default 2)' },
      threads: { type: 'string', description: 'onnxruntime intra-op threads (default: onnxruntime chooses)' },
    },
    positionals: [1, 1],
    dataDir: true,
    async run(ctx) {
      const inputsDir = str(ctx, 'inputs');
      const outFile = str(ctx, 'out');
      if (!inputsDir || !outFile)
        throw new AirlockError(
          'USAGE',
          '"airlock batch" needs --inputs DIR and --out FILE (.csv or .jsonl).',
        );
      const concurrency = int(ctx, 'concurrency');
      const maxBatchSize = int(ctx, 'max-batch');
      const maxQueueDelayMs = int(ctx, 'max-delay');
      const threads = int(ctx, 'threads');
      const config = {
        ...(concurrency !== undefined ? { concurrency } : {}),
        ...(maxBatchSize !== undefined ? { maxBatchSize } : {}),
        ...(maxQueueDelayMs !== undefined ? { maxQueueDelayMs } : {}),
        ...(threads !== undefined ? { intraOpNumThreads: threads } : {}),
      };
      const job = await call(
        ctx.handlers!,
        'jobs:start',
        { model: ctx.positionals[0], inputsDir, outFile, config, operationId: randomUUID() },
        { ...ctx, onProgress: ctx.progress },
      );
      return outcome(job);
    },
  },
  {
    name: 'jobs',
    args: '',
    summary: 'List batch jobs.',
    positionals: [0, 0],
    dataDir: true,
    async run(ctx) {
      const jobs = await call(ctx.handlers!, 'jobs:list', {}, ctx);
      return {
        json: jobs,
        text:
          jobs.length === 0
            ? 'No batch jobs yet. Start one with "airlock batch NAME --inputs DIR --out FILE".'
            : jobs.map(describe).join('\n'),
      };
    },
  },
  {
    name: 'jobs show',
    args: 'ID',
    summary: 'Show a batch job.',
    positionals: [1, 1],
    dataDir: true,
    async run(ctx) {
      const job = await call(ctx.handlers!, 'jobs:get', { id: ctx.positionals[0] }, ctx);
      return {
        json: job,
        text: `${describe(job)}\ninputs ${job.inputsDir} (digest ${job.inputsDigest})\nconfig ${JSON.stringify(job.config)}`,
      };
    },
  },
  {
    name: 'jobs resume',
    args: 'ID',
    summary: 'Continue a batch job that was interrupted or cancelled, from where its results end.',
    positionals: [1, 1],
    dataDir: true,
    async run(ctx) {
      const job = await call(
        ctx.handlers!,
        'jobs:resume',
        { id: ctx.positionals[0], operationId: randomUUID() },
        { ...ctx, onProgress: ctx.progress },
      );
      return outcome(job);
    },
  },
  {
    name: 'jobs cancel',
    args: 'ID',
    summary: 'Cancel a batch job (it will not be resumed by accident; "jobs resume" still can).',
    positionals: [1, 1],
    dataDir: true,
    async run(ctx) {
      const job = await call(ctx.handlers!, 'jobs:cancel', { id: ctx.positionals[0] }, ctx);
      return { json: job, text: `Cancelled: ${describe(job)}` };
    },
  },
];
