import { createHash, randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open, rm, type FileHandle } from 'node:fs/promises';
import { dirname, extname, join, resolve } from 'node:path';
import type { Actor, AuditLog } from '../audit/audit-log.js';
import type { ProgressEvent } from '../contract/channel.js';
import { diskFullError, freeBytes, isDiskFull } from '../db/disk.js';
import { jobConfigSchema, type JobConfig, type JobInfo, type JobLine } from '../contract/jobs.js';
import type { InstalledModel } from '../contract/models.js';
import { AirlockError, toErrorInfo } from '../errors.js';
import { toSessionConfig } from '../inference/engine.js';
import { toPlainJson } from '../inference/tensors.js';
import { readInputFile } from '../run/input-file.js';
import type { ModelRunner } from '../run/runner.js';
import { DEFAULT_JOB_BATCH, type RunConfigs } from '../tuning/resolve.js';
import { sha256File } from '../util/hash.js';
import type { TaskRegistry } from '../tasks/registry.js';
import type { Operations } from '../util/operations.js';
import { hashInputs, inputsDigest } from './job-inputs.js';
import { CSV_HEADER, formatLine } from './job-output.js';
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

export interface JobServices {
  readonly jobs: JobStore;
  readonly runner: Pick<ModelRunner, 'admitted' | 'infer'>;
  readonly configs: Pick<RunConfigs, 'forJob'>;
  readonly audit: Pick<AuditLog, 'append' | 'recorded'>;
  readonly operations: Operations;
  /** The task centre: a job is the task `job:ID` until it ends (absent: not tracked). */
  readonly tasks?: Pick<TaskRegistry, 'track'>;
  readonly now: () => Date;
}

