import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { AuditArchiveReport } from '../contract/audit.js';
import { AirlockError } from '../errors.js';
import { archiveAnchor, type Actor, type AuditLog } from './audit-log.js';
import { exportAudit, type ExportServices } from './export.js';
import type { AuditSettingsStore } from './audit-settings.js';

const DAY_MS = 86_400_000;

/**
 * Retention (NIST AU-11): records older than N days move into a sealed archive folder under the
 * data directory: the same format as an export (records, signed checkpoint over records 1..K,
 * signed manifest, verify.js), so the same verifier checks it. Then, in ONE transaction, the
 * archived rows leave audit_log through the only path that deletes them (the append-only
 * trigger is dropped and recreated inside that transaction), the archive's boundary (last seq,
 * its hash, the Merkle frontier, the manifest digest) goes into audit_archives, and an
 * `audit.archive` record is appended. The chain continues: the next record links to record K,
 * and AuditLog.verify() starts from the boundary. Nothing is dropped without a sealed copy.
 */
export async function archiveOldRecords(
  services: ExportServices & {
    readonly audit: Pick<AuditLog, 'recorded'>;
    readonly auditSettings: Pick<AuditSettingsStore, 'get'>;
  },
  actor: Actor,
  olderThanDays?: number,
): Promise<AuditArchiveReport> {
  const days = olderThanDays ?? services.auditSettings.get().retentionDays;
  if (days === null || days === undefined) {
    throw new AirlockError(
      'USAGE',
      'No retention period is set. Set one with "airlock audit retention --days N" (or pass --older-than-days N).',
    );
  }
  const { db } = services;
  const cutoff = new Date(services.now().getTime() - days * DAY_MS).toISOString();
  const anchorSeq = archiveAnchor(db)?.seq ?? 0;
  const toSeq =
    (db.prepare('SELECT max(seq) FROM audit_log WHERE ts < ?').pluck().get(cutoff) as number | null) ?? 0;
  if (toSeq <= anchorSeq)
    return {
      archived: false,
      fromSeq: anchorSeq + 1,
      toSeq: anchorSeq,
      count: 0,
      dir: null,
      manifestSha256: null,
    };
  const fromSeq = anchorSeq + 1;
  const dir = join(
    services.paths.root,
    'audit-archive',
    `${String(fromSeq).padStart(10, '0')}-${String(toSeq).padStart(10, '0')}`,
  );
  // Private like the rest of the data directory (the archives hold the audit log).
  mkdirSync(join(services.paths.root, 'audit-archive'), { recursive: true, mode: 0o700 });
  if (existsSync(dir)) {
    // Left by a run that stopped between sealing and deleting (its rows are still here): keep it
    // as evidence under another name and seal again.
    renameSync(dir, `${dir}.unfinished-${services.now().getTime()}`);
  }
  const report = await exportAudit(services, actor, {
    out: dir,
    seqRange: { fromSeq, toSeq },
    kind: 'archive',
  });
  const manifestSha256 = createHash('sha256')
    .update(readFileSync(join(dir, 'manifest.json')))
    .digest('hex');
  const frontier = services.integrity.frontierAt(toSeq);
  const headHash = report.checkpoint.body.headHash;
  // The deletion, the boundary and the record in one transaction: all of them or none.
  services.audit.recorded(actor, () => {
    const present = db
      .prepare('SELECT count(*) FROM audit_log WHERE seq BETWEEN ? AND ?')
      .pluck()
      .get(fromSeq, toSeq) as number;
    if (present !== toSeq - fromSeq + 1)
      throw new AirlockError(
        'AUDIT_CHAIN_BROKEN',
        `Records ${fromSeq}..${toSeq} are not all in the database; nothing was archived. Run "airlock audit verify".`,
      );
    // The one deletion path of audit_log: inside this transaction, with the sealed copy on disk.
    db.exec('DROP TRIGGER audit_log_no_delete');
    db.prepare('DELETE FROM audit_log WHERE seq BETWEEN ? AND ?').run(fromSeq, toSeq);
    db.exec(
      "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;",
    );
    // The boundary first: the record appended below links to record toSeq through it.
    db.prepare(
      'INSERT INTO audit_archives (to_seq, from_seq, head_hash, merkle_root, frontier, dir, manifest_sha256, ts, actor) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ).run(
      toSeq,
      fromSeq,
      headHash,
      report.checkpoint.body.merkleRoot,
      JSON.stringify(frontier.roots()),
      dir,
      manifestSha256,
      services.now().toISOString(),
      actor.name,
    );
    return {
      result: null,
      event: {
        action: 'audit.archive',
        target: dir,
        outcome: 'success',
        details: {
          fromSeq,
          toSeq,
          count: report.count,
          olderThanDays: days,
          cutoff,
          headHash,
          merkleRoot: report.checkpoint.body.merkleRoot,
          manifestSha256,
        },
      },
    };
  });
  return { archived: true, fromSeq, toSeq, count: report.count, dir, manifestSha256 };
}
