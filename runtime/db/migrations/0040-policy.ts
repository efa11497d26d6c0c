import type { Migration } from './migration.js';

export const migration0040: Migration = {
  version: 40,
  name: 'trust policy history, revocations and downgrade allowances',
  up(db) {
    db.exec(`
      -- Every signed policy ever applied; the current one is the highest version. Append-only.
      CREATE TABLE trust_policy (
        version    INTEGER PRIMARY KEY,
        issued     TEXT NOT NULL,
        document   TEXT NOT NULL,
        envelope   TEXT NOT NULL,
        sha256     TEXT NOT NULL,
        signers    TEXT NOT NULL,
        applied_at TEXT NOT NULL,
        applied_by TEXT NOT NULL
      ) STRICT;
      CREATE TRIGGER trust_policy_no_update BEFORE UPDATE ON trust_policy
      BEGIN SELECT RAISE(ABORT, 'trust_policy history is append-only'); END;
      CREATE TRIGGER trust_policy_no_delete BEFORE DELETE ON trust_policy
      BEGIN SELECT RAISE(ABORT, 'trust_policy history is append-only'); END;

      -- Signed revocation lists as imported, and the entries they revoke (never un-revoked).
      CREATE TABLE revocation_lists (
        sha256      TEXT PRIMARY KEY,
        number      INTEGER NOT NULL,
        issued      TEXT NOT NULL,
        envelope    TEXT NOT NULL,
        signers     TEXT NOT NULL,
        imported_at TEXT NOT NULL,
        imported_by TEXT NOT NULL
      ) STRICT;
      CREATE TABLE revocations (
        kind        TEXT NOT NULL CHECK (kind IN ('key', 'bundle')),
        value       TEXT NOT NULL,
        reason      TEXT NOT NULL,
        list_sha256 TEXT NOT NULL REFERENCES revocation_lists (sha256),
        imported_at TEXT NOT NULL,
        PRIMARY KEY (kind, value)
      ) STRICT;
      CREATE TRIGGER revocations_no_update BEFORE UPDATE ON revocations
      BEGIN SELECT RAISE(ABORT, 'revocations are permanent'); END;
      CREATE TRIGGER revocations_no_delete BEFORE DELETE ON revocations
      BEGIN SELECT RAISE(ABORT, 'revocations are permanent'); END;

      -- One-time permissions to install a version below the high-water mark.
      CREATE TABLE downgrade_allowances (
        name       TEXT NOT NULL,
        version    TEXT NOT NULL,
        granted_at TEXT NOT NULL,
        granted_by TEXT NOT NULL,
        used_at    TEXT,
        used_by    TEXT,
        PRIMARY KEY (name, version, granted_at)
      ) STRICT;
    `);
  },
};
