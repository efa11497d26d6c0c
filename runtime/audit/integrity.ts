import { sign, verify, type KeyObject } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckpointBody, InclusionProof, SignedCheckpoint } from '../contract/audit.js';
import type { Db } from '../db/database.js';
import { AirlockError } from '../errors.js';
import type { DataPaths } from '../paths.js';
import { canonicalJson } from '../util/canonical-json.js';
import { isAlive } from '../util/pid.js';
import { archiveAnchor, GENESIS_HASH, type Actor, type AuditLog } from './audit-log.js';
import type { HeadWitness, WitnessBody } from './head-witness.js';
import type { AuditSettingsStore } from './audit-settings.js';
import {
  SYSTEM_ACTOR,
  writeFileDurable,
  type InstallationKey,
  type InstallationKeys,
} from './installation-key.js';
import { inclusionPath, leafHash, MerkleFrontier, rootFromPath } from './merkle.js';

/** The latest signed checkpoint, kept outside the database to detect a rolled-back database file. */
export const CHECKPOINT_FILE = 'audit-checkpoint.json';
const FILE_WRITTEN = 'audit.checkpointFile.written';
const WITNESS_WRITTEN = 'audit.witness.written';

/**
 * How far the signed checkpoint file may trail the log in a running engine: it is rewritten at
 * least every FILE_EVERY records, within FILE_INTERVAL_MS of a record, after every change of
 * state made by an admin or by the engine itself, and at close. The head witness follows every commit.
 */
export const FILE_EVERY = 64;
export const FILE_INTERVAL_MS = 30_000;
/** The temporary name writeFileDurable gives the checkpoint file: `<file>.tmp-<pid>`. */
const CHECKPOINT_TEMP = /^audit-checkpoint\.json\.tmp-([0-9]{1,10})$/;

interface CheckpointRow {
  tree_size: number;
  head_hash: string;
  merkle_root: string;
  frontier: string;
  body: string;
  signature: string;
}

/**
 * Before a database is opened (and, if new, created): a witness that saw records acknowledged
 * while the database file is gone means the log was deleted, not that this is a first start.
 * Refused with AUDIT_ROLLBACK, nothing created, until an admin accepts it.
 */
export function refuseIfDatabaseGone(database: string, witness: HeadWitness): void {
  if (existsSync(database)) return;
  if (witness.read(witness.acceptedFile).kind !== 'absent') return;
  const seen = witness.read();
  if (seen.kind !== 'ok' || seen.body.treeSize === 0) return;
  throw new AirlockError(
    'AUDIT_ROLLBACK',
    `${database} does not exist, but the audit log kept there had reached record ${seen.body.treeSize} (acknowledged at ${seen.body.ts}; witness ${witness.file}). The database was deleted or moved. Restore it; if starting over is deliberate, an admin runs "airlock audit accept-restore" and the loss is recorded.`,
    { details: { acknowledged: seen.body.treeSize, acknowledgedAt: seen.body.ts, witness: witness.file } },
  );
}

export function signCheckpoint(body: CheckpointBody, key: KeyObject): SignedCheckpoint {
  return { body, signature: sign(null, Buffer.from(canonicalJson(body)), key).toString('base64') };
}

export function checkpointSignatureValid(cp: SignedCheckpoint, publicKey: KeyObject): boolean {
  try {
    return verify(null, Buffer.from(canonicalJson(cp.body)), publicKey, Buffer.from(cp.signature, 'base64'));
  } catch {
    return false;
  }
}

/**
 * Integrity beyond the hash chain (NIST AU-9(3), AU-10): the installation's own Ed25519 key,
 * signed checkpoints over the log (record count, head hash, RFC 6962 Merkle root) every N
 * records, at each export and at close, and a copy of the latest outside the database so that a
 * database file rolled back to an older copy is refused at start (AUDIT_ROLLBACK).
 */
export class AuditIntegrity {
  private lastCheckpointSize = 0;
  private lastFileSize = 0;
  private lastFileAt = 0;
  private checkpointing = false;
  private timer: NodeJS.Timeout | null = null;
  private witnessMarked = false;

