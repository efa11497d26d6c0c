import type { Migration } from './index.js';

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

      -- Append-only by construction: the engine has no UPDATE or DELETE for this table, and
      -- these triggers refuse one from anywhere else that uses this schema.
      CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
      BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
      CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
      BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
    `);
  },
};
