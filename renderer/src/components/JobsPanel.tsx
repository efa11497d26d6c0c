import { Fragment, useEffect, useRef, useState } from 'react';
import type { ErrorInfo, InstalledModel, JobFailure, JobInfo } from '../../../runtime/contract/index.js';
import { invoke, operationId } from '../api.js';
import { shortHash, when } from '../format.js';
import { useApp } from '../store.js';
import { Badge, ErrorNote, Form, useResult } from './ui.js';
import '../screens/run/jobs.css';
import { PathPicker } from './PathPicker.js';

const TONE: Record<JobInfo['state'], 'ok' | 'warn' | 'info'> = {
  completed: 'ok',
  cancelled: 'warn',
  running: 'info',
};

/** "about 2 min left" from seconds. */
export function etaWords(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return 'estimating time left…';
  if (seconds < 1) return 'less than a second left';
  if (seconds < 90) return `about ${Math.ceil(seconds)} s left`;
  if (seconds < 5400) return `about ${Math.round(seconds / 60)} min left`;
  return `about ${(seconds / 3600).toFixed(1)} h left`;
}

const processed = (j: JobInfo) => j.done + j.failed;

/**
 * Time left for a running job, from how fast its inputs went since this page first saw it (a
 * resumed job's earlier inputs do not count as fast ones).
 */
function useEta(): (j: JobInfo) => string | null {
  const seen = useRef(new Map<string, { t: number; n: number }>());
  return (j) => {
    if (j.state !== 'running') return null;
    const now = Date.now();
    const first = seen.current.get(j.id);
    if (!first) {
      seen.current.set(j.id, { t: now, n: processed(j) });
      return 'estimating time left…';
    }
    const gone = processed(j) - first.n;
    const secs = (now - first.t) / 1000;
    if (gone <= 0 || secs <= 0) return 'estimating time left…';
    return etaWords((j.total - processed(j)) / (gone / secs));
  };
}