  constructor(
    private readonly db: Db,
    private readonly paths: Pick<DataPaths, 'database' | 'keys'>,
    private readonly audit: AuditLog,
    private readonly keys: Pick<InstallationKeys, 'get' | 'announce'>,
    private readonly auditSettings: Pick<AuditSettingsStore, 'get' | 'value'>,
    private readonly witness: HeadWitness,
    private readonly now: () => Date,
  ) {}

  get checkpointFile(): string {
    return join(this.paths.keys, CHECKPOINT_FILE);
  }

  /**
   * At every start, after the caller is authenticated: the key (made on first start), the
   * rollback check, and the checkpoint hook.
   */
  start(): void {
    // A temporary file left by a process killed while writing a checkpoint file: only a regular
    // file of the name writeFileDurable gives, of a process that is gone; never a link.
    if (existsSync(this.paths.keys)) {
      for (const name of readdirSync(this.paths.keys)) {
        const pid = Number(CHECKPOINT_TEMP.exec(name)?.[1] ?? 0);
        if (pid === 0 || pid === process.pid || isAlive(pid)) continue;
        const path = join(this.paths.keys, name);
        if (lstatSync(path, { throwIfNoEntry: false })?.isFile()) rmSync(path, { force: true });
      }
    }
    this.key();
    // Refusals first (the signed checkpoint file, then the witness), so that a refused start writes
    // nothing; then what is recorded (a missing file, an accepted restore, a replaced witness).
    const atStart = this.audit.head();
    const fileThere = existsSync(this.checkpointFile);
    if (fileThere) this.checkRollback();
    const found = this.witness.read();
    const accepting = this.witness.read(this.witness.acceptedFile).kind !== 'absent';
    if (!accepting && found.kind === 'ok') this.refuseBehindWitness(found.body);
    this.keys.announce();
    if (!fileThere) this.checkRollback();
    this.checkWitness(atStart);
    this.lastCheckpointSize = this.latest()?.tree_size ?? 0;
    this.lastFileSize = this.readFile()?.body.treeSize ?? 0;
    this.lastFileAt = this.now().getTime();
    this.audit.afterCommit = (head, actor, change) => this.committed(head, actor, change);
    // Records appended and then left alone still reach the signed file within FILE_INTERVAL_MS.
    this.timer = setInterval(() => {
      try {
        if (this.audit.head().count > this.lastFileSize) this.writeFile(this.makeCheckpoint().checkpoint);
      } catch {
        // Retried at the next tick or append; the records themselves are safe.
      }
    }, FILE_INTERVAL_MS);
    this.timer.unref();
  }

  /** At close: the timer stops, and the signed file learns the final head. */
  stop(): void {
    this.release();
    this.recordHead();
  }

  /** Stops the timer and closes the witness, writing nothing (an open that failed). */
  release(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.witness.close();
  }

  /** After each commit: the witness always; the signed file and the stored checkpoint on their cadence. */
  private committed(head: { count: number; hash: string }, actor: Actor, change: boolean): void {
    this.writeWitness(head);
    if (head.count - this.lastCheckpointSize >= this.auditSettings.get().checkpointEvery) {
      this.checkpoint();
      return;
    }
    // A change of state by an admin (or the engine) is anchored at once; an admin's plain records
    // (runs, reads) follow the cadence like anyone's.
    const privileged = change && actor.role === 'admin';
    const due =
      privileged ||
      head.count - this.lastFileSize >= FILE_EVERY ||
      this.now().getTime() - this.lastFileAt >= FILE_INTERVAL_MS;
    if (due && head.count > this.lastFileSize) this.writeFile(this.makeCheckpoint().checkpoint);
  }

