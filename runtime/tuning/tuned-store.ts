import type { Db } from '../db/database.js';
import type { BenchConfig, BenchReport, TunedConfig } from '../contract/bench.js';

interface Row {
  model_name: string;
  model_version: string;
  objective: 'latency' | 'throughput';
  fingerprint: string;
  config: string;
  metric: number;
  unit: string;
  bench_run_id: string;
  chosen_at: string;
}

/** The configs auto-tuning chose, per model and objective, with the machine they were chosen on. */
export class TunedStore {
  constructor(private readonly db: Db) {}

  /**
   * Stores a report's choices. A quick run's choice never replaces a full run's made on the same
   * machine (a smoke run is too short to overrule a real measurement); anything else replaces.
   */
  saveFrom(report: BenchReport): void {
    const upsert = this.db.prepare(
      `INSERT INTO tuned_configs (model_name, model_version, objective, fingerprint, config, metric, unit, bench_run_id, quick, chosen_at)
       VALUES (@name, @version, @objective, @fingerprint, @config, @metric, @unit, @run, @quick, @at)
       ON CONFLICT (model_name, model_version, objective) DO UPDATE SET
         fingerprint = excluded.fingerprint, config = excluded.config, metric = excluded.metric, unit = excluded.unit,
         bench_run_id = excluded.bench_run_id, quick = excluded.quick, chosen_at = excluded.chosen_at
       WHERE NOT (excluded.quick = 1 AND tuned_configs.quick = 0 AND tuned_configs.fingerprint = excluded.fingerprint)`,
    );
    for (const objective of ['latency', 'throughput'] as const) {
      const choice = report.best[objective];
      if (!choice) continue;
      upsert.run({
        name: report.model.name,
        version: report.model.version,
        objective,
        fingerprint: report.machine.fingerprint,
        config: JSON.stringify(choice.config),
        metric: choice.metric,
        unit: choice.unit,
        run: report.id,
        quick: report.quick ? 1 : 0,
        at: report.finishedAt,
      });
    }
  }

  list(filter: { name?: string; version?: string }, currentFingerprint: string): TunedConfig[] {
    const rows = this.db
      .prepare(
        'SELECT * FROM tuned_configs WHERE (@name IS NULL OR model_name = @name) AND (@version IS NULL OR model_version = @version) ORDER BY model_name, model_version, objective',
      )
      .all({ name: filter.name ?? null, version: filter.version ?? null }) as Row[];
    return rows.map((r) => ({
      model: r.model_name,
      version: r.model_version,
      objective: r.objective,
      config: JSON.parse(r.config) as BenchConfig,
      metric: r.metric,
      unit: r.unit,
      fingerprint: r.fingerprint,
      stale: r.fingerprint !== currentFingerprint,
      benchRunId: r.bench_run_id,
      chosenAt: r.chosen_at,
    }));
  }

  get(
    name: string,
    version: string,
    objective: 'latency' | 'throughput',
    currentFingerprint: string,
  ): TunedConfig | null {
    return this.list({ name, version }, currentFingerprint).find((t) => t.objective === objective) ?? null;
  }
}
