import type { Migration } from './migration.js';

export const migration0070: Migration = {
  version: 70,
  name: 'batch jobs and their per-input state',
  up(db) {
    db.exec(`
      CREATE TABLE jobs (
        id              TEXT PRIMARY KEY,
        model           TEXT NOT NULL,
        inputs_dir      TEXT NOT NULL,
        out_file        TEXT NOT NULL,
        format          TEXT NOT NULL CHECK (format IN ('csv', 'jsonl')),
        config          TEXT NOT NULL,
        inputs_digest   TEXT NOT NULL,
        total           INTEGER NOT NULL,
        state           TEXT NOT NULL CHECK (state IN ('running', 'cancelled', 'completed')),
        -- Length of the output file up to the last line whose input is recorded as done: on
        -- resume the file is cut back to it, so no line is ever written twice.
        committed_bytes INTEGER NOT NULL DEFAULT 0,
        output_sha256   TEXT,
        owner_pid       INTEGER,
        created_at      TEXT NOT NULL,
        created_by      TEXT NOT NULL,
        updated_at      TEXT NOT NULL,
        finished_at     TEXT
      ) STRICT;

      CREATE TABLE job_items (
        job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        seq    INTEGER NOT NULL,
        file   TEXT NOT NULL,
        sha256 TEXT,
        state  TEXT NOT NULL CHECK (state IN ('pending', 'done', 'failed')),
        PRIMARY KEY (job_id, seq)
      ) STRICT;
      CREATE INDEX job_items_pending ON job_items (job_id, state, seq);
    `);
  },
};
