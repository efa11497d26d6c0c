import type { Airlock } from '../airlock.js';
import type { Handler } from '../api/handlers.js';
import type { auditExportChannels } from '../contract/audit.js';
import { exportAudit } from './export.js';
import { archiveOldRecords } from './retention.js';

type AuditExportChannel = keyof typeof auditExportChannels;

/** Export, checkpoints, proofs, settings and retention of the audit log (issue 5). */
export function createAuditExportHandlers(airlock: Airlock): { [K in AuditExportChannel]: Handler<K> } {
  return {
    'audit:export': async (req, ctx) =>
      exportAudit(airlock, ctx.actor, {
        out: req.out,
        from: req.from,
        to: req.to,
        signal: ctx.signal,
        onProgress: (e) => ctx.onProgress?.({ ...e, operationId: req.operationId ?? e.operationId }),
      }),
    'audit:checkpoint': async (_req, ctx) => {
      const cp = airlock.integrity.checkpoint();
      airlock.audit.append(ctx.actor, {
        action: 'audit.checkpoint',
        target: 'audit_log',
        outcome: 'success',
        details: { treeSize: cp.body.treeSize, merkleRoot: cp.body.merkleRoot, keyId: cp.body.keyId },
      });
      return cp;
    },
    'audit:prove': async (req) => airlock.integrity.prove(req.seq),
    'audit:settings': async () => airlock.integrity.settings(),
    'audit:configure': async (req, ctx) => airlock.integrity.configure(ctx.actor, req),
    'audit:archive': async (req, ctx) => archiveOldRecords(airlock, ctx.actor, req.olderThanDays),
  };
}
