import type { AlertInfo } from '../contract/alerts.js';
import type { Db } from '../db/database.js';
import type { Actor, AuditLog } from './audit-log.js';

/** The action of an acknowledgement record; its details name the records (`seqs`). */
export const ALERT_ACK = 'alert.ack';

// An alert is a refusal or failure (integrity findings are audit.* failures) that no alert.ack
// record names. The acknowledgement state is the audit log itself: nothing else to keep in step.
const ACKED = `SELECT CAST(j.value AS INTEGER) FROM audit_log a, json_each(a.details, '$.seqs') j
  WHERE a.action = '${ALERT_ACK}'`;
const OPEN = `FROM audit_log WHERE outcome IN ('refused', 'failure') AND action <> '${ALERT_ACK}'
  AND seq NOT IN (${ACKED})`;

interface AlertRow {
  seq: number;
  ts: string;
  actor: string;
  action: string;
  target: string;
  outcome: string;
  details: string;
}

function oneLine(text: string, max = 300): string {
  const flat = text.replace(/[\p{Cc}\p{Zl}\p{Zp}]+/gu, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** What happened, in one line: "alice: models.import refused for x.airlock: The signature ...". */
export function alertMessage(row: Omit<AlertRow, 'seq' | 'ts'>): string {
  let details: Record<string, unknown> = {};
  try {
    details = JSON.parse(row.details) as Record<string, unknown>;
  } catch {
    // A record's details are JSON; the line is still readable without them.
  }
  const error = details['error'] as { message?: unknown } | undefined;
  const why =
    typeof error?.message === 'string'
      ? error.message
      : typeof details['reason'] === 'string'
        ? details['reason']
        : typeof details['message'] === 'string'
          ? details['message']
          : null;
  const what = `${row.actor}: ${row.action} ${row.outcome === 'refused' ? 'refused' : 'failed'}${row.target ? ` for ${row.target}` : ''}`;
  return oneLine(why ? `${what}: ${why}` : what);
}

/** Alerts over the audit log: list the unacknowledged, acknowledge them (one audit record). */
export class Alerts {
  constructor(
    private readonly db: Db,
    private readonly audit: Pick<AuditLog, 'recorded'>,
  ) {}

  /** Unacknowledged alerts, newest first, and how many there are in all. */
  list(limit: number): { alerts: AlertInfo[]; total: number } {
    const total = this.db.prepare(`SELECT COUNT(*) ${OPEN}`).pluck().get() as number;
    const rows = this.db
      .prepare(`SELECT seq, ts, actor, action, target, outcome, details ${OPEN} ORDER BY seq DESC LIMIT ?`)
      .all(limit) as AlertRow[];
    return {
      alerts: rows.map((r) => ({
        seq: r.seq,
        ts: r.ts,
        actor: r.actor,
        action: r.action,
        target: r.target,
        outcome: r.outcome,
        message: alertMessage(r),
      })),
      total,
    };
  }

  /**
   * Acknowledges the open alerts among `seqs` in one `alert.ack` record; seqs that are no alert
   * or already acknowledged are ignored, and when none is left nothing is written (so acking
   * twice is harmless and leaves no second record).
   */
  ack(actor: Actor, seqs: readonly number[]): number {
    const wanted = [...new Set(seqs)].sort((a, b) => a - b);
    const open = this.db.prepare(`SELECT 1 ${OPEN} AND seq = ?`).pluck();
    // Chosen and recorded in the one IMMEDIATE transaction: two acks at once cannot both count a seq.
    return this.audit.recorded(actor, () => {
      const acked = wanted.filter((seq) => open.get(seq) !== undefined);
      return {
        result: acked.length,
        event:
          acked.length === 0
            ? []
            : [
                {
                  action: ALERT_ACK,
                  target: 'alerts',
                  outcome: 'success' as const,
                  details: { seqs: acked },
                },
              ],
      };
    });
  }
}