  private writeWitness(head: { count: number; hash: string }): void {
    this.witness.write({
      format: 'airlock.audit.witness/v1',
      installation: this.audit.installation,
      treeSize: head.count,
      headHash: head.hash,
      ts: this.now().toISOString(),
    });
    // The database remembers that a witness exists, so that its disappearance is noticed.
    if (!this.witnessMarked && this.auditSettings.value(WITNESS_WRITTEN) === null)
      this.db.prepare("INSERT OR IGNORE INTO settings (key, value) VALUES (?, '1')").run(WITNESS_WRITTEN);
    this.witnessMarked = true;
  }

  /**
   * Compares the witness (beside the data directory) with the database. A witness ahead of the
   * database means acknowledged records are gone: the -wal file was deleted after a crash, or the
   * data directory was restored from a backup. Refused with AUDIT_ROLLBACK, nothing written, until
   * an admin accepts the restore (`airlock audit accept-restore`), which is then recorded with the
   * gap. A missing, unreadable or foreign witness is recorded and replaced.
   */
  checkWitness(atStart: { count: number } = this.audit.head()): void {
    const head = atStart;
    const accepted = this.witness.read(this.witness.acceptedFile);
    if (accepted.kind !== 'absent') {
      const before = accepted.kind === 'ok' ? accepted.body : null;
      const kept = this.witness.keepAside(this.witness.acceptedFile, `accepted-${this.now().getTime()}`);
      this.audit.append(SYSTEM_ACTOR, {
        action: 'audit.restore.accept',
        target: this.paths.database,
        outcome: 'success',
        details: {
          records: head.count,
          witness: before,
          lost:
            before && before.treeSize > head.count
              ? { fromSeq: head.count + 1, toSeq: before.treeSize, count: before.treeSize - head.count }
              : null,
          keptAt: kept,
          reason: 'an admin accepted a restored data directory; the records listed as lost are not in it',
        },
      });
      this.writeWitness(this.audit.head());
      return;
    }
    const found = this.witness.read();
    if (found.kind === 'absent') {
      if (this.auditSettings.value(WITNESS_WRITTEN) !== null)
        this.audit.append(SYSTEM_ACTOR, {
          action: 'audit.witness.missing',
          target: this.witness.file,
          outcome: 'failure',
          details: {
            records: head.count,
            reason: 'the audit witness beside the data directory was missing at start',
          },
        });
      if (head.count > 0) this.writeWitness(this.audit.head());
      return;
    }
    if (found.kind === 'unreadable' || found.body.installation !== this.audit.installation) {
      // Unreadable: a power loss before the unsynced slot reached the disk, or a stray file.
      const kept = this.witness.keepAside(this.witness.file, `replaced-${this.now().getTime()}`);
      this.audit.append(SYSTEM_ACTOR, {
        action: 'audit.witness.replaced',
        target: this.witness.file,
        outcome: 'failure',
        details: {
          records: head.count,
          reason:
            found.kind === 'unreadable'
              ? found.why
              : `the witness belongs to installation ${found.body.installation}`,
          keptAt: kept,
        },
      });
      this.writeWitness(this.audit.head());
      return;
    }
    this.refuseBehindWitness(found.body);
  }

  /** AUDIT_ROLLBACK when the database ends below, or differs at, the head the witness saw acknowledged. */
  private refuseBehindWitness(w: WitnessBody): void {
    if (w.installation !== this.audit.installation) return;
    const head = this.audit.head();
    const refuse = (why: string, details: Record<string, unknown>): never => {
      throw new AirlockError(
        'AUDIT_ROLLBACK',
        `The audit log in ${this.paths.database} lost acknowledged records: ${why}. Its -wal file was deleted after a crash, or the data directory was restored from a backup. Keep the files as evidence; nothing was written. If the restore was deliberate, an admin runs "airlock audit accept-restore" and the gap is recorded.`,
        { details: { ...details, witness: this.witness.file } },
      );
    };
    if (w.treeSize > head.count)
      refuse(
        `the database ends at record ${head.count}, but record ${w.treeSize} was acknowledged at ${w.ts} (${w.treeSize - head.count} missing)`,
        { records: head.count, acknowledged: w.treeSize, acknowledgedAt: w.ts },
      );
    let at: string | null;
    try {
      at = this.hashAt(w.treeSize);
    } catch {
      at = null; // moved into a sealed archive, which covers it
    }
    if (at !== null && at !== w.headHash)
      refuse(`record ${w.treeSize} is not the record that was acknowledged at ${w.ts}`, {
        seq: w.treeSize,
        expected: w.headHash,
        found: at,
      });
  }

