import type { Db } from '../db/database.js';
import { jobConfigSchema, type JobInfo, type JobState } from '../contract/jobs.js';
import { AirlockError } from '../errors.js';

interface JobRow {
  id: string;
  model: string;
  inputs_dir: string;
  out_file: string;
  format: 'csv' | 'jsonl';
  config: string;
  inputs_digest: string;
  total: number;
  state: JobState;
  committed_bytes: number;
  output_sha256: string | null;
  owner_pid: number | null;
  created_at: string;
  created_by: string;
  updated_at: string;
  finished_at: string | null;
}

export interface JobItem {
  readonly seq: number;
  readonly file: string;
  readonly sha256: string | null;
  readonly state: 'pending' | 'done' | 'failed';
}

export interface JobRecord extends JobInfo {
  readonly committedBytes: number;
  readonly ownerPid: number | null;
}

/** Batch job state in SQLite (migration 0070): the job, and one row per input with its state. */
export class JobStore {
  constructor(private readonly db: Db) {}

  private toRecord(row: JobRow): JobRecord {
    const counts = this.db
      .prepare(
        "SELECT SUM(state = 'done') AS done, SUM(state = 'failed') AS failed FROM job_items WHERE job_id = ?",
      )
      .get(row.id) as { done: number | null; failed: number | null };
    return {
      id: row.id,
      model: row.model,
      inputsDir: row.inputs_dir,
      outFile: row.out_file,
      format: row.format,
      state: row.state,
      total: row.total,
      done: counts.done ?? 0,
      failed: counts.failed ?? 0,
      inputsDigest: row.inputs_digest,
      outputSha256: row.output_sha256,
      config: jobConfigSchema.parse(JSON.parse(row.config)),
      createdAt: row.created_at,
      createdBy: row.created_by,
      updatedAt: row.updated_at,
      finishedAt: row.finished_at,
      committedBytes: row.committed_bytes,
      ownerPid: row.owner_pid,
    };
  }

  get(id: string): JobRecord {
    const row = this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
    if (!row)
      throw new AirlockError('JOB_NOT_FOUND', `No batch job with id "${id}". "airlock jobs" lists them.`, {
        details: { id },
      });
    return this.toRecord(row);
  }

  list(): JobRecord[] {
    return (this.db.prepare('SELECT * FROM jobs ORDER BY created_at DESC, id').all() as JobRow[]).map((r) =>
      this.toRecord(r),
    );
  }

  /** Public form (no internal bookkeeping). */
  static info(record: JobRecord): JobInfo {
    const { committedBytes: _c, ownerPid: _o, ...info } = record;
    return info;
  }

  insert(
    job: Omit<JobInfo, 'done' | 'failed' | 'outputSha256' | 'finishedAt' | 'updatedAt' | 'state'>,
    items: readonly { file: string; sha256: string | null }[],
    committedBytes: number,
  ): void {
    this.db
      .prepare(
        `INSERT INTO jobs (id, model, inputs_dir, out_file, format, config, inputs_digest, total, state, committed_bytes, owner_pid, created_at, created_by, updated_at)
         VALUES (@id, @model, @inputsDir, @outFile, @format, @config, @inputsDigest, @total, 'running', @committedBytes, @pid, @createdAt, @createdBy, @createdAt)`,
      )
      .run({ ...job, config: JSON.stringify(job.config), committedBytes, pid: process.pid });
    const add = this.db.prepare(
      "INSERT INTO job_items (job_id, seq, file, sha256, state) VALUES (?, ?, ?, ?, 'pending')",
    );
    items.forEach((item, seq) => add.run(job.id, seq, item.file, item.sha256));
  }

  pending(id: string): JobItem[] {
    return this.db
      .prepare(
        "SELECT seq, file, sha256, state FROM job_items WHERE job_id = ? AND state = 'pending' ORDER BY seq",
      )
      .all(id) as JobItem[];
  }

  items(id: string): JobItem[] {
    return this.db
      .prepare('SELECT seq, file, sha256, state FROM job_items WHERE job_id = ? ORDER BY seq')
      .all(id) as JobItem[];
  }

  /** Records lines written (and fsynced) to the output: their items and the new committed length. */
  commit(
    id: string,
    results: readonly { seq: number; ok: boolean }[],
    committedBytes: number,
    now: string,
  ): void {
    const mark = this.db.prepare('UPDATE job_items SET state = ? WHERE job_id = ? AND seq = ?');
    this.db
      .transaction(() => {
        for (const r of results) mark.run(r.ok ? 'done' : 'failed', id, r.seq);
        this.db
          .prepare('UPDATE jobs SET committed_bytes = ?, updated_at = ? WHERE id = ?')
          .run(committedBytes, now, id);
      })
      .immediate();
  }

  setState(
    id: string,
    state: JobState,
    now: string,
    extra: { outputSha256?: string; ownerPid?: number | null } = {},
  ): void {
    this.db
      .prepare(
        "UPDATE jobs SET state = @state, updated_at = @now, finished_at = CASE WHEN @state = 'running' THEN NULL ELSE @now END, output_sha256 = COALESCE(@sha, output_sha256), owner_pid = @pid WHERE id = @id",
      )
      .run({
        id,
        state,
        now,
        sha: extra.outputSha256 ?? null,
        pid: extra.ownerPid === undefined ? null : extra.ownerPid,
      });
  }
}
