import type { Migration } from './migration.js';

export const migration0060: Migration = {
  version: 60,
  name: 'hardware profiles, benchmark runs and tuned configs',
  up(db) {
    db.exec(`
      -- One row per machine fingerprint: the latest probe of that machine (JSON HardwareProfile).
      CREATE TABLE hardware_profiles (
        fingerprint TEXT PRIMARY KEY,
        profile     TEXT NOT NULL,
        first_seen  TEXT NOT NULL,
        probed_at   TEXT NOT NULL
      ) STRICT;
      CREATE INDEX hardware_profiles_probed_at ON hardware_profiles (probed_at);

      -- Every finished benchmark of a model on a machine (JSON BenchReport).
      CREATE TABLE bench_runs (
        id            TEXT PRIMARY KEY,
        model_name    TEXT NOT NULL,
        model_version TEXT NOT NULL,
        bundle_sha256 TEXT NOT NULL,
        fingerprint   TEXT NOT NULL,
        scenario      TEXT NOT NULL CHECK (scenario IN ('single-stream', 'offline', 'server')),
        quick         INTEGER NOT NULL CHECK (quick IN (0, 1)),
        started_at    TEXT NOT NULL,
        finished_at   TEXT NOT NULL,
        report        TEXT NOT NULL
      ) STRICT;
      CREATE INDEX bench_runs_model ON bench_runs (model_name, model_version, fingerprint, finished_at);

      -- The configuration auto-tuning chose per model and objective, and on which machine.
      -- A row whose fingerprint is not the current machine's is stale.
      CREATE TABLE tuned_configs (
        model_name    TEXT NOT NULL,
        model_version TEXT NOT NULL,
        objective     TEXT NOT NULL CHECK (objective IN ('latency', 'throughput')),
        fingerprint   TEXT NOT NULL,
        config        TEXT NOT NULL,
        metric        REAL NOT NULL,
        unit          TEXT NOT NULL,
        bench_run_id  TEXT NOT NULL REFERENCES bench_runs (id),
        -- Chosen by a --quick run: a later full run replaces it, a quick run never replaces a full one.
        quick         INTEGER NOT NULL CHECK (quick IN (0, 1)),
        chosen_at     TEXT NOT NULL,
        PRIMARY KEY (model_name, model_version, objective)
      ) STRICT;
    `);
  },
};