  /**
   * The anchors kept outside the database (the witness and the signed checkpoint file) against
   * the database now, for `audit verify`: null when both are behind or at the head.
   */
  outsideAnchors(): { seq: number; reason: string } | null {
    const head = this.audit.head();
    const w = this.witness.read();
    if (w.kind === 'ok' && w.body.installation === this.audit.installation && w.body.treeSize > head.count)
      return {
        seq: head.count + 1,
        reason: `records ${head.count + 1}..${w.body.treeSize} were acknowledged (witness of ${w.body.ts}) but are not in the database`,
      };
    const cp = this.readFile();
    if (cp && cp.body.treeSize > head.count)
      return {
        seq: head.count + 1,
        reason: `records ${head.count + 1}..${cp.body.treeSize} are covered by the signed checkpoint of ${cp.body.ts} but are not in the database`,
      };
    return null;
  }

  /** The installation key checkpoints and exports are signed with. */
  key(): InstallationKey {
    return this.keys.get();
  }

  latest(): CheckpointRow | undefined {
    return this.db.prepare('SELECT * FROM audit_checkpoints ORDER BY tree_size DESC LIMIT 1').get() as
      CheckpointRow | undefined;
  }

  /** Checkpoints stored in the database with tree sizes in [from, to]. */
  storedCheckpoints(from: number, to: number): SignedCheckpoint[] {
    const rows = this.db
      .prepare(
        'SELECT body, signature FROM audit_checkpoints WHERE tree_size BETWEEN ? AND ? ORDER BY tree_size',
      )
      .all(from, to) as CheckpointRow[];
    return rows.map((r) => ({ body: JSON.parse(r.body) as CheckpointBody, signature: r.signature }));
  }

  /**
   * The Merkle frontier of the first `size` records: from the nearest stored checkpoint or
   * archive boundary at or below `size`, plus the records after it.
   */
  frontierAt(size: number): MerkleFrontier {
    const base = this.db
      .prepare(
        `SELECT tree_size AS size, frontier FROM audit_checkpoints WHERE tree_size <= @size
         UNION ALL SELECT to_seq AS size, frontier FROM audit_archives WHERE to_seq <= @size
         ORDER BY size DESC LIMIT 1`,
      )
      .get({ size }) as { size: number; frontier: string } | undefined;
    const frontier = base
      ? new MerkleFrontier(base.size, JSON.parse(base.frontier) as string[])
      : new MerkleFrontier();
    const anchor = archiveAnchor(this.db);
    if (anchor && frontier.size < anchor.seq) {
      throw new AirlockError(
        'AUDIT_CHAIN_BROKEN',
        `Records up to ${anchor.seq} are archived but no archive boundary at or below ${size} was found; the archive table is damaged.`,
      );
    }
    const rows = this.db
      .prepare('SELECT seq, hash FROM audit_log WHERE seq > ? AND seq <= ? ORDER BY seq')
      .raw()
      .iterate(frontier.size, size) as IterableIterator<[number, string]>;
    for (const [seq, hash] of rows) {
      if (seq !== frontier.size + 1)
        throw new AirlockError(
          'AUDIT_CHAIN_BROKEN',
          `Audit record ${frontier.size + 1} is missing; run "airlock audit verify".`,
        );
      frontier.pushRecord(hash);
    }
    if (frontier.size !== size)
      throw new AirlockError('NOT_FOUND', `The audit log has ${frontier.size} records, not ${size}.`);
    return frontier;
  }

