import { useMemo, useState } from 'react';
import type {
  BenchConfig,
  BenchReport,
  ErrorInfo,
  Scenario,
  Trial,
  TunedChoice,
} from '../../../runtime/contract/index.js';
import { plural } from './run/words.js';
import { BenchProgress } from './benchmark/BenchProgress.js';
import { LatencyHistogram } from './benchmark/LatencyHistogram.js';
import './benchmark/benchmark.css';
import { invoke, operationId } from '../api.js';
import { Chart, type Series } from '../components/Chart.js';
import { Badge, Card, ErrorNote, KeyValues, useResult } from '../components/ui.js';
import { bytes, ms, when } from '../format.js';

export function configText(c: BenchConfig): string {
  const parts = [c.executionProvider];
  if (c.intraOpNumThreads !== undefined) parts.push(plural(c.intraOpNumThreads, 'thread'));
  if (c.interOpNumThreads !== undefined)
    parts.push(`${plural(c.interOpNumThreads, 'thread')} between operators`);
  if (c.executionMode)
    parts.push(c.executionMode === 'parallel' ? 'operators in parallel' : 'operators in turn');
  if (c.graphOptimizationLevel)
    parts.push(
      c.graphOptimizationLevel === 'disabled'
        ? 'graph not optimised'
        : `${c.graphOptimizationLevel} graph optimisation`,
    );
  if (c.batchSize !== undefined) parts.push(`${plural(c.batchSize, 'input')} per batch`);
  return parts.join(' · ');
}

/** A configuration's short name for a chart axis: what sets it apart, in a few words. */
export function configName(c: BenchConfig, i: number, all: readonly BenchConfig[]): string {
  const same = <K extends keyof BenchConfig>(k: K) => all.every((o) => o[k] === all[0]?.[k]);
  const parts: string[] = [];
  if (!same('executionProvider')) parts.push(c.executionProvider);
  if (c.intraOpNumThreads !== undefined) parts.push(plural(c.intraOpNumThreads, 'thread'));
  if (c.executionMode === 'parallel') parts.push('parallel');
  if (c.graphOptimizationLevel && !same('graphOptimizationLevel'))
    parts.push(`opt ${c.graphOptimizationLevel}`);
  if (c.batchSize !== undefined && !same('batchSize')) parts.push(`batch ${c.batchSize}`);
  return parts.length > 0 ? parts.join(', ') : i === 0 ? 'defaults' : c.executionProvider;
}

export const SCENARIO_WORDS: Record<Scenario, { label: string; help: string }> = {
  'single-stream': {
    label: 'One at a time (single-stream)',
    help: 'One input after another, as a person running the model would: measures the latency of each.',
  },
  offline: {
    label: 'All at once (offline)',
    help: 'A large pile of inputs in batches, as a batch job would: measures inputs per second.',
  },
  server: {
    label: 'Requests arriving (server)',
    help: 'Inputs arrive at random at a steady rate: checks the 99th-percentile latency stays within a bound.',
  },
};

