import { createHash, sign } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { AuditExportReport, SignedCheckpoint } from '../contract/audit.js';
import type { ProgressEvent } from '../contract/channel.js';
import { AirlockError, throwIfAborted } from '../errors.js';
import type { Db } from '../db/database.js';
import { diskFullError, freeBytes, isDiskFull } from '../db/disk.js';
import type { DataPaths } from '../paths.js';
import { archiveAnchor, type Actor, type AuditLog } from './audit-log.js';
import type { AuditIntegrity } from './integrity.js';
import { VERIFIER_SOURCE } from './verifier/embedded.js';
import { tempNameBeside } from '../util/temp-name.js';

export const EXPORT_FORMAT = 'airlock.audit.export/v1';
export const RECORD_FIELDS = [
  'seq',
  'ts',
  'actor',
  'source',
  'installation',
  'action',
  'target',
  'outcome',
  'details',
  'prevHash',
  'hash',
] as const;

export interface ExportOptions {
  readonly out: string;
  readonly from?: string | undefined;
  readonly to?: string | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly onProgress?: ((e: ProgressEvent) => void) | undefined;
  /** Internal: an exact seq range (retention archives), not audited as an export. */
  readonly seqRange?: { readonly fromSeq: number; readonly toSeq: number };
  readonly kind?: 'export' | 'archive';
}

/** What exports and retention archives read and sign with. */
export interface ExportServices {
  readonly db: Db;
  readonly audit: Pick<AuditLog, 'append' | 'head' | 'installation'>;
  readonly integrity: Pick<
    AuditIntegrity,
    'checkpoint' | 'makeCheckpoint' | 'frontierAt' | 'hashAt' | 'key' | 'storedCheckpoints'
  >;
  /** The data directory (where retention archives live). */
  readonly paths: Pick<DataPaths, 'root'>;
  readonly now: () => Date;
}

const EXPORT_CHUNK = 20_000;

type RawRow = [number, string, string, string, string, string, string, string, string, string, string];

/** A file written in large chunks with its SHA-256 computed on the way. */
class DigestWriter {
  private readonly fd: number;
  private readonly hash = createHash('sha256');
  private parts: string[] = [];
  private pending = 0;
  bytes = 0;

  constructor(readonly file: string) {
    this.fd = openSync(file, 'wx', 0o644);
  }

  write(text: string): void {
    this.parts.push(text);
    this.pending += text.length;
    if (this.pending > 1 << 20) this.flush();
  }

  private flush(): void {
    if (this.parts.length === 0) return;
    const buf = Buffer.from(this.parts.join(''));
    this.parts = [];
    this.pending = 0;
    this.hash.update(buf);
    this.bytes += buf.length;
    let off = 0;
    while (off < buf.length) off += writeSync(this.fd, buf, off);
  }

  private closed = false;

  close(): { name: string; sha256: string; bytes: number } {
    try {
      this.flush();
      fsyncSync(this.fd);
    } finally {
      this.discard();
    }
    return { name: basename(this.file), sha256: this.hash.digest('hex'), bytes: this.bytes };
  }