  /** Signs a checkpoint over the first `size` records (default: all) without storing it. */
  makeCheckpoint(size?: number): { checkpoint: SignedCheckpoint; frontier: MerkleFrontier } {
    const head = this.audit.head();
    const treeSize = size ?? head.count;
    const frontier = this.frontierAt(treeSize);
    const headHash =
      treeSize === 0 ? GENESIS_HASH : treeSize === head.count ? head.hash : this.hashAt(treeSize);
    const key = this.key();
    const body: CheckpointBody = {
      type: 'airlock.audit.checkpoint/v1',
      installation: this.audit.installation,
      treeSize,
      headHash,
      merkleRoot: frontier.root().toString('hex'),
      ts: this.now().toISOString(),
      keyId: key.keyId,
    };
    return { checkpoint: signCheckpoint(body, key.privateKey), frontier };
  }

  hashAt(seq: number): string {
    if (seq === 0) return GENESIS_HASH;
    const hash = this.db.prepare('SELECT hash FROM audit_log WHERE seq = ?').pluck().get(seq) as
      string | undefined;
    if (hash) return hash;
    const archived = this.db
      .prepare('SELECT head_hash FROM audit_archives WHERE to_seq = ?')
      .pluck()
      .get(seq) as string | undefined;
    if (archived) return archived;
    throw new AirlockError(
      'NOT_FOUND',
      `Audit record ${seq} is not in the database (it may be in a sealed archive).`,
    );
  }

  /** Writes a signed checkpoint over the whole log: stored in the database and in the file outside it. */
  checkpoint(): SignedCheckpoint {
    if (this.checkpointing) return this.readFile() ?? this.makeCheckpoint().checkpoint;
    this.checkpointing = true;
    try {
      const result = this.db
        .transaction(() => {
          const { checkpoint, frontier } = this.makeCheckpoint();
          const existing = this.db
            .prepare('SELECT body, signature FROM audit_checkpoints WHERE tree_size = ?')
            .get(checkpoint.body.treeSize) as CheckpointRow | undefined;
          if (existing)
            return { body: JSON.parse(existing.body) as CheckpointBody, signature: existing.signature };
          this.db
            .prepare(
              'INSERT INTO audit_checkpoints (tree_size, ts, head_hash, merkle_root, frontier, key_id, body, signature) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
            )
            .run(
              checkpoint.body.treeSize,
              checkpoint.body.ts,
              checkpoint.body.headHash,
              checkpoint.body.merkleRoot,
              JSON.stringify(frontier.roots()),
              checkpoint.body.keyId,
              canonicalJson(checkpoint.body),
              checkpoint.signature,
            );
          return checkpoint;
        })
        .immediate();
      this.lastCheckpointSize = result.body.treeSize;
      this.writeFile(result);
      return result;
    } finally {
      this.checkpointing = false;
    }
  }

  /** At close: the file outside the database learns the head even between checkpoints. */
  recordHead(): void {
    const onFile = this.readFile();
    const head = this.audit.head();
    if (onFile && onFile.body.treeSize === head.count && onFile.body.headHash === head.hash) return;
    if (onFile && onFile.body.treeSize > head.count) return;
    this.writeFile(this.makeCheckpoint().checkpoint);
  }

  writeFile(cp: SignedCheckpoint): void {
    mkdirSync(this.paths.keys, { recursive: true, mode: 0o700 });
    writeFileDurable(this.checkpointFile, JSON.stringify(cp, null, 2) + '\n', 0o600);
    this.lastFileSize = cp.body.treeSize;
    this.lastFileAt = this.now().getTime();
    // The database remembers that the file exists, so that its disappearance is noticed.
    if (this.auditSettings.value(FILE_WRITTEN) === null) {
      this.db.prepare("INSERT OR IGNORE INTO settings (key, value) VALUES (?, '1')").run(FILE_WRITTEN);
    }
  }

  readFile(): SignedCheckpoint | null {
    if (!existsSync(this.checkpointFile)) return null;
    try {
      return JSON.parse(readFileSync(this.checkpointFile, 'utf8')) as SignedCheckpoint;
    } catch {
      return null;
    }
  }

