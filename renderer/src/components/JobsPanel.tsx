import { useState } from 'react';
import type { ErrorInfo, InstalledModel, JobInfo } from '../../../runtime/contract/index.js';
import { invoke, operationId } from '../api.js';
import { shortHash, when } from '../format.js';
import { Badge, ErrorNote, Form, OperationProgress, TextField, useResult } from './ui.js';

const TONE: Record<JobInfo['state'], 'ok' | 'warn' | 'info'> = {
  completed: 'ok',
  cancelled: 'warn',
  running: 'info',
};

/** Batch jobs over a folder: start, follow, cancel, resume; results go to a CSV or JSONL file. */
export function JobsPanel({ model }: { model: InstalledModel | null }) {
  const jobs = useResult(() => invoke('jobs:list', {}), []);
  const [inputsDir, setInputsDir] = useState('');
  const [outFile, setOutFile] = useState('');
  const [running, setRunning] = useState<string | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);

  const follow = async (work: (id: string) => Promise<{ ok: boolean; error?: ErrorInfo }>) => {
    const id = operationId('job');
    setRunning(id);
    setError(null);
    const r = await work(id);
    setRunning(null);
    if (!r.ok) setError(r.error ?? null);
    jobs.reload();
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
        <TextField
          label="Folder of inputs (images, .npy, .json)"
          value={inputsDir}
          onChange={setInputsDir}
          testId="job-inputs"
          grow
        />
        <TextField
          label="Results file (.csv or .jsonl, new)"
          value={outFile}
          onChange={setOutFile}
          testId="job-out"
          grow
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
      {running ? <OperationProgress operationId={running} label="Job progress" /> : null}
      <ErrorNote error={error ?? jobs.error} />
      {jobs.data && jobs.data.length > 0 ? (
        <table className="table compact" data-testid="jobs">
          <thead>
            <tr>
              <th>Job</th>
              <th>Model</th>
              <th>State</th>
              <th className="num">Done</th>
              <th className="num">Failed</th>
              <th>Results</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {jobs.data.map((j: JobInfo) => (
              <tr key={j.id}>
                <td title={j.id}>
                  <code>{shortHash(j.id, 8)}</code> <span className="muted small">{when(j.createdAt)}</span>
                </td>
                <td>{j.model}</td>
                <td>
                  <Badge tone={TONE[j.state]}>{j.state}</Badge>
                </td>
                <td className="num">
                  {j.done} / {j.total}
                </td>
                <td className="num">{j.failed}</td>
                <td className="ellipsis" title={j.outFile}>
                  <code>{j.outFile}</code>
                </td>
                <td className="actions">
                  {j.state === 'running' ? (
                    <button
                      type="button"
                      onClick={() => void invoke('jobs:cancel', { id: j.id }).then(() => jobs.reload())}
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
            ))}
          </tbody>
        </table>
      ) : (
        <p className="muted small">
          No batch job yet. Results are written as they complete; a cancelled job resumes where it stopped.
        </p>
      )}
    </div>
  );
}
