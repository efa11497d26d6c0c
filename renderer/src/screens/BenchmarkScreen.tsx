import { useMemo, useState } from 'react';
import type {
  BenchConfig,
  BenchReport,
  ErrorInfo,
  Trial,
  TunedChoice,
} from '../../../runtime/contract/index.js';
import { invoke, operationId } from '../api.js';
import { Chart, type Series } from '../components/Chart.js';
import { Badge, Card, ErrorNote, KeyValues, OperationProgress, useResult } from '../components/ui.js';
import { bytes, ms, when } from '../format.js';

export function configText(c: BenchConfig): string {
  const parts = [c.executionProvider];
  if (c.intraOpNumThreads !== undefined) parts.push(`${c.intraOpNumThreads} threads`);
  if (c.interOpNumThreads !== undefined) parts.push(`inter ${c.interOpNumThreads}`);
  if (c.executionMode) parts.push(c.executionMode);
  if (c.graphOptimizationLevel) parts.push(`opt ${c.graphOptimizationLevel}`);
  if (c.batchSize !== undefined) parts.push(`batch ${c.batchSize}`);
  return parts.join(' · ');
}

export function BenchmarkScreen() {
  const models = useResult(() => invoke('models:list', { includeDisabled: false }), []);
  const list = models.data ?? [];
  const [chosen, setChosen] = useState<string>('');
  const ref = chosen || (list[0] ? `${list[0].name}@${list[0].version}` : '');
  const [quick, setQuick] = useState(true);
  const [running, setRunning] = useState<string | null>(null);
  const [report, setReport] = useState<BenchReport | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const runs = useResult(() => invoke('bench:results', { limit: 10 }), [report?.id]);
  const tuned = useResult(() => invoke('bench:tuned', {}), [report?.id]);

  const run = async () => {
    const id = operationId('bench');
    setRunning(id);
    setError(null);
    const r = await invoke('bench:run', { model: ref, quick, operationId: id });
    setRunning(null);
    if (r.ok) setReport(r.value);
    else setError(r.error);
  };

  const open = async (id: string) => {
    const r = await invoke('bench:report', { id });
    if (r.ok) setReport(r.value);
    else setError(r.error);
  };

  return (
    <div className="grid">
      <Card title="Run a benchmark" testId="bench-run">
        <p className="muted">
          Runs the model many times under each configuration this machine offers (providers, threads, graph
          optimisation, batch sizes), then keeps the fastest for latency and for throughput.
        </p>
        <ErrorNote error={models.error} />
        <div className="row">
          <label className="grow">
            <span className="label">Model</span>
            <select value={ref} onChange={(e) => setChosen(e.target.value)} data-testid="bench-model">
              {list.map((m) => (
                <option key={`${m.name}@${m.version}`} value={`${m.name}@${m.version}`}>
                  {m.name} {m.version}
                </option>
              ))}
            </select>
          </label>
          <label className="check">
            <input type="checkbox" checked={quick} onChange={(e) => setQuick(e.target.checked)} />
            <span>Quick (a smoke run, under a minute)</span>
          </label>
          <button
            type="button"
            className="primary"
            disabled={!ref || running !== null}
            onClick={() => void run()}
            data-testid="bench-go"
          >
            Run
          </button>
        </div>
        {running ? <OperationProgress operationId={running} label="Benchmark progress" /> : null}
        <ErrorNote error={error} />
      </Card>
      <Card title="Chosen configuration" testId="bench-chosen">
        {report ? (
          <ChosenView latency={report.best.latency} throughput={report.best.throughput} />
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
                    {r.scenario}
                    {r.quick ? ' (quick)' : ''}
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

function ChosenView({
  latency,
  throughput,
}: {
  latency: TunedChoice | null;
  throughput: TunedChoice | null;
}) {
  const row = (label: string, c: TunedChoice | null) =>
    [
      label,
      c ? (
        <span key={label}>
          <strong>{configText(c.config)}</strong>{' '}
          <span className="muted">
            {c.unit === 'ms' ? `p90 ${ms(c.metric)}` : `${c.metric.toFixed(1)} samples/s`}
            {c.speedupVsDefault !== null ? `, ${c.speedupVsDefault.toFixed(2)}× onnxruntime's defaults` : ''}
          </span>
        </span>
      ) : (
        'no configuration succeeded'
      ),
    ] as const;
  return (
    <div data-testid="bench-best">
      <KeyValues rows={[row('For latency', latency), row('For throughput', throughput)]} />
      <p className="muted small">
        Latency: the lowest p90 of single-sample queries. Throughput: the most samples per second. Runs use
        the latency choice unless told otherwise.
      </p>
    </div>
  );
}

function ReportView({ report }: { report: BenchReport }) {
  const ok = useMemo(
    () =>
      report.trials.filter(
        (t): t is Trial & { latency: NonNullable<Trial['latency']> } => t.ok && t.latency !== null,
      ),
    [report],
  );
  const x = useMemo(() => ok.map((_, i) => i + 1), [ok]);
  const latencySeries = useMemo<Series[]>(
    () => [
      { label: 'p50 ms', values: ok.map((t) => t.latency.p50Ms) },
      { label: 'p90 ms', values: ok.map((t) => t.latency.p90Ms) },
      { label: 'p99 ms', values: ok.map((t) => t.latency.p99Ms) },
    ],
    [ok],
  );
  const throughputSeries = useMemo<Series[]>(
    () => [{ label: 'samples/s', values: ok.map((t) => t.throughput) }],
    [ok],
  );
  return (
    <>
      <Card title={`Report: ${report.model.name} ${report.model.version}`} wide testId="bench-report">
        <p className="muted small">
          {report.machine.cpu}, {report.machine.cores} threads, {bytes(report.machine.memoryBytes)} ·
          onnxruntime {report.onnxruntime} · {report.scenario}
          {report.quick ? ' (quick)' : ''} · inputs {report.inputs.source} · {when(report.finishedAt)}
        </p>
        <div className="charts">
          <Chart
            title="Latency per configuration (p50 / p90 / p99)"
            x={x}
            xLabel="configuration #"
            yLabel="ms"
            series={latencySeries}
          />
          <Chart
            title="Throughput per configuration"
            x={x}
            xLabel="configuration #"
            yLabel="samples/s"
            series={throughputSeries}
            bars
          />
        </div>
        <table className="table compact" data-testid="bench-trials">
          <thead>
            <tr>
              <th className="num">#</th>
              <th>Stage</th>
              <th>Configuration</th>
              <th className="num">p50</th>
              <th className="num">p90</th>
              <th className="num">p99</th>
              <th className="num">samples/s</th>
              <th className="num">queries</th>
            </tr>
          </thead>
          <tbody>
            {ok.map((t, i) => (
              <tr key={i}>
                <td className="num">{i + 1}</td>
                <td>{t.stage}</td>
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
                  <td className="num">—</td>
                  <td>{t.stage}</td>
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
