import { createHash, randomUUID } from 'node:crypto';
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { z } from 'zod';
import type { Airlock } from '../airlock.js';
import type { Actor } from '../audit/audit-log.js';
import type { ProgressEvent } from '../contract/channel.js';
import type { ErrorInfo } from '../contract/errors.js';
import { jobConfigSchema, type JobConfig, type JobInfo, type JobLine } from '../contract/jobs.js';
import type { InstalledModel } from '../contract/models.js';
import type { ProcessedResult } from '../contract/processing.js';
import { tensorMapSchema, type TensorMapJson } from '../contract/tensors.js';
import { AirlockError, toErrorInfo } from '../errors.js';
import type { SessionConfig } from '../inference/engine.js';
import { parseNpy } from '../inference/npy.js';
import { toPlainJson } from '../inference/tensors.js';
import type { StageRun } from '../pipeline/ocr.js';
import { decodeImage, isImageFile } from '../processing/image.js';
import { inferImage, postprocessTensors } from '../processing/run-image.js';
import { resolveRunConfig } from '../tuning/resolve.js';
import { sha256File } from '../util/hash.js';
import { JobStore, type JobItem, type JobRecord } from './job-store.js';

export interface JobRunOptions {
  readonly signal?: AbortSignal | undefined;
  readonly onProgress?: ((event: ProgressEvent) => void) | undefined;
  readonly operationId?: string | undefined;
}

export interface StartJobRequest {
  readonly model: string;
  readonly inputsDir: string;
  readonly outFile: string;
  readonly config?: Partial<JobConfig> | undefined;
}

const CSV_HEADER = 'file,ok,result,error_code,error_message,sha256\n';

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Largest merged batch of a job when neither the caller nor a benchmark chose one. */
const DEFAULT_JOB_BATCH = 16;

/** A one-cell summary of a result for CSV (the JSON Lines form keeps everything). */
export function summarize(result: ProcessedResult): string {
  switch (result.kind) {
    case 'text':
      return result.text;
    case 'classes':
      return result.top.map((c) => `${c.label ?? c.index}:${c.score.toFixed(4)}`).join(' ');
    case 'boxes':
      return result.boxes.map((b) => b.box.join(' ')).join('; ');
    case 'lines':
      return result.lines.map((l) => l.text).join(' | ');
  }
}

export function formatLine(format: 'csv' | 'jsonl', line: JobLine): string {
  if (format === 'jsonl') return JSON.stringify(line) + '\n';
  const result = line.result
    ? summarize(line.result as ProcessedResult)
    : line.outputs
      ? JSON.stringify(line.outputs)
      : '';
  return (
    [line.file, String(line.ok), result, line.error?.code ?? '', line.error?.message ?? '', line.sha256 ?? '']
      .map(csvField)
      .join(',') + '\n'
  );
}

