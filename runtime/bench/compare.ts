import { z } from 'zod';
import { SCENARIOS, type BenchComparison, type BenchReport, type Trial } from '../contract/bench.js';
import { AirlockError } from '../errors.js';
import { describeConfig } from '../tuning/choose.js';
import { jsonProblem, parserDetail } from '../util/json-problem.js';

/** What a file must hold to be compared: an exported report (fields beyond these are kept, not checked). */
const reportFileSchema = z.looseObject({
  format: z.literal('airlock-bench-report/1'),
  model: z.looseObject({ name: z.string(), version: z.string() }),
  machine: z.looseObject({ fingerprint: z.string(), cpu: z.string(), cores: z.number() }),
  scenario: z.enum(SCENARIOS),
  trials: z.array(
    z.looseObject({
      ok: z.boolean(),
      config: z.looseObject({ executionProvider: z.string() }),
      throughput: z.number(),
      scenario: z.enum(SCENARIOS),
    }),
  ),
});

/** Parses an exported report; a file that is not one is refused with what was wrong. */
export function parseReport(text: string, file: string): BenchReport {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new AirlockError(
      'INPUT_INVALID',
      `${file} is not JSON: ${jsonProblem(cause)}. Give two files written by "airlock bench export".`,
      { cause, details: parserDetail(cause) },
    );
  }
  const parsed = reportFileSchema.safeParse(json);
  if (!parsed.success)
    throw new AirlockError(
      'INPUT_INVALID',
      `${file} is not an Airlock benchmark report: ${z.prettifyError(parsed.error)}. Give two files written by "airlock bench export".`,
    );
  return parsed.data as unknown as BenchReport;
}

function metricOf(t: Trial, throughput: boolean): number | null {
  if (!t.ok) return null;
  if (throughput) return t.throughput;
  return t.latency?.p90Ms ?? null;
}

/**
 * Compares two reports (two machines, or one machine before and after a change): the best figure
 * of each and every configuration both measured. Offline compares throughput (samples/s);
 * SingleStream and Server compare p90 latency. Ratios > 1 mean B is faster. Rows come from the
 * search stages (the confirmation rounds feed the best figures). Pure.
 */
export function compareReports(a: BenchReport, b: BenchReport): BenchComparison {
  const throughput = a.scenario === 'offline' && b.scenario === 'offline';
  const unit = throughput ? 'samples/s' : 'ms (p90)';
  const ratio = (x: number | null, y: number | null) =>
    x === null || y === null || x <= 0 || y <= 0
      ? null
      : Math.round((throughput ? y / x : x / y) * 1000) / 1000;
  const index = (r: BenchReport) => {
    const m = new Map<string, number | null>();
    for (const t of r.trials)
      if (t.scenario !== 'server' && t.stage !== 'confirm')
        m.set(
          `${t.stage === 'baseline' ? 'defaults: ' : ''}${describeConfig(t.config)}`,
          metricOf(t, throughput),
        );
    return m;
  };
  const ia = index(a);
  const ib = index(b);
  const rows = [...ia.keys()]
    .filter((k) => ib.has(k))
    .map((k) => ({
      config: k,
      metricA: ia.get(k) ?? null,
      metricB: ib.get(k) ?? null,
      ratio: ratio(ia.get(k) ?? null, ib.get(k) ?? null),
    }));
  const best = (r: BenchReport) =>
    throughput ? (r.best.throughput?.metric ?? null) : (r.best.latency?.metric ?? null);
  const label = (r: BenchReport) => ({
    machine: `${r.machine.cpu} x${r.machine.cores}${r.machine.gpus.length ? ` + ${r.machine.gpus.join(', ')}` : ''} (${r.machine.fingerprint.slice(0, 12)})`,
    model: `${r.model.name}@${r.model.version}`,
    scenario: r.scenario,
  });
  return {
    a: label(a),
    b: label(b),
    unit,
    bestA: best(a),
    bestB: best(b),
    speedup: ratio(best(a), best(b)),
    rows,
  };
}
