import { hash } from 'node:crypto';
import type { AuditOutcome, AuditRecord, AuditVerifyReport } from '../contract/audit.js';
import type { Role } from '../contract/users.js';
import type { Db } from '../db/database.js';
import { AirlockError, AuditWriteError, toErrorInfo } from '../errors.js';
import { canonicalJson } from '../util/canonical-json.js';
import { MerkleFrontier } from './merkle.js';

export const GENESIS_HASH = '0'.repeat(64);

/** Who acts and from where; every record carries it (NIST AU-3). */
export interface Actor {
  /** The account, or the OS user where no account applies. */
  readonly name: string;
  /** `cli:<pid>`, `app:<pid>`, `test:<pid>` ... */
  readonly source: string;
  /**
   * The account's role, set by authentication (runtime/auth). An actor without one may use only
   * the public sign-in channels; dispatch refuses everything else with ROLE_FORBIDDEN.
   */
  readonly role?: Role | undefined;
  /** The session id (not the secret token) for app sign-ins, so `auth:logout` knows which to end. */
  readonly session?: string | undefined;
}

export interface AuditEvent {
  readonly action: string;
  readonly target: string;
  readonly outcome: AuditOutcome;
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * What a change hands back to `AuditLog.recorded`: its result and the record(s) of it. `actor`
 * replaces the caller's where the record must name someone else (the account a first sign-in
 * makes, the OS user refused).
 */
export interface RecordedChange<T> {
  readonly result: T;
  readonly event: AuditEvent | readonly AuditEvent[];
  readonly actor?: Actor;
}

interface AuditRow {
  seq: number;
  ts: string;
  actor: string;
  source: string;
  installation: string;
  action: string;
  target: string;
  outcome: AuditOutcome;
  details: string;
  prev_hash: string;
  hash: string;
}

/**
 * The hash of a record chains it to the one before: SHA-256 over the canonical JSON array of its
 * fields, the previous hash last. Changing, removing or reordering any record breaks every hash
 * after it. Exported so that the standalone verifier can be checked against it.
 */
export function recordHash(row: Omit<AuditRow, 'hash'>): string {
  // One-shot crypto.hash: the same SHA-256 hex as before, without a Hash object per record.
  return hash(
    'sha256',
    JSON.stringify([
      row.seq,
      row.ts,
      row.actor,
      row.source,
      row.installation,
      row.action,
      row.target,
      row.outcome,
      row.details,
      row.prev_hash,
    ]),
    'hex',
  );
}