  /**
   * Compares the checkpoint kept outside the database with the database. Fewer records than the
   * file names, or a different record at that position, means the database file was replaced by
   * an older (or another) copy: refused with AUDIT_ROLLBACK, nothing written.
   */
  checkRollback(): void {
    const file = this.checkpointFile;
    if (!existsSync(file)) {
      // Missing after records were written (not the first start): say so in the log, then replace it.
      if (this.latest() || this.auditSettings.value(FILE_WRITTEN) !== null) {
        this.audit.append(SYSTEM_ACTOR, {
          action: 'audit.checkpoint.missing',
          target: file,
          outcome: 'failure',
          details: {
            reason: 'the checkpoint file outside the database was missing at start; a new one was written',
          },
        });
        this.checkpoint();
      }
      return;
    }
    const cp = this.readFile();
    const fail = (why: string, details: Record<string, unknown>) => {
      throw new AirlockError(
        'AUDIT_ROLLBACK',
        `The audit log in ${this.paths.database} is not the one this installation last signed: ${why}. Acknowledged records are gone: its -wal file was deleted after a crash, or the database was restored from an older copy or replaced. Keep the files as evidence; nothing was written. If the restore was deliberate, an admin runs "airlock audit accept-restore" and the gap is recorded.`,
        { details },
      );
    };
    if (!cp || typeof cp.body?.treeSize !== 'number' || !checkpointSignatureValid(cp, this.key().publicKey)) {
      fail(`the checkpoint file ${file} is unreadable or not signed by this installation's key`, { file });
      return;
    }
    if (cp.body.installation !== this.audit.installation) {
      fail(
        `the checkpoint file belongs to installation ${cp.body.installation}, the database to ${this.audit.installation}`,
        { file },
      );
    }
    const head = this.audit.head();
    if (head.count < cp.body.treeSize) {
      fail(
        `the database holds ${head.count} audit records but the signed checkpoint of ${cp.body.ts} covers ${cp.body.treeSize}`,
        { records: head.count, checkpoint: cp.body.treeSize, checkpointTs: cp.body.ts },
      );
    }
    let at: string | null;
    try {
      at = this.hashAt(cp.body.treeSize);
    } catch {
      at = null; // archived below a boundary: the archive's own seal covers it
    }
    if (at !== null && at !== cp.body.headHash) {
      fail(`record ${cp.body.treeSize} differs from the one the signed checkpoint of ${cp.body.ts} names`, {
        seq: cp.body.treeSize,
        expected: cp.body.headHash,
        found: at,
      });
    }
  }

  /** An RFC 6962 inclusion proof of record `seq` in the tree of all records now. */
  prove(seq: number): InclusionProof {
    const anchor = archiveAnchor(this.db);
    if (anchor)
      throw new AirlockError(
        'NOT_FOUND',
        `Records up to ${anchor.seq} were moved to a sealed archive; prove records with "node verify.js --prove SEQ" in the archive or an export.`,
      );
    const hashes = this.db.prepare('SELECT hash FROM audit_log ORDER BY seq').pluck().all() as string[];
    if (seq > hashes.length)
      throw new AirlockError('NOT_FOUND', `There is no audit record ${seq} (the log has ${hashes.length}).`);
    const leaves = hashes.map(leafHash);
    const frontier = new MerkleFrontier();
    for (const l of leaves) frontier.push(l);
    const path = inclusionPath(leaves, seq - 1);
    const root = frontier.root();
    const check = rootFromPath(leaves[seq - 1]!, seq - 1, leaves.length, path);
    if (!check?.equals(root))
      throw new AirlockError('INTERNAL', 'The inclusion proof does not reproduce the root; this is a bug.');
    return {
      seq,
      treeSize: leaves.length,
      leafHash: leaves[seq - 1]!.toString('hex'),
      path: path.map((p) => p.toString('hex')),
      merkleRoot: root.toString('hex'),
    };
  }
}