export function BenchmarkScreen() {
  const models = useResult(() => invoke('models:list', { includeDisabled: false }), []);
  const list = models.data ?? [];
  const [chosen, setChosen] = useState<string>('');
  const ref = chosen || (list[0] ? `${list[0].name}@${list[0].version}` : '');
  const [quick, setQuick] = useState(true);
  const [scenario, setScenario] = useState<Scenario>('offline');
  // A quick run is a rough measure: it becomes the tuned configuration only when the user says so.
  const [keepQuick, setKeepQuick] = useState(false);
  const [running, setRunning] = useState<string | null>(null);
  const [report, setReport] = useState<BenchReport | null>(null);
  /** Whether the report shown was kept as the tuned configuration (null: an earlier run opened). */
  const [kept, setKept] = useState<boolean | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const runs = useResult(() => invoke('bench:results', { limit: 10 }), [report?.id]);
  const tuned = useResult(() => invoke('bench:tuned', {}), [report?.id]);

  const run = async () => {
    const id = operationId('bench');
    setRunning(id);
    setError(null);
    const keepTuned = !quick || keepQuick;
    const r = await invoke('bench:run', {
      model: ref,
      scenario,
      quick,
      operationId: id,
      ...(keepTuned ? {} : { keepTuned: false }),
    });
    setRunning(null);
    if (r.ok) {
      setReport(r.value);
      setKept(keepTuned);
    } else setError(r.error);
  };

  const open = async (id: string) => {
    const r = await invoke('bench:report', { id });
    if (r.ok) {
      setReport(r.value);
      setKept(null);
    } else setError(r.error);
  };

  return (
    <div className="grid">
      <Card title="Run a benchmark" testId="bench-run">
        <p className="muted">
          Runs the model many times under each configuration this machine offers (providers, threads, graph
          optimisation, batch sizes), then keeps the fastest for latency and for throughput.
        </p>
        <ErrorNote error={models.error} />
        <div className="bench-form">
          <label>
            <span className="label">Model</span>
            <select value={ref} onChange={(e) => setChosen(e.target.value)} data-testid="bench-model">
              {list.map((m) => (
                <option key={`${m.name}@${m.version}`} value={`${m.name}@${m.version}`}>
                  {m.name} {m.version}
                </option>
              ))}
            </select>
          </label>
          <label>
            <span className="label">How inputs arrive</span>
            <select
              value={scenario}
              onChange={(e) => setScenario(e.target.value as Scenario)}
              data-testid="bench-scenario"
            >
              {(Object.keys(SCENARIO_WORDS) as Scenario[]).map((sc) => (
                <option key={sc} value={sc}>
                  {SCENARIO_WORDS[sc].label}
                </option>
              ))}
            </select>
          </label>
          <p className="muted small bench-help">{SCENARIO_WORDS[scenario].help}</p>
          <fieldset className="bench-options">
            <label className="check">
              <input
                type="checkbox"
                checked={quick}
                onChange={(e) => setQuick(e.target.checked)}
                data-testid="bench-quick"
              />
              <span>Quick run: a few configurations, short trials (under a minute)</span>
            </label>
            {quick ? (
              <label className="check bench-indent">
                <input
                  type="checkbox"
                  checked={keepQuick}
                  onChange={(e) => setKeepQuick(e.target.checked)}
                  data-testid="bench-keep-tuned"
                />
                <span>Use its result as this machine's tuned configuration</span>
              </label>
            ) : null}
            {quick && !keepQuick ? (
              <p className="muted small bench-indent" data-testid="bench-quick-note">
                A quick run is a rough measure: its result is shown and stored as a report, and the tuned
                configuration stays as it is.
              </p>
            ) : null}
          </fieldset>
          <div>
            <button
              type="button"
              className="primary"
              disabled={!ref || running !== null}
              onClick={() => void run()}
              data-testid="bench-go"
            >
              {quick ? 'Run a quick benchmark' : 'Run the full benchmark'}
            </button>
          </div>
        </div>
        {running ? <BenchProgress operationId={running} /> : null}
        <ErrorNote error={error} />
      </Card>
      <Card title="Chosen configuration" testId="bench-chosen">
        {report ? (
          <ChosenView report={report} kept={kept} />
        ) : (
          <>
            <ErrorNote error={tuned.error} />
            {tuned.data && tuned.data.length === 0 ? (
              <p className="muted">No model has been benchmarked on this machine yet.</p>
            ) : null}
            <ul className="plain">
              {(tuned.data ?? []).map((t) => (
                <li key={`${t.model}@${t.version}-${t.objective}`}>
                  <strong>
                    {t.model} {t.version}
                  </strong>{' '}
                  <Badge tone="info">{t.objective}</Badge> {configText(t.config)}{' '}
                  <span className="muted">
                    ({t.unit === 'ms' ? ms(t.metric) : `${t.metric.toFixed(1)} ${t.unit}`})
                  </span>
                  {t.stale ? <Badge tone="warn">tuned on other hardware</Badge> : null}
                </li>
              ))}
            </ul>
          </>
        )}
      </Card>
      {report ? <ReportView report={report} /> : null}
      <Card title="Earlier runs" wide testId="bench-history">
        <ErrorNote error={runs.error} />
        {runs.data && runs.data.length === 0 ? <p className="muted">None yet.</p> : null}
        {runs.data && runs.data.length > 0 ? (
          <table className="table compact">
            <thead>
              <tr>
                <th>Finished</th>
                <th>Model</th>
                <th>Scenario</th>
                <th className="num">Trials</th>
                <th>Best latency</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {runs.data.map((r) => (
                <tr key={r.id}>
                  <td>{when(r.finishedAt)}</td>
                  <td>
                    {r.model} {r.version}
                  </td>
                  <td>
                    {r.scenario} {r.quick ? <Badge tone="warn">quick</Badge> : null}
                    {r.currentMachine ? '' : ' · other machine'}
                  </td>
                  <td className="num">{r.trials}</td>
                  <td>{r.best.latency ? ms(r.best.latency.metric) : '—'}</td>
                  <td className="actions">
                    <button type="button" onClick={() => void open(r.id)}>
                      Open
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </Card>
    </div>
  );
}

function ChosenView({ report, kept }: { report: BenchReport; kept: boolean | null }) {
  const { latency, throughput } = report.best;
  const row = (label: string, c: TunedChoice | null) =>
    [
      label,
      c ? (
        <span key={label}>
          <strong>{configText(c.config)}</strong>{' '}
          <span className="muted">
            {c.unit === 'ms' ? `p90 ${ms(c.metric)}` : `${c.metric.toFixed(1)} inputs per second`}
            {c.speedupVsDefault !== null ? `, ${c.speedupVsDefault.toFixed(2)}× onnxruntime's defaults` : ''}
          </span>
        </span>
      ) : (
        'no configuration succeeded'
      ),
    ] as const;
  return (
    <div data-testid="bench-best">
      {report.quick ? (
        <p className="bench-quick-mark" data-testid="bench-quick-mark">
          <Badge tone="warn">quick run</Badge>{' '}
          {kept === false
            ? 'Best of a quick run: a rough measure, not kept as the tuned configuration.'
            : kept
              ? 'Best of a quick run, kept as the tuned configuration as you asked.'
              : 'Best of a quick run: a rough measure.'}
        </p>
      ) : null}
      <KeyValues rows={[row('For latency', latency), row('For throughput', throughput)]} />
      <p className="muted small">
        Latency: the lowest p90 of single-sample queries. Throughput: the most samples per second. Runs use
        the latency choice unless told otherwise.
      </p>
    </div>
  );
}

const STAGE_WORDS: Record<string, string> = {
  baseline: "onnxruntime's defaults",
  threads: 'threads',
  optimization: 'graph optimisation',
  mode: 'operator order',
  batch: 'batch size',
  confirm: 'confirming the best',
  server: 'arriving requests',
};

function ReportView({ report }: { report: BenchReport }) {
  const ok = useMemo(
    () =>
      report.trials.filter(
        (t): t is Trial & { latency: NonNullable<Trial['latency']> } => t.ok && t.latency !== null,
      ),
    [report],
  );
  const x = useMemo(() => ok.map((_, i) => i), [ok]);
  const names = useMemo(
    () =>
      ok.map((t, i) =>
        configName(
          t.config,
          i,
          ok.map((o) => o.config),
        ),
      ),
    [ok],
  );
  const latencySeries = useMemo<Series[]>(
    () => [
      { label: 'p90 (bars)', values: ok.map((t) => t.latency.p90Ms), style: 'bars' },
      { label: 'median', values: ok.map((t) => t.latency.p50Ms), style: 'points' },
      { label: 'p99', values: ok.map((t) => t.latency.p99Ms), style: 'points' },
    ],
    [ok],
  );
  const throughputSeries = useMemo<Series[]>(
    () => [{ label: 'inputs/s', values: ok.map((t) => t.throughput), style: 'bars' }],
    [ok],
  );
  const best = report.best.latency?.config ?? null;
  const bestTrial =
    ok.find((t) => best !== null && JSON.stringify(t.config) === JSON.stringify(best)) ??
    [...ok].sort((a, b) => a.latency.p90Ms - b.latency.p90Ms)[0] ??
    null;
  return (
    <>
      <Card title={`Report: ${report.model.name} ${report.model.version}`} wide testId="bench-report">
        <p className="muted small">
          {report.machine.cpu}, {plural(report.machine.cores, 'thread')}, {bytes(report.machine.memoryBytes)}{' '}
          · onnxruntime {report.onnxruntime} · {SCENARIO_WORDS[report.scenario].label} ·{' '}
          {report.inputs.source === 'samples' ? "the card's sample inputs" : 'generated inputs'} ·{' '}
          {when(report.finishedAt)}
        </p>
        {report.quick ? (
          <p data-testid="bench-report-quick">
            <Badge tone="warn">quick run</Badge>{' '}
            <span className="muted small">few configurations and short trials: a rough measure.</span>
          </p>
        ) : null}
        <div className="charts">
          <Chart
            title="Latency per configuration"
            x={x}
            categories={names}
            xLabel="configuration"
            yLabel="ms per query"
            series={latencySeries}
            testId="bench-chart-latency"
          />
          <Chart
            title="Throughput per configuration"
            x={x}
            categories={names}
            xLabel="configuration"
            yLabel="inputs per second"
            series={throughputSeries}
            bars
            testId="bench-chart-throughput"
          />
        </div>
        {bestTrial ? (
          <LatencyHistogram stats={bestTrial.latency} name={configText(bestTrial.config)} />
        ) : null}
        <table className="table compact" data-testid="bench-trials">
          <thead>
            <tr>
              <th>Name on the charts</th>
              <th>Step</th>
              <th>Configuration</th>
              <th className="num">median</th>
              <th className="num">p90</th>
              <th className="num">p99</th>
              <th className="num">inputs/s</th>
              <th className="num">queries</th>
            </tr>
          </thead>
          <tbody>
            {ok.map((t, i) => (
              <tr key={i}>
                <td>{names[i]}</td>
                <td>{STAGE_WORDS[t.stage] ?? t.stage}</td>
                <td>{configText(t.config)}</td>
                <td className="num">{ms(t.latency.p50Ms)}</td>
                <td className="num">{ms(t.latency.p90Ms)}</td>
                <td className="num">{ms(t.latency.p99Ms)}</td>
                <td className="num">{t.throughput.toFixed(1)}</td>
                <td className="num">{t.queries}</td>
              </tr>
            ))}
            {report.trials
              .filter((t) => !t.ok)
              .map((t, i) => (
                <tr key={`f${i}`}>
                  <td>—</td>
                  <td>{STAGE_WORDS[t.stage] ?? t.stage}</td>
                  <td>{configText(t.config)}</td>
                  <td colSpan={5} className="muted">
                    failed: {t.error?.message}
                  </td>
                </tr>
              ))}
          </tbody>
        </table>
      </Card>
    </>
  );
}
