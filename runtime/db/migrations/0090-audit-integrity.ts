import type { Migration } from './migration.js';

export const migration0090: Migration = {
  version: 90,
  name: 'audit integrity: signed checkpoints and sealed archives',
  up(db) {
    db.exec(`
      -- Signed checkpoints (RFC 6962 Merkle root + chain head) over the first tree_size records.
      -- frontier: the roots of the perfect subtrees left of tree_size (JSON array of hex), so the
      -- next checkpoint hashes only the records added since.
      CREATE TABLE audit_checkpoints (
        tree_size   INTEGER PRIMARY KEY,
        ts          TEXT NOT NULL,
        head_hash   TEXT NOT NULL,
        merkle_root TEXT NOT NULL,
        frontier    TEXT NOT NULL,
        key_id      TEXT NOT NULL,
        body        TEXT NOT NULL,
        signature   TEXT NOT NULL
      ) STRICT;
      CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
      BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
      CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
      BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;

      -- Records moved out of audit_log by retention: the archive folder, its sealed manifest
      -- digest and where the chain stood, so verification continues across the boundary.
      CREATE TABLE audit_archives (
        to_seq          INTEGER PRIMARY KEY,
        from_seq        INTEGER NOT NULL,
        head_hash       TEXT NOT NULL,
        merkle_root     TEXT NOT NULL,
        frontier        TEXT NOT NULL,
        dir             TEXT NOT NULL,
        manifest_sha256 TEXT NOT NULL,
        ts              TEXT NOT NULL,
        actor           TEXT NOT NULL
      ) STRICT;
      CREATE TRIGGER audit_archives_no_update BEFORE UPDATE ON audit_archives
      BEGIN SELECT RAISE(ABORT, 'audit_archives is append-only'); END;
      CREATE TRIGGER audit_archives_no_delete BEFORE DELETE ON audit_archives
      BEGIN SELECT RAISE(ABORT, 'audit_archives is append-only'); END;
    `);
  },
};
