import type { Db } from '../db/database.js';
import type { BenchReport, BenchRunSummary } from '../contract/bench.js';

interface Row {
  id: string;
  model_name: string;
  model_version: string;
  fingerprint: string;
  scenario: BenchReport['scenario'];
  quick: number;
  finished_at: string;
  report: string;
}

/** Benchmark reports in SQLite, per model and machine fingerprint. */
export class BenchStore {
  constructor(private readonly db: Db) {}

  save(report: BenchReport): void {
    this.db
      .prepare(
        'INSERT INTO bench_runs (id, model_name, model_version, bundle_sha256, fingerprint, scenario, quick, started_at, finished_at, report) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        report.id,
        report.model.name,
        report.model.version,
        report.model.bundleSha256,
        report.machine.fingerprint,
        report.scenario,
        report.quick ? 1 : 0,
        report.startedAt,
        report.finishedAt,
        JSON.stringify(report),
      );
  }

  get(id: string): BenchReport | null {
    const row = this.db.prepare('SELECT report FROM bench_runs WHERE id = ?').pluck().get(id) as
      string | undefined;
    return row ? (JSON.parse(row) as BenchReport) : null;
  }

  /** Newest first; optionally one model (and version). */
  list(
    filter: { name?: string; version?: string; limit?: number },
    currentFingerprint: string | null,
  ): BenchRunSummary[] {
    const rows = this.db
      .prepare(
        `SELECT id, model_name, model_version, fingerprint, scenario, quick, finished_at, report FROM bench_runs
         WHERE (@name IS NULL OR model_name = @name) AND (@version IS NULL OR model_version = @version)
         ORDER BY finished_at DESC, rowid DESC LIMIT @limit`,
      )
      .all({
        name: filter.name ?? null,
        version: filter.version ?? null,
        limit: filter.limit ?? 50,
      }) as Row[];
    return rows.map((r) => {
      const report = JSON.parse(r.report) as BenchReport;
      return {
        id: r.id,
        model: r.model_name,
        version: r.model_version,
        fingerprint: r.fingerprint,
        currentMachine: r.fingerprint === currentFingerprint,
        scenario: r.scenario,
        quick: r.quick === 1,
        finishedAt: r.finished_at,
        trials: report.trials.length,
        best: report.best,
      };
    });
  }
}