/** A job's one-line outcome: "98 of 100 files, 2 failed". */
export function jobSummary(info: Pick<JobInfo, 'done' | 'failed' | 'total'>): string {
  return `${info.done + info.failed} of ${info.total} files, ${info.failed} failed`;
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
 * Resumable batch jobs over a folder of inputs. The runner schedules and records: each input
 * goes through the one run path (admission at run time, the model's dynamic batcher), and its
 * line is durable before the input counts as done.
 */
/**
 * Reopens a job's output file to truncate it to its committed length and append: the regular
 * file the job created, opened without following a link and checked on its descriptor, so a link
 * or FIFO swapped in between runs is refused (IO_ERROR) instead of truncating what it points at.
 */
async function openOutput(path: string): Promise<FileHandle> {
  const refused = (cause?: unknown) =>
    new AirlockError(
      'IO_ERROR',
      `The output file ${path} is no longer the regular file the job wrote (a link, folder or FIFO is in its place); it was left untouched and the job cannot resume. Start a new job.`,
      { details: { file: path }, ...(cause === undefined ? {} : { cause }) },
    );
  let fh: FileHandle;
  try {
    fh = await open(path, constants.O_RDWR | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (cause) {
    throw refused(cause);
  }
  if (!(await fh.stat()).isFile()) {
    await fh.close();
    throw refused();
  }
  return fh;
}

export class JobRunner {
  constructor(private readonly services: JobServices) {}

  /** Lists and hashes the inputs, records the job (audited), and runs it. */
  async start(actor: Actor, request: StartJobRequest, options: JobRunOptions = {}): Promise<JobInfo> {
    const { jobs, audit, configs, runner } = this.services;
    const outFile = resolve(request.outFile);
    const inputsDir = resolve(request.inputsDir);
    const ext = extname(outFile).toLowerCase();
    if (ext !== '.csv' && ext !== '.jsonl')
      throw new AirlockError(
        'USAGE',
        `The output file must end in .csv or .jsonl; given ${request.outFile}.`,
      );
    const format = ext === '.csv' ? 'csv' : 'jsonl';
    const exists = await lstat(outFile).then(
      () => true,
      () => false,
    );
    if (exists)
      throw new AirlockError(
        'USAGE',
        `${outFile} already exists; a job never overwrites results. Choose another --out, or resume the job that wrote it ("airlock jobs").`,
      );
    const items = await hashInputs(inputsDir, options.signal);
    // A model that may not run still gets a job: every input's line says why.
    let resolved: InstalledModel | null;
    try {
      resolved = runner.admitted(request.model);
    } catch {
      resolved = null;
    }
    const model = resolved ? `${resolved.name}@${resolved.version}` : request.model;
    const config = await configs.forJob(resolved, jobConfigSchema.parse(request.config ?? {}));
    const id = randomUUID();
    const digest = inputsDigest(items);
    // The output file exists (with the CSV header) before the job row that points at it. If the
    // job cannot be recorded (the database locked or the disk full), the file this call just made
    // is removed again: no results file without its job.
    const header = format === 'csv' ? CSV_HEADER : '';
    const fh = await open(outFile, 'wx');
    try {
      try {
        await fh.write(header);
        await fh.sync();
      } finally {
        await fh.close();
      }
      const createdAt = this.services.now().toISOString();
      audit.recorded(actor, () => {
        jobs.insert(
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
    } catch (error) {
      await rm(outFile, { force: true });
      if (!(error instanceof AirlockError) && isDiskFull(error, () => freeBytes(dirname(outFile))))
        throw diskFullError(
          dirname(outFile),
          error,
          `the results file ${outFile} cannot be written; no job was started`,
        );
      throw error;
    }
    return this.execute(actor, jobs.get(id), options);
  }

  /** Continues a job that crashed or was cancelled, from its state in the database. */
  async resume(actor: Actor, id: string, options: JobRunOptions = {}): Promise<JobInfo> {
    const { jobs, audit } = this.services;
    const job = jobs.get(id);
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
    // lstat: the file Airlock made, never what a link put in its place points at.
    const size = await lstat(job.outFile).then(
      (s) => (s.isFile() ? s.size : -1),
      () => -1,
    );
    if (size < job.committedBytes) {
      throw new AirlockError(
        'IO_ERROR',
        `The output file ${job.outFile} is missing or shorter than the ${job.committedBytes} bytes already recorded; it was changed outside Airlock, so the job cannot resume safely. Start a new job.`,
      );
    }
    audit.recorded(actor, () => {
      jobs.setState(id, 'running', this.services.now().toISOString(), { ownerPid: process.pid });
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
    return this.execute(actor, jobs.get(id), options);
  }

  /** Marks a job cancelled (and stops it if it runs in this process, through its operation). */
  cancel(actor: Actor, id: string): JobInfo {
    const { jobs, audit, operations } = this.services;
    const job = jobs.get(id);
    if (job.state === 'completed')
      throw new AirlockError('USAGE', `Job ${id} already completed; there is nothing to cancel.`);
    operations.cancel(`job:${id}`);
    return audit.recorded(actor, () => {
      jobs.setState(id, 'cancelled', this.services.now().toISOString());
      return {
        result: JobStore.info(jobs.get(id)),
        event: {
          action: 'job.cancel',
          target: id,
          outcome: 'success',
          details: { model: job.model, done: job.done + job.failed, total: job.total },
        },
      };
    });
  }

  /** Runs one input file through the run path; any failure becomes that file's error line. */
  private async processItem(job: JobRecord, item: JobItem): Promise<JobLine> {
    const base = { file: item.file, sha256: item.sha256 };
    try {
      // Admission at run time: a model disabled or revoked while the job runs stops here.
      const model = this.services.runner.admitted(job.model);
      let bytes: Buffer;
      try {
        // Listed by the job (links skipped there): a link put in its place later is not followed.
        bytes = await readInputFile(join(job.inputsDir, item.file), undefined, { followLinks: false });
      } catch (cause) {
        throw new AirlockError(
          'MEDIA_READ_FAILED',
          `Cannot read ${item.file}: ${toErrorInfo(cause).message}`,
          {
            cause,
          },
        );
      }
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      if (item.sha256 !== null && sha256 !== item.sha256) {
        throw new AirlockError(
          'INPUT_INVALID',
          `${item.file} changed since the job started (its SHA-256 differs); it was not run. Start a new job for the new file.`,
          { details: { expected: item.sha256, actual: sha256 } },
        );
      }
      const outcome = await this.services.runner.infer(
        model,
        { file: { bytes, name: item.file } },
        {
          config: toSessionConfig(job.config),
          batching: {
            maxBatchSize: job.config.maxBatchSize ?? DEFAULT_JOB_BATCH,
            maxQueueDelayMs: job.config.maxQueueDelayMs,
          },
        },
      );
      if (!outcome.result) return { ...base, ok: true, outputs: toPlainJson(outcome.outputs) };
      const several = (outcome.results?.length ?? 0) > 1;
      return { ...base, ok: true, result: several ? outcome.results! : outcome.result };
    } catch (error) {
      return { ...base, ok: false, error: toErrorInfo(error) };
    }
  }

  /**
   * Runs the job's pending inputs, `concurrency` at a time (so the dynamic batcher can merge them),
   * and writes their lines in input order. Lines are appended and fsynced first, then their inputs
   * are marked done with the file's new length in one transaction. After a crash the output is cut
   * back to the last recorded length, so every input ends with exactly one line.
   */
  private async execute(actor: Actor, job: JobRecord, options: JobRunOptions): Promise<JobInfo> {
    const { tasks } = this.services;
    if (!tasks) return this.executeTracked(actor, job, options);
    const id = `job:${job.id}`;
    return tasks.track(
      {
        id,
        kind: 'batch',
        title: `Batch ${job.model} over ${job.inputsDir}`,
        actor,
        link: { screen: 'run', ref: id },
      },
      options.onProgress,
      (onProgress) => this.executeTracked(actor, job, { ...options, onProgress }),
      (info) => ({
        state: info.state === 'completed' ? 'completed' : 'cancelled',
        summary: jobSummary(info),
      }),
    );
  }

  private async executeTracked(actor: Actor, job: JobRecord, options: JobRunOptions): Promise<JobInfo> {
    const { jobs, audit, operations } = this.services;
    const now = () => this.services.now().toISOString();
    // Cancellable by the caller's signal, its operationId, or jobs:cancel (by job id).
    const finished = await operations.run(
      [`job:${job.id}`, options.operationId],
      options.signal,
      async (signal) => {
        const fh = await openOutput(job.outFile);
        let committed = job.committedBytes;
        try {
          await fh.truncate(committed);
          await fh.sync();
          const pending = jobs.pending(job.id);
          const total = job.total;
          let done = total - pending.length;
          const started = performance.now();
          const report = (phase: string) =>
            options.onProgress?.({
              operationId: options.operationId ?? job.id,
              phase,
              done,
              total,
              rate:
                done > 0 ? (done - (total - pending.length)) / ((performance.now() - started) / 1000) : null,
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
            try {
              await fh.write(bytes, 0, bytes.length, committed);
              await fh.sync();
            } catch (error) {
              // Lines past `committed` are cut off on resume: every input still ends with one line.
              if (isDiskFull(error, () => freeBytes(dirname(job.outFile))))
                throw diskFullError(
                  dirname(job.outFile),
                  error,
                  `no more results fit in ${job.outFile}; the job stopped after ${done} of ${total} inputs, and "airlock jobs resume ${job.id}" continues it`,
                );
              throw error;
            }
            committed += bytes.length;
            jobs.commit(job.id, lines, committed, now());
            done += lines.length;
            report('batch');
          };
          let next = 0;
          const workers = Array.from(
            { length: Math.min(job.config.concurrency, pending.length) },
            async () => {
              while (next < pending.length && !signal.aborted) {
                const item = pending[next++]!;
                ready.set(item.seq, await this.processItem(job, item));
                writing = writing.then(flush);
              }
            },
          );
          await Promise.all(workers);
          await writing;
          // Lines computed but not yet contiguous (an earlier input was never started) are dropped:
          // they will be computed again on resume.
          if (signal.aborted || nextToWrite < pending.length) {
            // jobs:cancel already recorded the cancellation; a signal (Ctrl-C, operation:cancel) did not.
            if (jobs.get(job.id).state !== 'cancelled')
              audit.recorded(actor, () => {
                jobs.setState(job.id, 'cancelled', now());
                return {
                  result: null,
                  event: {
                    action: 'job.cancel',
                    target: job.id,
                    outcome: 'success',
                    details: { model: job.model, done, total, committedBytes: committed },
                  },
                };
              });
            return false;
          }
          return true;
        } finally {
          await fh.close();
        }
      },
    );
    if (!finished) return JobStore.info(jobs.get(job.id));
    const { sha256, size } = await sha256File(job.outFile);
    return audit.recorded(actor, () => {
      jobs.setState(job.id, 'completed', now(), { outputSha256: sha256 });
      const record = jobs.get(job.id);
      return {
        result: JobStore.info(record),
        event: {
          action: 'job.complete',
          target: job.id,
          outcome: 'success',
          details: {
            model: job.model,
            inputsDigest: job.inputsDigest,
            count: job.total,
            done: record.done,
            failed: record.failed,
            outFile: job.outFile,
            outputSha256: sha256,
            outputSize: size,
            config: job.config,
          },
        },
      };
    });
  }
}