/** Batch jobs over a folder: start, follow, cancel, resume; results go to a CSV or JSONL file. */
export function JobsPanel({ model }: { model: InstalledModel | null }) {
  const jobs = useResult(() => invoke('jobs:list', {}), []);
  const [inputsDir, setInputsDir] = useState('');
  const [outFile, setOutFile] = useState('');
  const [running, setRunning] = useState<string | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const list = jobs.data ?? [];
  const anyRunning = running !== null || list.some((j) => j.state === 'running');
  const eta = useEta();
  const event = useApp((st) => (running ? st.progress[running] : undefined));

  // While a job runs, its row follows it: counts and time left, once a second.
  const { reload } = jobs;
  useEffect(() => {
    if (!anyRunning) return;
    const timer = setInterval(reload, 1000);
    return () => clearInterval(timer);
  }, [anyRunning, reload]);
  // A new progress event (an input finished) refreshes the counts at once.
  const eventDone = event?.done;
  useEffect(() => {
    if (eventDone !== undefined) reload();
  }, [eventDone, reload]);

  const follow = async (work: (id: string) => Promise<{ ok: boolean; error?: ErrorInfo }>) => {
    const id = operationId('job');
    setRunning(id);
    setError(null);
    const r = await work(id);
    setRunning(null);
    if (!r.ok) setError(r.error ?? null);
    reload();
  };

  const start = async () => {
    if (!model) return;
    await follow((id) =>
      invoke('jobs:start', {
        model: `${model.name}@${model.version}`,
        inputsDir: inputsDir.trim(),
        outFile: outFile.trim(),
        operationId: id,
      }),
    );
  };

  return (
    <div className="stack">
      <Form className="row" onSubmit={start}>
        <PathPicker
          label="Folder of inputs (images, .npy, .json)"
          value={inputsDir}
          onChange={setInputsDir}
          mode="folder"
          testId="job-inputs"
        />
        <PathPicker
          label="Results file (.csv or .jsonl, new)"
          value={outFile}
          onChange={setOutFile}
          mode="save"
          defaultName="results.csv"
          filters={[{ name: 'Results', extensions: ['csv', 'jsonl'] }]}
          testId="job-out"
        />
        <button
          type="submit"
          className="primary"
          disabled={!model || !inputsDir.trim() || !outFile.trim() || running !== null}
          data-testid="job-start"
        >
          Start job{model ? ` with ${model.name}` : ''}
        </button>
      </Form>
      {running && list.every((j) => j.state !== 'running') ? (
        <p className="muted small" data-testid="job-starting">
          Starting the job: listing and hashing the inputs…
        </p>
      ) : null}
      <ErrorNote error={error ?? jobs.error} />
      {list.length > 0 ? (
        <table className="table compact" data-testid="jobs">
          <thead>
            <tr>
              <th>Job</th>
              <th>Model</th>
              <th>State</th>
              <th className="num">Processed</th>
              <th className="num">Succeeded</th>
              <th className="num">Failed</th>
              <th>Results</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {list.map((j: JobInfo) => {
              const left = eta(j);
              const pct = j.total > 0 ? (processed(j) / j.total) * 100 : 0;
              return (
                <Fragment key={j.id}>
                  <tr data-testid="job-row" data-state={j.state}>
                    <td title={j.id}>
                      <code>{shortHash(j.id, 8)}</code>{' '}
                      <span className="muted small">{when(j.createdAt)}</span>
                    </td>
                    <td>{j.model}</td>
                    <td>
                      <Badge tone={TONE[j.state]}>{j.state}</Badge>
                      {left ? (
                        <div className="muted small" data-testid="job-eta">
                          {left}
                        </div>
                      ) : null}
                    </td>
                    <td className="num">
                      <span data-testid="job-processed">
                        {processed(j)} / {j.total}
                      </span>
                      {j.state === 'running' ? (
                        <span
                          className="jobs-bar"
                          role="progressbar"
                          aria-label="Inputs processed"
                          aria-valuemin={0}
                          aria-valuemax={100}
                          aria-valuenow={Math.round(pct)}
                        >
                          <span style={{ width: `${pct}%` }} />
                        </span>
                      ) : null}
                    </td>
                    <td className="num" data-testid="job-done">
                      {j.done}
                    </td>
                    <td className="num" data-testid="job-failed">
                      {j.failed > 0 ? <strong className="jobs-failed">{j.failed}</strong> : 0}
                    </td>
                    <td className="ellipsis" title={j.outFile}>
                      <code>{j.outFile}</code>
                    </td>
                    <td className="actions">
                      {j.failed > 0 ? (
                        <button
                          type="button"
                          onClick={() => setOpen(open === j.id ? null : j.id)}
                          aria-expanded={open === j.id}
                          data-testid="job-failed-toggle"
                        >
                          {open === j.id ? 'Hide failed files' : 'Failed files'}
                        </button>
                      ) : null}
                      {j.state === 'running' ? (
                        <button
                          type="button"
                          onClick={() => void invoke('jobs:cancel', { id: j.id }).then(() => reload())}
                        >
                          Cancel
                        </button>
                      ) : null}
                      {j.state === 'cancelled' ? (
                        <button
                          type="button"
                          disabled={running !== null}
                          onClick={() =>
                            void follow((id) => invoke('jobs:resume', { id: j.id, operationId: id }))
                          }
                        >
                          Resume
                        </button>
                      ) : null}
                    </td>
                  </tr>
                  {open === j.id ? (
                    <tr className="jobs-failures-row">
                      <td colSpan={8}>
                        <Failures id={j.id} failed={j.failed} />
                      </td>
                    </tr>
                  ) : null}
                </Fragment>
              );
            })}
          </tbody>
        </table>
      ) : running ? null : (
        <p className="muted small">
          No batch job yet. Results are written as they complete; a cancelled job resumes where it stopped.
        </p>
      )}
    </div>
  );
}

/** The failed inputs of one job with the engine's reasons (from its results file). */
function Failures({ id, failed }: { id: string; failed: number }) {
  const detail = useResult(() => invoke('jobs:get', { id }), [id, failed]);
  const failures: readonly JobFailure[] = detail.data?.failures ?? [];
  return (
    <div className="stack" data-testid="job-failures">
      <ErrorNote error={detail.error} />
      {detail.data && failures.length === 0 ? (
        <p className="muted small">
          The results file does not list the failed inputs (it was moved or changed).
        </p>
      ) : null}
      {failures.length > 0 ? (
        <table className="table compact">
          <thead>
            <tr>
              <th>File</th>
              <th>Reason</th>
            </tr>
          </thead>
          <tbody>
            {failures.map((f, i) => (
              <tr key={i} data-testid="job-failure">
                <td>
                  <code>{f.file}</code>
                </td>
                <td>
                  <Badge tone="bad">{f.code}</Badge> {f.message}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {failures.length > 0 && failures.length < failed ? (
        <p className="muted small">
          {failures.length} of {failed} shown; the results file lists them all.
        </p>
      ) : null}
    </div>
  );
}
