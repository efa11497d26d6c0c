import type { Airlock } from '../airlock.js';
import { exportAudit } from '../audit/export.js';
import { archiveOldRecords } from '../audit/retention.js';
import type { auditChannels, auditExportChannels } from '../contract/audit.js';
import type { DomainHandlers } from './handler.js';
import { tracked } from './tracked.js';

/** The audit log: read, verify, export, checkpoints, proofs, settings and retention. */
export function auditHandlers(
  airlock: Airlock,
): DomainHandlers<typeof auditChannels & typeof auditExportChannels> {
  const { audit, integrity, auditSettings } = airlock;
  return {
    'audit:list': async (req) => audit.list(req),
    'audit:verify': async (_req, ctx) => {
      // The chain, then the anchors outside the database: acknowledged records it no longer holds.
      const chain = audit.verify();
      const missing = chain.ok ? integrity.outsideAnchors() : null;
      const result = missing ? { ...chain, ok: false, firstBroken: missing } : chain;
      audit.append(ctx.actor, {
        action: 'audit.verify',
        target: 'audit_log',
        outcome: result.ok ? 'success' : 'failure',
        details: { count: result.count, headHash: result.headHash, firstBroken: result.firstBroken },
      });
      return result;
    },
    'audit:export': async (req, ctx) =>
      tracked(
        airlock,
        ctx,
        { operationId: req.operationId, kind: 'export', title: `Export the audit log to ${req.out}` },
        (signal, onProgress, id) =>
          exportAudit(airlock, ctx.actor, {
            out: req.out,
            from: req.from,
            to: req.to,
            signal,
            onProgress: (e) => onProgress({ ...e, operationId: id }),
          }),
        (report) => ({
          summary: `${report.count} records (${report.fromSeq}–${report.toSeq}) in ${report.dir}`,
          link: { screen: 'audit', ref: report.dir },
        }),
      ),
    'audit:checkpoint': async (_req, ctx) => {
      const cp = integrity.checkpoint();
      audit.append(ctx.actor, {
        action: 'audit.checkpoint',
        target: 'audit_log',
        outcome: 'success',
        details: { treeSize: cp.body.treeSize, merkleRoot: cp.body.merkleRoot, keyId: cp.body.keyId },
      });
      return cp;
    },
    'audit:prove': async (req) => integrity.prove(req.seq),
    'audit:settings': async () => auditSettings.get(),
    'audit:configure': async (req, ctx) => auditSettings.configure(ctx.actor, req),
    'audit:archive': async (req, ctx) => archiveOldRecords(airlock, ctx.actor, req.olderThanDays),
  };
}
