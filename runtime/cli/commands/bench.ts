import { randomUUID } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { call } from '../../api/handlers.js';
import { compareReports, parseReport } from '../../bench/compare.js';
import { SCENARIOS, type BenchReport, type Scenario, type TunedChoice } from '../../contract/bench.js';
import { AirlockError, UsageError } from '../../errors.js';
import { describeConfig } from '../../tuning/choose.js';
import { readRegularText } from '../../util/read-file.js';
import { str, type Command } from '../command.js';
import { osProblem } from '../../util/os-problem.js';

/** An exported benchmark report is a few hundred KiB; a bigger file is no report. */
const MAX_REPORT_BYTES = 64 * 1024 * 1024;

const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;

function parseShapes(values: string[] | undefined): Record<string, number[]> | undefined {
  if (!values || values.length === 0) return undefined;
  const out: Record<string, number[]> = {};
  for (const v of values) {
    const m = /^([^=]+)=(\d+(?:[x,]\d+)*)$/.exec(v);
    if (!m) throw new UsageError(`--shape takes INPUT=D1xD2x... (e.g. x=1x3x48x320); got "${v}".`);
    out[m[1]!] = m[2]!.split(/[x,]/).map(Number);
  }
  return out;
}

function choiceLine(label: string, c: TunedChoice | null): string {
  if (!c) return `${label}: no configuration ran`;
  return `${label}: ${describeConfig(c.config)}  ${c.metric} ${c.unit}${c.speedupVsDefault !== null ? `  (${c.speedupVsDefault.toFixed(2)}x onnxruntime defaults)` : ''}`;
}

/** A benchmark report as a person reads it. */
export function formatReport(r: BenchReport): string {
  const head = `${r.model.name}@${r.model.version}  ${r.scenario}${r.quick ? ' (quick)' : ''}  on ${r.machine.cpu} x${r.machine.cores}  inputs ${r.inputs.source}: ${Object.entries(
    r.inputs.shapes,
  )
    .map(([k, v]) => `${k}[${v.join(',')}]`)
    .join(' ')}`;
  const rows = r.trials.map((t) => {
    const cfg = `${t.stage.padEnd(12)} ${describeConfig(t.config).padEnd(40)}`;
    if (!t.ok) return `${cfg} FAILED ${t.error?.code}: ${t.error?.message}`;
    const l = t.latency!;
    const server = t.server
      ? `  server ${t.server.achievedQps.toFixed(1)}/${t.server.targetQps.toFixed(1)} qps, p99 ${t.server.p99Ms} ms ${t.server.withinBound ? '<=' : '>'} ${t.server.boundMs} ms`
      : '';
    return `${cfg} p50 ${l.p50Ms.toFixed(3)} p90 ${l.p90Ms.toFixed(3)} p99 ${l.p99Ms.toFixed(3)} p99.9 ${l.p999Ms.toFixed(3)} ms  ${t.throughput.toFixed(1)}/s  load ${t.loadMs.toFixed(0)} ms  rss ${mib(t.peakRssBytes)}  n=${t.queries}${server}`;
  });
  return [
    head,
    ...rows,
    choiceLine('Best for latency   ', r.best.latency),
    choiceLine('Best for throughput', r.best.throughput),
  ].join('\n');
}