/** The input files of a folder: regular files, not hidden, sorted by name (the job's order). */
async function listInputs(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (cause) {
    throw new AirlockError(
      'MEDIA_NOT_FOUND',
      `Cannot read the input folder ${dir}: ${(cause as Error).message}. Check the path and that the medium is mounted.`,
      { cause, details: { dir } },
    );
  }
  return entries
    .filter((e) => e.isFile() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
}

export function inputsDigest(items: readonly { file: string; sha256: string | null }[]): string {
  const hash = createHash('sha256');
  for (const item of items) hash.update(`${item.file}\u0000${item.sha256 ?? '-'}\n`);
  return hash.digest('hex');
}

function sessionConfig(config: JobConfig): SessionConfig {
  return {
    executionProvider: config.executionProvider ?? 'cpu',
    ...(config.intraOpNumThreads ? { intraOpNumThreads: config.intraOpNumThreads } : {}),
    ...(config.interOpNumThreads ? { interOpNumThreads: config.interOpNumThreads } : {}),
    ...(config.executionMode ? { executionMode: config.executionMode } : {}),
    ...(config.graphOptimizationLevel ? { graphOptimizationLevel: config.graphOptimizationLevel } : {}),
  };
}

/** Runs one input file; any failure becomes that file's error line, never the job's. */
async function processItem(
  airlock: Airlock,
  job: JobRecord,
  model: InstalledModel | ErrorInfo,
  item: JobItem,
  signal: AbortSignal | undefined,
): Promise<JobLine> {
  const base = { file: item.file, sha256: item.sha256 };
  try {
    if ('code' in model) throw new AirlockError(model.code, model.message);
    const path = join(job.inputsDir, item.file);
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (cause) {
      throw new AirlockError('MEDIA_READ_FAILED', `Cannot read ${item.file}: ${(cause as Error).message}.`, {
        cause,
      });
    }
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (item.sha256 !== null && sha256 !== item.sha256) {
      throw new AirlockError(
        'INPUT_INVALID',
        `${item.file} changed since the job started (its SHA-256 differs); it was not run. Start a new job for the new file.`,
        { details: { expected: item.sha256, actual: sha256 } },
      );
    }
    const config = sessionConfig(job.config);
    const batching = {
      maxBatchSize: job.config.maxBatchSize ?? DEFAULT_JOB_BATCH,
      maxQueueDelayMs: job.config.maxQueueDelayMs,
    };
    const run: StageRun = async (m, inputs) =>
      (await airlock.batching.run(m, inputs, { config, batching, signal })).outputs;
    if (isImageFile(item.file)) {
      const outcome = await inferImage(airlock, model, await decodeImage(bytes, item.file), { config, run });
      return outcome.result
        ? { ...base, ok: true, result: outcome.result }
        : { ...base, ok: true, outputs: toPlainJson(outcome.outputs) };
    }
    let inputs: TensorMapJson;
    const ext = extname(item.file).toLowerCase();
    if (ext === '.npy') {
      if (model.card.inputs.length !== 1)
        throw new AirlockError(
          'INPUT_NAME_MISMATCH',
          `A .npy file feeds a model with one input; ${job.model} has ${model.card.inputs.length}. Use JSON input files naming each.`,
        );
      inputs = { [model.card.inputs[0]!.name]: parseNpy(bytes) };
    } else if (ext === '.json') {
      let json: unknown;
      try {
        json = JSON.parse(bytes.toString('utf8'));
      } catch (cause) {
        throw new AirlockError('INPUT_INVALID', `${item.file} is not JSON (${(cause as Error).message}).`, {
          cause,
        });
      }
      const parsed = tensorMapSchema.safeParse(json);
      if (!parsed.success)
        throw new AirlockError(
          'INPUT_INVALID',
          `${item.file} is not an input map: ${z.prettifyError(parsed.error)}.`,
        );
      inputs = parsed.data;
    } else {
      throw new AirlockError(
        'INPUT_INVALID',
        `${item.file} is not an input Airlock reads (images, .npy or .json); it was skipped.`,
      );
    }
    if (model.card.pipeline)
      throw new AirlockError(
        'INPUT_INVALID',
        `${job.model} is a pipeline that reads images; ${item.file} is a tensor file.`,
      );
    const outputs = await run(model, inputs);
    const processed = model.card.postprocess?.length ? await postprocessTensors(airlock, model, outputs) : {};
    return processed.result
      ? {
          ...base,
          ok: true,
          result: processed.results && processed.results.length > 1 ? processed.results : processed.result,
        }
      : { ...base, ok: true, outputs: toPlainJson(outputs) };
  } catch (error) {
    return { ...base, ok: false, error: toErrorInfo(error) };
  }
}

function resolveModel(airlock: Airlock, ref: string): InstalledModel | ErrorInfo {
  try {
    const model = airlock.registry.resolve(ref);
    if (!model.enabled)
      return {
        code: 'MODEL_DISABLED',
        message: `${model.name}@${model.version} is disabled (${model.disabledReason ?? 'by an admin'}); it cannot run.`,
      };
    return model;
  } catch (error) {
    return toErrorInfo(error);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs the job's pending inputs, `concurrency` at a time (so the dynamic batcher can merge them),
 * and writes their lines in input order. Lines are appended and fsynced first, then their inputs
 * are marked done with the file's new length in one transaction. After a crash the output is cut
 * back to the last recorded length, so every input ends with exactly one line.
 */
async function execute(
  airlock: Airlock,
  actor: Actor,
  store: JobStore,
  job: JobRecord,
  options: JobRunOptions,
): Promise<JobInfo> {
  const now = () => airlock.now().toISOString();
  // Cancellable by the caller's signal, its operationId, or jobs:cancel (by job id).
  const controller = new AbortController();
  const onOuter = () => controller.abort();
  options.signal?.addEventListener('abort', onOuter, { once: true });
  if (options.signal?.aborted) controller.abort();
  airlock.operations.set(`job:${job.id}`, controller);
  if (options.operationId) airlock.operations.set(options.operationId, controller);
  const signal = controller.signal;
  const fh = await open(job.outFile, 'r+');
  let committed = job.committedBytes;
  try {
    await fh.truncate(committed);
    await fh.sync();
    const pending = store.pending(job.id);
    const model = resolveModel(airlock, job.model);
    const total = job.total;
    let done = total - pending.length;
    const started = performance.now();
    const report = (phase: string) =>
      options.onProgress?.({
        operationId: options.operationId ?? job.id,
        phase,
        done,
        total,
        rate: done > 0 ? (done - (total - pending.length)) / ((performance.now() - started) / 1000) : null,
        unit: 'items',
      });
    report('batch');
    const ready = new Map<number, JobLine>();
    let nextToWrite = 0; // index into `pending`
    let writing: Promise<void> = Promise.resolve();
    const flush = async () => {
      const lines: { seq: number; ok: boolean; text: string }[] = [];
      while (nextToWrite < pending.length && ready.has(pending[nextToWrite]!.seq)) {
        const item = pending[nextToWrite]!;
        const line = ready.get(item.seq)!;
        ready.delete(item.seq);
        lines.push({ seq: item.seq, ok: line.ok, text: formatLine(job.format, line) });
        nextToWrite++;
      }
      if (lines.length === 0) return;
      const bytes = Buffer.from(lines.map((l) => l.text).join(''), 'utf8');
      await fh.write(bytes, 0, bytes.length, committed);
      await fh.sync();
      committed += bytes.length;
      store.commit(job.id, lines, committed, now());
      done += lines.length;
      report('batch');
    };
    const concurrency = job.config.concurrency;
    let next = 0;
    const workers = Array.from({ length: Math.min(concurrency, pending.length) }, async () => {
      while (next < pending.length && !signal.aborted) {
        const item = pending[next++]!;
        const line = await processItem(airlock, job, model, item, undefined);
        ready.set(item.seq, line);
        writing = writing.then(flush);
      }
    });
    await Promise.all(workers);
    await writing;
    // Lines computed but not yet contiguous (an earlier input was never started) are dropped: they
    // will be computed again on resume.
    if (signal.aborted || nextToWrite < pending.length) {
      // jobs:cancel already recorded the cancellation; a signal (Ctrl-C, operation:cancel) did not.
      if (store.get(job.id).state !== 'cancelled') {
        store.setState(job.id, 'cancelled', now());
        airlock.audit.append(actor, {
          action: 'job.cancel',
          target: job.id,
          outcome: 'success',
          details: { model: job.model, done, total, committedBytes: committed },
        });
      }
      return JobStore.info(store.get(job.id));
    }
  } finally {
    await fh.close();
    options.signal?.removeEventListener('abort', onOuter);
    airlock.operations.delete(`job:${job.id}`);
    if (options.operationId) airlock.operations.delete(options.operationId);
  }
  const { sha256, size } = await sha256File(job.outFile);
  store.setState(job.id, 'completed', now(), { outputSha256: sha256 });
  const finished = store.get(job.id);
  airlock.audit.append(actor, {
    action: 'job.complete',
    target: job.id,
    outcome: 'success',
    details: {
      model: job.model,
      inputsDigest: job.inputsDigest,
      count: job.total,
      done: finished.done,
      failed: finished.failed,
      outFile: job.outFile,
      outputSha256: sha256,
      outputSize: size,
      config: job.config,
    },
  });
  return JobStore.info(finished);
}

/**
 * Session settings given with the job are used as they are; without them, the model's tuned
 * throughput choice for this machine (auto-tuning), else onnxruntime's defaults. The tuned batch
 * size caps the dynamic batcher unless the caller set one: on CPUs, larger batches of some models
 * cost more per row, and the benchmark measured where throughput peaks.
 */
async function chooseConfig(
  airlock: Airlock,
  model: InstalledModel | ErrorInfo,
  config: JobConfig,
): Promise<JobConfig> {
  const batch = config.maxBatchSize;
  const explicit =
    config.executionProvider !== undefined ||
    config.intraOpNumThreads !== undefined ||
    config.interOpNumThreads !== undefined ||
    config.executionMode !== undefined ||
    config.graphOptimizationLevel !== undefined;
  if (explicit)
    return {
      ...config,
      executionProvider: config.executionProvider ?? 'cpu',
      maxBatchSize: batch ?? DEFAULT_JOB_BATCH,
      source: 'explicit',
    };
  if ('code' in model)
    return {
      ...config,
      executionProvider: 'cpu',
      maxBatchSize: batch ?? DEFAULT_JOB_BATCH,
      source: 'default',
    };
  const applied = await resolveRunConfig(airlock, model, 'throughput');
  const { batchSize, ...session } = applied.config;
  const tunedBatch = applied.source === 'tuned-throughput' ? batchSize : undefined;
  return {
    ...config,
    ...session,
    maxBatchSize: batch ?? tunedBatch ?? DEFAULT_JOB_BATCH,
    source: applied.source,
  };
}

/** Lists and hashes the inputs, records the job (audited), and runs it. */
export async function startJob(
  airlock: Airlock,
  actor: Actor,
  request: StartJobRequest,
  options: JobRunOptions = {},
): Promise<JobInfo> {
  const store = new JobStore(airlock.db);
  const outFile = resolve(request.outFile);
  const inputsDir = resolve(request.inputsDir);
  const ext = extname(outFile).toLowerCase();
  if (ext !== '.csv' && ext !== '.jsonl')
    throw new AirlockError('USAGE', `The output file must end in .csv or .jsonl; given ${request.outFile}.`);
  const format = ext === '.csv' ? 'csv' : 'jsonl';
  const exists = await stat(outFile).then(
    () => true,
    () => false,
  );
  if (exists)
    throw new AirlockError(
      'USAGE',
      `${outFile} already exists; a job never overwrites results. Choose another --out, or resume the job that wrote it ("airlock jobs").`,
    );
  let config = jobConfigSchema.parse(request.config ?? {});
  const names = await listInputs(inputsDir);
  const items: { file: string; sha256: string | null }[] = [];
  for (const file of names) {
    if (options.signal?.aborted)
      throw new AirlockError(
        'CANCELLED',
        'The batch job was cancelled while its inputs were being read; nothing was recorded.',
      );
    // An unreadable file is still an input: it gets its own error line.
    const sha256 = await sha256File(join(inputsDir, file)).then(
      (r) => r.sha256,
      () => null,
    );
    items.push({ file, sha256 });
  }
  const resolved = resolveModel(airlock, request.model);
  const model = 'code' in resolved ? request.model : `${resolved.name}@${resolved.version}`;
  config = await chooseConfig(airlock, resolved, config);
  const id = randomUUID();
  const digest = inputsDigest(items);
  // The output file exists (with the CSV header) before the job row that points at it.
  const header = format === 'csv' ? CSV_HEADER : '';
  const fh = await open(outFile, 'wx');
  try {
    await fh.write(header);
    await fh.sync();
  } finally {
    await fh.close();
  }
  const createdAt = airlock.now().toISOString();
  airlock.recorded(actor, () => {
    store.insert(
      {
        id,
        model,
        inputsDir,
        outFile,
        format,
        config,
        inputsDigest: digest,
        total: items.length,
        createdAt,
        createdBy: actor.name,
      },
      items,
      Buffer.byteLength(header),
    );
    return {
      result: null,
      event: {
        action: 'job.start',
        target: id,
        outcome: 'success',
        details: { model, inputsDir, inputsDigest: digest, count: items.length, outFile, format, config },
      },
    };
  });
  return execute(airlock, actor, store, store.get(id), options);
}

/** Continues a job that crashed or was cancelled, from its state in the database. */
export async function resumeJob(
  airlock: Airlock,
  actor: Actor,
  id: string,
  options: JobRunOptions = {},
): Promise<JobInfo> {
  const store = new JobStore(airlock.db);
  const job = store.get(id);
  if (job.state === 'completed')
    throw new AirlockError(
      'USAGE',
      `Job ${id} already completed (${job.done} done, ${job.failed} failed); its results are in ${job.outFile}.`,
    );
  if (
    job.state === 'running' &&
    job.ownerPid !== null &&
    job.ownerPid !== process.pid &&
    isAlive(job.ownerPid)
  ) {
    throw new AirlockError(
      'USAGE',
      `Job ${id} is still running in process ${job.ownerPid}; cancel it there first.`,
    );
  }
  const size = await stat(job.outFile).then(
    (s) => s.size,
    () => -1,
  );
  if (size < job.committedBytes) {
    throw new AirlockError(
      'IO_ERROR',
      `The output file ${job.outFile} is missing or shorter than the ${job.committedBytes} bytes already recorded; it was changed outside Airlock, so the job cannot resume safely. Start a new job.`,
    );
  }
  airlock.recorded(actor, () => {
    store.setState(id, 'running', airlock.now().toISOString(), { ownerPid: process.pid });
    return {
      result: null,
      event: {
        action: 'job.resume',
        target: id,
        outcome: 'success',
        details: {
          model: job.model,
          done: job.done + job.failed,
          total: job.total,
          discardedBytes: size - job.committedBytes,
        },
      },
    };
  });
  return execute(airlock, actor, store, store.get(id), options);
}

/** Marks a job cancelled (and stops it if it runs in this process, through its operation). */
export function cancelJob(airlock: Airlock, actor: Actor, id: string): JobInfo {
  const store = new JobStore(airlock.db);
  const job = store.get(id);
  if (job.state === 'completed')
    throw new AirlockError('USAGE', `Job ${id} already completed; there is nothing to cancel.`);
  airlock.operations.get(`job:${id}`)?.abort();
  return airlock.recorded(actor, () => {
    store.setState(id, 'cancelled', airlock.now().toISOString());
    return {
      result: JobStore.info(store.get(id)),
      event: {
        action: 'job.cancel',
        target: id,
        outcome: 'success',
        details: { model: job.model, done: job.done + job.failed, total: job.total },
      },
    };
  });
}
