import type { Migration } from './migration.js';

export const migration0080: Migration = {
  version: 80,
  name: 'accounts: local accounts with roles, password hashes, lockout, OS-user mapping',
  up(db) {
    db.exec(`
      CREATE TABLE accounts (
        name          TEXT PRIMARY KEY,
        role          TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'auditor')),
        -- scrypt$N$r$p$salt$hash (base64); NULL for CLI-only accounts.
        password      TEXT,
        created_at    TEXT NOT NULL,
        created_by    TEXT NOT NULL,
        failed_logins INTEGER NOT NULL DEFAULT 0,
        locked_until  TEXT
      ) STRICT;

      -- Peer authentication for the CLI: which OS account signs in as which Airlock account.
      CREATE TABLE os_users (
        os_user TEXT PRIMARY KEY,
        account TEXT NOT NULL REFERENCES accounts (name) ON DELETE CASCADE
      ) STRICT;
      CREATE INDEX os_users_account ON os_users (account);
    `);
  },
};