export const benchCommands: Command[] = [
  {
    name: 'bench',
    args: 'NAME[@VERSION] [--scenario single-stream|offline|server] [--quick]',
    summary:
      'Benchmark a model over providers, threads, optimisation level, execution mode and batch size; store the report and the tuned configs.',
    options: {
      scenario: { type: 'string', description: `one of ${SCENARIOS.join(', ')} (default offline)` },
      quick: {
        type: 'boolean',
        description: 'a smoke run: few configurations, short trials (within 30 s on a small model)',
      },
      provider: {
        type: 'string',
        multiple: true,
        description:
          'execution provider to search (repeatable; default: those the hardware probe found working)',
      },
      shape: {
        type: 'string',
        multiple: true,
        description: 'fixed shape for an input with symbolic dimensions: INPUT=1x3x48x320 (repeatable)',
      },
      'max-batch': { type: 'string', description: 'largest batch size to try (default 64)' },
      'target-qps': {
        type: 'string',
        description: 'server scenario: arrival rate (default: half what the best config sustains)',
      },
      'bound-ms': {
        type: 'string',
        description: 'server scenario: p99 latency bound (default 5x the best p90)',
      },
    },
    positionals: [1, 1],
    dataDir: true,
    async run(ctx) {
      const scenario = str(ctx, 'scenario') ?? 'offline';
      if (!(SCENARIOS as readonly string[]).includes(scenario))
        throw new UsageError(`--scenario is one of ${SCENARIOS.join(', ')}; got "${scenario}".`);
      const num = (name: string) => {
        const v = str(ctx, name);
        if (v === undefined) return undefined;
        const n = Number(v);
        if (!Number.isFinite(n) || n <= 0)
          throw new UsageError(`--${name} takes a positive number; got "${v}".`);
        return n;
      };
      const providers = ctx.values['provider'] as string[] | undefined;
      const shapes = parseShapes(ctx.values['shape'] as string[] | undefined);
      const maxBatch = num('max-batch');
      const targetQps = num('target-qps');
      const bound = num('bound-ms');
      const report = await call(
        ctx.handlers!,
        'bench:run',
        {
          model: ctx.positionals[0],
          scenario: scenario as Scenario,
          quick: ctx.values['quick'] === true,
          operationId: randomUUID(),
          ...(providers ? { providers } : {}),
          ...(shapes ? { shapes } : {}),
          ...(maxBatch ? { maxBatchSize: Math.floor(maxBatch) } : {}),
          ...(targetQps ? { targetQps } : {}),
          ...(bound ? { latencyBoundMs: bound } : {}),
        },
        { ...ctx, onProgress: ctx.progress },
      );
      return { json: report, text: formatReport(report), audit: { benchRun: report.id } };
    },
  },
  {
    name: 'bench results',
    args: '[NAME[@VERSION]]',
    summary: 'List stored benchmark runs and the tuned configs (stale when made on other hardware).',
    positionals: [0, 1],
    dataDir: true,
    async run(ctx) {
      const model = ctx.positionals[0];
      const runs = await call(ctx.handlers!, 'bench:results', model ? { model } : {}, ctx);
      const tuned = await call(ctx.handlers!, 'bench:tuned', model ? { model } : {}, ctx);
      const lines = runs.map(
        (r) =>
          `${r.id}  ${`${r.model}@${r.version}`.padEnd(24)} ${r.scenario.padEnd(13)} ${r.quick ? 'quick' : 'full '} ${r.finishedAt}  ${r.currentMachine ? 'this machine' : `machine ${r.fingerprint.slice(0, 12)}`}  ${r.trials} trials`,
      );
      const tunedLines = tuned.map(
        (t) =>
          `${`${t.model}@${t.version}`.padEnd(24)} ${t.objective.padEnd(10)} ${describeConfig(t.config)}  ${t.metric} ${t.unit}${t.stale ? '  STALE (chosen on other hardware: re-run "airlock bench")' : ''}`,
      );
      return {
        json: { runs, tuned },
        text: [
          runs.length ? 'Runs:' : 'No benchmark runs stored. Run "airlock bench NAME".',
          ...lines,
          ...(tunedLines.length ? ['Tuned configs:', ...tunedLines] : []),
        ].join('\n'),
      };
    },
  },
  {
    name: 'bench export',
    args: '--out DIR [--model NAME[@VERSION]]',
    summary:
      "Write this machine's latest benchmark report per model and scenario as JSON files (for a USB stick).",
    options: {
      out: { type: 'string', description: 'folder to write the reports into (created if missing)' },
      model: { type: 'string', description: 'only this model' },
    },
    positionals: [0, 0],
    dataDir: true,
    async run(ctx) {
      const out = str(ctx, 'out');
      if (!out) throw new UsageError('"airlock bench export" needs --out DIR.');
      const model = str(ctx, 'model');
      const runs = (
        await call(ctx.handlers!, 'bench:results', { ...(model ? { model } : {}), limit: 1000 }, ctx)
      ).filter((r) => r.currentMachine);
      const latest = new Map<string, string>();
      for (const r of runs) {
        const key = `${r.model}@${r.version}|${r.scenario}`;
        if (!latest.has(key)) latest.set(key, r.id);
      }
      if (latest.size === 0)
        throw new AirlockError(
          'NOT_FOUND',
          `No benchmark runs of ${model ?? 'any model'} on this machine to export. Run "airlock bench NAME" first.`,
        );
      try {
        await mkdir(out, { recursive: true });
      } catch (cause) {
        throw new AirlockError(
          'IO_ERROR',
          `Cannot create ${out}: ${osProblem(cause)}. Check the stick is mounted and writable.`,
          { cause },
        );
      }
      const files: string[] = [];
      for (const id of latest.values()) {
        const report = await call(ctx.handlers!, 'bench:report', { id }, ctx);
        const name = `bench-${report.model.name}-${report.model.version}-${report.scenario}-${report.machine.fingerprint.slice(0, 12)}.json`;
        const file = join(out, name);
        try {
          await writeFile(`${file}.partial`, JSON.stringify(report, null, 2) + '\n');
          await rename(`${file}.partial`, file);
        } catch (cause) {
          throw new AirlockError('IO_ERROR', `Cannot write ${file}: ${osProblem(cause)}.`, { cause });
        }
        files.push(file);
      }
      return { json: { files }, text: files.map((f) => `wrote ${f}`).join('\n'), audit: { files } };
    },
  },
  {
    name: 'bench compare',
    args: 'A.json B.json',
    summary:
      'Compare two exported benchmark reports (two machines, or before and after); ratios > 1 mean B is faster.',
    positionals: [2, 2],
    dataDir: false,
    async run(ctx) {
      // Reports a person named: through the one checked reader (regular files, bounded).
      const read = async (file: string) =>
        parseReport(
          await readRegularText(file, {
            maxBytes: MAX_REPORT_BYTES,
            what: 'benchmark report',
            followLinks: true,
          }),
          file,
        );
      const [a, b] = [await read(ctx.positionals[0]!), await read(ctx.positionals[1]!)];
      const c = compareReports(a, b);
      const fmt = (x: number | null) => (x === null ? '-' : x.toFixed(3));
      const text = [
        `A: ${c.a.model} ${c.a.scenario} on ${c.a.machine}`,
        `B: ${c.b.model} ${c.b.scenario} on ${c.b.machine}`,
        `Best (${c.unit}): A ${fmt(c.bestA)}  B ${fmt(c.bestB)}  B/A speed ${c.speedup === null ? '-' : `${c.speedup.toFixed(2)}x`}`,
        ...c.rows.map(
          (r) =>
            `  ${r.config.padEnd(52)} A ${fmt(r.metricA).padStart(12)}  B ${fmt(r.metricB).padStart(12)}  ${r.ratio === null ? '' : `${r.ratio.toFixed(2)}x`}`,
        ),
      ].join('\n');
      return { json: c, text };
    },
  },
];
