import type { AuditSettings } from '../contract/audit.js';
import type { Db } from '../db/database.js';
import type { Actor, AuditLog } from './audit-log.js';

export const DEFAULT_CHECKPOINT_EVERY = 1000;

/** The audit log's settings: how often a signed checkpoint is written, how long records stay. */
export class AuditSettingsStore {
  private readonly query;

  constructor(
    private readonly db: Db,
    private readonly audit: Pick<AuditLog, 'recorded'>,
  ) {
    // Read after every audit commit (the checkpoint interval): one prepared statement, kept.
    this.query = db.prepare('SELECT value FROM settings WHERE key = ?').pluck();
  }

  get(): AuditSettings {
    const every = Number(this.value('audit.checkpointEvery') ?? DEFAULT_CHECKPOINT_EVERY);
    const days = this.value('audit.retentionDays');
    return { checkpointEvery: every, retentionDays: days === null ? null : Number(days) };
  }

  /** A setting kept beside them (the checkpoint file marker); null when unset. */
  value(key: string): string | null {
    return (this.query.get(key) as string | undefined) ?? null;
  }

  configure(
    actor: Actor,
    change: { checkpointEvery?: number | undefined; retentionDays?: number | null | undefined },
  ): AuditSettings {
    const before = this.get();
    const put = this.db.prepare(
      'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    );
    return this.audit.recorded(actor, () => {
      if (change.checkpointEvery !== undefined)
        put.run('audit.checkpointEvery', String(change.checkpointEvery));
      if (change.retentionDays === null)
        this.db.prepare("DELETE FROM settings WHERE key = 'audit.retentionDays'").run();
      else if (change.retentionDays !== undefined)
        put.run('audit.retentionDays', String(change.retentionDays));
      const after = this.get();
      return {
        result: after,
        event: {
          action: 'audit.configure',
          target: 'audit_log',
          outcome: 'success',
          details: { before, after },
        },
      };
    });
  }
}
