import type { Migration } from './migration.js';

export const migration0030: Migration = {
  version: 30,
  name: 'installed models and the version high-water mark',
  up(db) {
    db.exec(`
      CREATE TABLE models (
        name            TEXT NOT NULL,
        version         TEXT NOT NULL,
        bundle_sha256   TEXT NOT NULL UNIQUE,
        card            TEXT NOT NULL,
        envelope        TEXT NOT NULL,
        signers         TEXT NOT NULL,
        installed_at    TEXT NOT NULL,
        installed_by    TEXT NOT NULL,
        enabled         INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
        disabled_reason TEXT,
        PRIMARY KEY (name, version)
      ) STRICT;

      -- Payload files of each installed model; blobs live in store/sha256/<sha256>.
      CREATE TABLE model_files (
        name    TEXT NOT NULL,
        version TEXT NOT NULL,
        path    TEXT NOT NULL,
        sha256  TEXT NOT NULL,
        size    INTEGER NOT NULL,
        PRIMARY KEY (name, version, path),
        FOREIGN KEY (name, version) REFERENCES models (name, version) ON DELETE CASCADE
      ) STRICT;
      CREATE INDEX model_files_sha256 ON model_files (sha256);

      -- Highest version ever installed per name; kept when a model is removed (rollback protection).
      CREATE TABLE version_high_water (
        name       TEXT PRIMARY KEY,
        version    TEXT NOT NULL,
        updated_at TEXT NOT NULL
      ) STRICT;
    `);
  },
};