function toRecord(row: AuditRow): AuditRecord {
  return {
    seq: row.seq,
    ts: row.ts,
    actor: row.actor,
    source: row.source,
    installation: row.installation,
    action: row.action,
    target: row.target,
    outcome: row.outcome,
    details: JSON.parse(row.details) as Record<string, unknown>,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

export interface AuditQuery {
  readonly afterSeq?: number | undefined;
  readonly beforeSeq?: number | undefined;
  readonly limit?: number | undefined;
  readonly action?: string | undefined;
  readonly actor?: string | undefined;
  readonly target?: string | undefined;
  readonly outcome?: AuditOutcome | undefined;
  /** Records at or after this instant (ISO 8601). */
  readonly from?: string | undefined;
  /** Records at or before this instant (ISO 8601). */
  readonly to?: string | undefined;
  readonly order?: 'asc' | 'desc' | undefined;
}

/**
 * The tamper-evident audit log. Append-only: this class has no update or delete, and the schema's
 * triggers refuse them. Each append is its own IMMEDIATE transaction (or a savepoint inside the
 * caller's, so a state change and its record commit together), durable when it returns.
 */
export class AuditLog {
  private readonly insert;
  private readonly last;
  readonly installation: string;
  /**
   * Called after each append or recorded change that committed on its own (not inside a caller's
   * transaction) with the new head, who recorded it and whether it was a change of state; the integrity service writes signed checkpoints from here. Errors are its own.
   */
  afterCommit: ((head: { count: number; hash: string }, actor: Actor, change: boolean) => void) | null = null;

  constructor(
    private readonly db: Db,
    installation: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.installation = installation;
    this.insert = db.prepare(
      `INSERT INTO audit_log (seq, ts, actor, source, installation, action, target, outcome, details, prev_hash, hash)
       VALUES (@seq, @ts, @actor, @source, @installation, @action, @target, @outcome, @details, @prev_hash, @hash)`,
    );
    this.last = db.prepare('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
  }

  /** Appends one event; when it returns, the record is on disk. Throws AUDIT_WRITE_FAILED otherwise. */
  append(actor: Actor, event: AuditEvent): AuditRecord {
    return this.appendMany(actor, [event])[0]!;
  }

  /** Appends several events in one transaction (one fsync): all or none. */
  appendMany(actor: Actor, events: readonly AuditEvent[]): AuditRecord[] {
    let records: AuditRecord[];
    try {
      records = this.db
        .transaction(() => {
          const head = this.head();
          let seq = head.count;
          let prev = head.hash;
          const ts = this.now().toISOString();
          const out: AuditRecord[] = [];
          for (const event of events) {
            seq += 1;
            const row: Omit<AuditRow, 'hash'> = {
              seq,
              ts,
              actor: actor.name,
              source: actor.source,
              installation: this.installation,
              action: event.action,
              target: event.target,
              outcome: event.outcome,
              details: canonicalJson(event.details ?? {}),
              prev_hash: prev,
            };
            const full: AuditRow = { ...row, hash: recordHash(row) };
            this.insert.run(full);
            prev = full.hash;
            out.push(toRecord(full));
          }
          return out;
        })
        .immediate();
    } catch (cause) {
      throw new AuditWriteError(
        `The audit log could not be written (${(cause as Error).message}); the action was not carried out. Free disk space or close other Airlock processes holding the database, then try again.`,
        { cause },
      );
    }
    if (!this.db.inTransaction) this.committed(records, actor, false);
    return records;
  }

  /**
   * The one way to change state: runs `change` and appends its audit record in the same IMMEDIATE
   * transaction, so both happen or neither does (nested in a caller's transaction, a savepoint).
   * A change that throws leaves nothing; a database that cannot be written gives
   * AUDIT_WRITE_FAILED, and nothing was changed.
   */
  recorded<T>(actor: Actor, change: () => RecordedChange<T>): T {
    const nested = this.db.inTransaction;
    let records: AuditRecord[] = [];
    let recordedBy = actor;
    let result: T;
    try {
      result = this.db
        .transaction(() => {
          const done = change();
          const events = Array.isArray(done.event) ? done.event : [done.event as AuditEvent];
          recordedBy = done.actor ?? actor;
          records = this.appendMany(recordedBy, events);
          return done.result;
        })
        .immediate();
    } catch (error) {
      if (error instanceof AirlockError) throw error;
      if (
        /^SQLITE_(BUSY|LOCKED|FULL|IOERR|READONLY|CANTOPEN)/.test(String((error as { code?: unknown }).code))
      ) {
        throw new AuditWriteError(
          `The change and its audit record could not be written (${(error as Error).message}); nothing was changed. Free disk space or close other Airlock processes holding the database, then try again.`,
          { cause: error },
        );
      }
      throw new AirlockError(
        'IO_ERROR',
        `The change could not be saved: ${(error as Error).message}. Nothing was changed.`,
        { cause: error },
      );
    }
    if (!nested) this.committed(records, recordedBy, true);
    return result;
  }

  /**
   * Runs `work`; a refusal is recorded under `action` with its reason (outcome `refused`) before
   * it is thrown on. An audit failure is thrown on as it is: it was not recorded.
   */
  attempt<T>(actor: Actor, action: string, target: string, work: () => T): T {
    try {
      return work();
    } catch (error) {
      const info = toErrorInfo(error);
      if (info.code !== 'AUDIT_WRITE_FAILED')
        this.append(actor, { action, target, outcome: 'refused', details: { error: info } });
      throw error;
    }
  }

  /** After a commit of our own: the checkpoint hook learns the new head. */
  private committed(records: readonly AuditRecord[], actor: Actor, change: boolean): void {
    const last = records.at(-1);
    if (!last) return;
    try {
      this.afterCommit?.({ count: last.seq, hash: last.hash }, actor, change);
    } catch {
      // A checkpoint that could not be written is retried after the next append; the record is safe.
    }
  }

  head(): { count: number; hash: string } {
    const head = this.last.get() as { seq: number; hash: string } | undefined;
    if (head) return { count: head.seq, hash: head.hash };
    const anchor = archiveAnchor(this.db);
    return anchor ? { count: anchor.seq, hash: anchor.hash } : { count: 0, hash: GENESIS_HASH };
  }

  list(query: AuditQuery = {}): AuditRecord[] {
    const where: string[] = [];
    const params: Record<string, unknown> = {};
    if (query.afterSeq !== undefined) {
      where.push('seq > @afterSeq');
      params['afterSeq'] = query.afterSeq;
    }
    if (query.beforeSeq !== undefined) {
      where.push('seq < @beforeSeq');
      params['beforeSeq'] = query.beforeSeq;
    }
    if (query.action !== undefined) {
      where.push('action = @action');
      params['action'] = query.action;
    }
    for (const key of ['actor', 'target', 'outcome'] as const) {
      const value = query[key];
      if (value !== undefined) {
        where.push(`${key} = @${key}`);
        params[key] = value;
      }
    }
    // ts is stored as UTC ISO with milliseconds: normalised bounds compare as text.
    if (query.from !== undefined) {
      where.push('ts >= @from');
      params['from'] = new Date(query.from).toISOString();
    }
    if (query.to !== undefined) {
      where.push('ts <= @to');
      params['to'] = new Date(query.to).toISOString();
    }
    const order = query.order === 'asc' ? 'ASC' : 'DESC';
    params['limit'] = query.limit ?? 100;
    const sql = `SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq ${order} LIMIT @limit`;
    return (this.db.prepare(sql).all(params) as AuditRow[]).map(toRecord);
  }

  /** Recomputes the whole chain in one pass and names the first record that breaks it. */
  verify(): AuditVerifyReport {
    // Records moved to a sealed archive by retention: the chain continues from the archive's head.
    const anchor = archiveAnchor(this.db);
    let expectedSeq = (anchor?.seq ?? 0) + 1;
    let prev = anchor?.hash ?? GENESIS_HASH;
    let count = anchor?.seq ?? 0;
    // Signed checkpoints pin earlier states: a chain rewritten after one was taken (every hash
    // recomputed) still differs from it in head hash and Merkle root.
    const checkpoints = storedCheckpoints(this.db, count);
    const frontier = checkpoints.size > 0 ? new MerkleFrontier(count, anchor?.frontier ?? []) : null;
    const rows = this.db
      .prepare('SELECT * FROM audit_log ORDER BY seq ASC')
      .iterate() as IterableIterator<AuditRow>;
    for (const row of rows) {
      let broken = checkRow(row, expectedSeq, prev);
      if (!broken && frontier) {
        frontier.pushRecord(row.hash);
        const cp = checkpoints.get(row.seq);
        if (cp && (cp.head_hash !== row.hash || cp.merkle_root !== frontier.root().toString('hex'))) {
          broken = {
            seq: row.seq,
            reason: `records up to ${row.seq} differ from the signed checkpoint of ${cp.ts} (the log was rewritten after it was signed)`,
          };
        }
      }
      if (broken) {
        rows.return?.();
        return { ok: false, count, headHash: prev, firstBroken: broken };
      }
      prev = row.hash;
      expectedSeq += 1;
      count += 1;
    }
    return { ok: true, count, headHash: prev, firstBroken: null };
  }
}

/** Where the chain stands after the records retention moved out of the table, if any. */
export function archiveAnchor(db: Db): { seq: number; hash: string; frontier: string[] } | null {
  const table = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_archives'")
    .get();
  if (!table) return null;
  const row = db
    .prepare(
      'SELECT to_seq AS seq, head_hash AS hash, frontier FROM audit_archives ORDER BY to_seq DESC LIMIT 1',
    )
    .get() as { seq: number; hash: string; frontier: string } | undefined;
  return row ? { seq: row.seq, hash: row.hash, frontier: JSON.parse(row.frontier) as string[] } : null;
}

function storedCheckpoints(
  db: Db,
  after: number,
): Map<number, { head_hash: string; merkle_root: string; ts: string }> {
  const table = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_checkpoints'")
    .get();
  if (!table) return new Map();
  const rows = db
    .prepare('SELECT tree_size, head_hash, merkle_root, ts FROM audit_checkpoints WHERE tree_size > ?')
    .all(after) as { tree_size: number; head_hash: string; merkle_root: string; ts: string }[];
  return new Map(rows.map((r) => [r.tree_size, r]));
}

function checkRow(row: AuditRow, expectedSeq: number, prev: string): { seq: number; reason: string } | null {
  if (row.seq !== expectedSeq) {
    return {
      seq: expectedSeq,
      reason: `record ${expectedSeq} is missing (the next record is ${row.seq}): records were deleted`,
    };
  }
  if (row.prev_hash !== prev) {
    return {
      seq: row.seq,
      reason: `record ${row.seq} does not link to record ${row.seq - 1} (records were removed, inserted or reordered)`,
    };
  }
  const { hash, ...rest } = row;
  if (recordHash(rest) !== hash) {
    return {
      seq: row.seq,
      reason: `record ${row.seq} was altered after it was written (its hash does not match its contents)`,
    };
  }
  return null;
}
