import type { Migration } from './migration.js';

export const migration0010: Migration = {
  version: 10,
  name: 'core: settings and the append-only audit log',
  up(db) {
    db.exec(`
      CREATE TABLE settings (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) STRICT;

      CREATE TABLE audit_log (
        seq          INTEGER PRIMARY KEY,
        ts           TEXT NOT NULL,
        actor        TEXT NOT NULL,
        source       TEXT NOT NULL,
        installation TEXT NOT NULL,
        action       TEXT NOT NULL,
        target       TEXT NOT NULL,
        outcome      TEXT NOT NULL CHECK (outcome IN ('success', 'failure', 'refused')),
        details      TEXT NOT NULL,
        prev_hash    TEXT NOT NULL,
        hash         TEXT NOT NULL UNIQUE
      ) STRICT;
      CREATE INDEX audit_log_ts ON audit_log (ts);
      CREATE INDEX audit_log_action ON audit_log (action);

      -- Append-only: no code path updates a row, and these triggers refuse an UPDATE or DELETE
      -- from anywhere that uses this schema. The one deletion is retention (runtime/audit/
      -- retention.ts), which moves records into a sealed archive first and, in one transaction,
      -- drops and recreates the delete trigger around it, records the archive boundary and
      -- appends an audit.archive record: the chain continues from that boundary.
      CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
      BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
      CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
      BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
    `);
  },
};