  /** Closes the descriptor, once, whatever happened (a full medium must still unmount). */
  discard(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}

function writeWhole(
  dir: string,
  name: string,
  data: string | Buffer,
): { name: string; sha256: string; bytes: number } {
  const w = new DigestWriter(join(dir, name));
  try {
    w.write(typeof data === 'string' ? data : data.toString('utf8'));
  } catch (error) {
    w.discard();
    throw error;
  }
  return w.close();
}

/** CSV cell: quoted when needed; a leading = + - @ gets a ' so spreadsheets do not run it as a formula. */
function csvCell(value: string | number): string {
  let s = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function isoOrNull(value: string | undefined): string | null {
  if (value === undefined) return null;
  const t = Date.parse(value);
  if (Number.isNaN(t))
    throw new AirlockError(
      'USAGE',
      `"${value}" is not a date and time; use ISO 8601, e.g. 2026-01-31T00:00:00Z.`,
    );
  return new Date(t).toISOString();
}

function ensureEmptyTarget(out: string): void {
  if (!existsSync(out)) return;
  if (!statSync(out).isDirectory())
    throw new AirlockError(
      'USAGE',
      `${out} exists and is not a folder. Choose a new or empty folder for the export.`,
    );
  if (readdirSync(out).length > 0)
    throw new AirlockError(
      'USAGE',
      `${out} is not empty. Choose a new or empty folder, so that no earlier export is mixed with this one.`,
    );
}

/**
 * Writes an export an auditor can check anywhere with plain node: records.jsonl and records.csv,
 * checkpoint.json (signed over the first toSeq records), checkpoints.jsonl (the periodic
 * checkpoints inside the range), installation.pub.pem, manifest.json (+ manifest.sig) with the
 * digest of every file and the anchor of a partial range, and verify.js. Written to a temporary
 * sibling folder, recorded in the audit log, and only then renamed into place: an export that
 * cannot be recorded does not appear (AU-5). See docs/audit-export.md.
 */
export async function exportAudit(
  services: ExportServices,
  actor: Actor,
  options: ExportOptions,
): Promise<AuditExportReport> {
  const out = resolve(options.out);
  ensureEmptyTarget(out);
  const { integrity, db } = services;
  const from = isoOrNull(options.from);
  const to = isoOrNull(options.to);
  if (from && to && from > to)
    throw new AirlockError('USAGE', `--from ${options.from} is after --to ${options.to}.`);

  // A checkpoint at each export over the whole log (stored, and the file outside the database).
  const full = options.kind === 'archive' ? null : integrity.checkpoint();
  const head = services.audit.head();
  const anchorSeq = archiveAnchor(db)?.seq ?? 0;
  let fromSeq: number;
  let toSeq: number;
  if (options.seqRange) {
    ({ fromSeq, toSeq } = options.seqRange);
  } else {
    fromSeq = from
      ? ((db.prepare('SELECT min(seq) FROM audit_log WHERE ts >= ?').pluck().get(from) as number | null) ??
        head.count + 1)
      : anchorSeq + 1;
    toSeq = to
      ? ((db
          .prepare('SELECT max(seq) FROM audit_log WHERE ts <= ? AND seq <= ?')
          .pluck()
          .get(to, head.count) as number | null) ?? 0)
      : head.count;
  }
  fromSeq = Math.max(fromSeq, anchorSeq + 1);
  if (toSeq < fromSeq) {
    throw new AirlockError(
      'NOT_FOUND',
      `No audit records ${from ? `from ${from} ` : ''}${to ? `up to ${to}` : ''} are in the database${anchorSeq ? ` (records up to ${anchorSeq} are in sealed archives under ${join(services.paths.root, 'audit-archive')})` : ''}. Widen the range.`,
    );
  }

  const checkpoint: SignedCheckpoint =
    full && toSeq === full.body.treeSize ? full : integrity.makeCheckpoint(toSeq).checkpoint;
  const anchor = integrity.frontierAt(fromSeq - 1);
  const anchorHash = integrity.hashAt(fromSeq - 1);
  const key = integrity.key();

  const parent = dirname(out);
  mkdirSync(parent, { recursive: true });
  // A random name, made with mkdir (which refuses any existing entry): the parent is removable
  // media other accounts may write, so a guessable name could be planted beforehand.
  const tmp = tempNameBeside(out, 'partial');
  mkdirSync(tmp);
  const streams: DigestWriter[] = [];
  try {
    const jsonl = new DigestWriter(join(tmp, 'records.jsonl'));
    streams.push(jsonl);
    const csv = new DigestWriter(join(tmp, 'records.csv'));
    streams.push(csv);
    csv.write('seq,ts,actor,source,installation,action,target,outcome,details,prev_hash,hash\r\n');
    const total = toSeq - fromSeq + 1;
    let done = 0;
    // In chunks, yielding between them: progress reaches the window and the export can be
    // cancelled, and other calls on this connection run in between (rows are append-only, so the
    // range read in pieces is the range read at once).
    const page = db.prepare(
      'SELECT seq, ts, actor, source, installation, action, target, outcome, details, prev_hash, hash FROM audit_log WHERE seq BETWEEN ? AND ? ORDER BY seq',
    );
    page.raw();
    for (let start = fromSeq; start <= toSeq; start += EXPORT_CHUNK) {
      const rows = page.all(start, Math.min(toSeq, start + EXPORT_CHUNK - 1)) as RawRow[];
      for (const row of rows) {
        const [seq, ts, a, source, installation, action, target, outcome, details, prevHash, hash] = row;
        jsonl.write(
          JSON.stringify({
            seq,
            ts,
            actor: a,
            source,
            installation,
            action,
            target,
            outcome,
            details,
            prevHash,
            hash,
          }) + '\n',
        );
        csv.write(row.map(csvCell).join(',') + '\r\n');
      }
      done += rows.length;
      options.onProgress?.({
        operationId: 'audit-export',
        phase: 'records',
        done,
        total,
        rate: null,
        unit: 'items',
      });
      await new Promise((resolve) => setImmediate(resolve));
      throwIfAborted(options.signal, 'The audit export');
    }
    if (done !== total)
      throw new AirlockError(
        'AUDIT_CHAIN_BROKEN',
        `Records ${fromSeq}..${toSeq} should be ${total} rows but the database has ${done}; run "airlock audit verify".`,
      );
    const files = [jsonl.close(), csv.close()];
    files.push(writeWhole(tmp, 'checkpoint.json', JSON.stringify(checkpoint, null, 2) + '\n'));
    const periodic = integrity.storedCheckpoints(fromSeq, toSeq);
    files.push(writeWhole(tmp, 'checkpoints.jsonl', periodic.map((c) => JSON.stringify(c) + '\n').join('')));
    files.push(writeWhole(tmp, 'installation.pub.pem', key.publicKeyPem));
    // Embedded (verifier/embedded.ts), so the compiled engine carries it wherever it is installed.
    files.push(writeWhole(tmp, 'verify.js', VERIFIER_SOURCE));
    const archives = db
      .prepare(
        'SELECT from_seq AS fromSeq, to_seq AS toSeq, head_hash AS headHash, merkle_root AS merkleRoot, dir, manifest_sha256 AS manifestSha256 FROM audit_archives ORDER BY to_seq',
      )
      .all();
    const manifest = {
      format: EXPORT_FORMAT,
      kind: options.kind ?? 'export',
      createdAt: services.now().toISOString(),
      createdBy: { name: actor.name, role: actor.role ?? null, source: actor.source },
      installation: services.audit.installation,
      keyId: key.keyId,
      range: { from, to, fromSeq, toSeq, count: total },
      // The chain and Merkle tree before the first exported record: its hash and the roots of the
      // perfect subtrees over records 1..fromSeq-1 (RFC 6962), bound by the signed checkpoint.
      anchor: { seq: fromSeq - 1, hash: anchorHash, frontier: anchor.roots() },
      archives,
      files,
    };
    const manifestText = JSON.stringify(manifest, null, 2) + '\n';
    const manifestFile = writeWhole(tmp, 'manifest.json', manifestText);
    writeWhole(
      tmp,
      'manifest.sig',
      sign(null, Buffer.from(manifestText), key.privateKey).toString('base64') + '\n',
    );
    writeWhole(
      tmp,
      'README.txt',
      `Airlock audit ${options.kind ?? 'export'}: records ${fromSeq}..${toSeq} of installation ${services.audit.installation}.\n` +
        `Check it on any machine with Node.js 18 or newer:  node verify.js   (or: node verify.js THIS_FOLDER)\n` +
        `Pin the installation key you hold on record:       node verify.js --key-id ${key.keyId}\n` +
        `Prove that one record is in the signed tree:       node verify.js --prove SEQ\n`,
    );
    if (options.kind !== 'archive') {
      services.audit.append(actor, {
        action: 'audit.export',
        target: out,
        outcome: 'success',
        details: {
          from,
          to,
          fromSeq,
          toSeq,
          count: total,
          manifestSha256: manifestFile.sha256,
          merkleRoot: checkpoint.body.merkleRoot,
        },
      });
    }
    if (existsSync(out)) rmdirSync(out);
    renameSync(tmp, out);
    return { dir: out, fromSeq, toSeq, count: total, files: [...files, manifestFile], checkpoint };
  } catch (error) {
    for (const w of streams) w.discard();
    rmSync(tmp, { recursive: true, force: true });
    // The medium filled up (a small stick, a big log): say so, not INTERNAL.
    if (isDiskFull(error, () => freeBytes(parent)))
      throw diskFullError(parent, error, 'the audit export was not written and nothing of it was left there');
    throw error;
  }
}
