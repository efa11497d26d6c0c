import { useEffect, useState } from 'react';
import type {
  ErrorInfo,
  InferenceResult,
  ProcessedResult,
  TensorJson,
  TensorMapJson,
} from '../../../runtime/contract/index.js';
import { invoke } from '../api.js';
import { shapeText } from '../components/BundleDetails.js';
import { Badge, Card, ErrorNote, KeyValues, useResult } from '../components/ui.js';
import { ms, shortHash } from '../format.js';
import { inputsFromFile, InputError, topK } from '../inputs.js';
import { JobsPanel } from '../components/JobsPanel.js';
import { useApp } from '../store.js';

interface Chosen {
  name: string;
  inputs?: TensorMapJson;
  image?: { bytes: Uint8Array; name: string; url: string };
}

const IMAGE = /\.(png|jpe?g|webp|bmp|gif|tiff?)$/i;

export function RunScreen() {
  const models = useResult(() => invoke('models:list', { includeDisabled: false }), []);
  const { selectedModel, selectModel } = useApp();
  const list = models.data ?? [];
  const model = list.find((m) => `${m.name}@${m.version}` === selectedModel) ?? list[0] ?? null;
  const [chosen, setChosen] = useState<Chosen | null>(null);
  const [fileError, setFileError] = useState<ErrorInfo | null>(null);
  const [result, setResult] = useState<InferenceResult | null>(null);
  const [runError, setRunError] = useState<ErrorInfo | null>(null);
  const [running, setRunning] = useState(false);
  const [dragging, setDragging] = useState(false);

  useEffect(() => {
    setResult(null);
    setRunError(null);
  }, [model?.name, model?.version]);

  const take = async (file: File) => {
    setResult(null);
    setRunError(null);
    if (!model) return;
    if (IMAGE.test(file.name)) {
      const bytes = new Uint8Array(await file.arrayBuffer());
      setChosen({ name: file.name, image: { bytes, name: file.name, url: URL.createObjectURL(file) } });
      setFileError(null);
      return;
    }
    try {
      const inputs = inputsFromFile(file.name, await file.arrayBuffer(), model.card.inputs);
      setChosen({ name: file.name, inputs });
      setFileError(null);
    } catch (error) {
      setChosen(null);
      setFileError({
        code: 'INPUT_INVALID',
        message: error instanceof InputError ? error.message : 'The file cannot be read.',
      });
    }
  };

  const run = async () => {
    if (!model || !chosen) return;
    setRunning(true);
    const ref = `${model.name}@${model.version}`;
    const r = await invoke(
      'inference:run',
      chosen.image
        ? { model: ref, image: { bytes: chosen.image.bytes, name: chosen.image.name } }
        : { model: ref, inputs: chosen.inputs ?? {} },
    );
    setRunning(false);
    setResult(r.ok ? r.value : null);
    setRunError(r.ok ? null : r.error);
  };

  return (
    <div className="grid">
      <Card title="Model and input" testId="run-input">
        <ErrorNote error={models.error} />
        {models.data && list.length === 0 ? (
          <p className="muted">No enabled model. Import one from the Media screen.</p>
        ) : null}
        {list.length > 0 ? (
          <label>
            <span className="label">Model</span>
            <select
              value={model ? `${model.name}@${model.version}` : ''}
              onChange={(e) => selectModel(e.target.value)}
              data-testid="run-model"
            >
              {list.map((m) => (
                <option key={`${m.name}@${m.version}`} value={`${m.name}@${m.version}`}>
                  {m.name} {m.version} ({m.card.task})
                </option>
              ))}
            </select>
          </label>
        ) : null}
        {model ? (
          <p className="muted small">
            Takes {model.card.inputs.map((i) => `${i.name}: ${i.type}${shapeText(i.shape)}`).join(', ')}
          </p>
        ) : null}
        <div
          className={dragging ? 'drop dragging' : 'drop'}
          onDragOver={(e) => {
            e.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={(e) => {
            e.preventDefault();
            setDragging(false);
            const f = e.dataTransfer.files[0];
            if (f) void take(f);
          }}
        >
          <p>Drop an input file here, or</p>
          <label className="button">
            Choose a file…
            <input
              type="file"
              accept=".npy,.json,.png,.jpg,.jpeg,.webp,.bmp,.tif,.tiff"
              className="visually-hidden"
              data-testid="run-file"
              onChange={(e) => {
                const f = e.target.files?.[0];
                if (f) void take(f);
              }}
            />
          </label>
          <p className="muted small">
            An image (for models whose card says how to prepare it), a .npy array or JSON tensors.
          </p>
          {chosen?.image ? (
            <img className="preview" src={chosen.image.url} alt={`Input ${chosen.name}`} />
          ) : null}
          {chosen ? (
            <p data-testid="run-chosen">
              <Badge tone="info">ready</Badge> {chosen.name}
            </p>
          ) : null}
        </div>
        <ErrorNote error={fileError} />
        <button
          type="button"
          className="primary"
          disabled={!model || !chosen || running}
          onClick={() => void run()}
          data-testid="run-go"
        >
          {running ? 'Running…' : 'Run'}
        </button>
        <ErrorNote error={runError} />
      </Card>
      <Card title="Result" testId="run-result">
        {result ? (
          <ResultView result={result} />
        ) : (
          <p className="muted">Run a model to see its result here.</p>
        )}
      </Card>
      <Card title="Batch jobs" wide testId="run-jobs">
        <JobsPanel model={model} />
      </Card>
    </div>
  );
}

function ResultView({ result }: { result: InferenceResult }) {
  return (
    <div className="stack" data-testid="result">
      <KeyValues
        rows={[
          ['Model', `${result.model} ${result.version}`],
          [
            'Latency',
            <span key="l" data-testid="result-latency">
              {ms(result.latencyMs)}
            </span>,
          ],
          ['Provider', result.provider],
          [
            'Configuration',
            result.config
              ? `${result.config.source}${result.config.stale ? ' (tuned on other hardware: defaults used)' : ''}`
              : 'default',
          ],
          [
            'Output digest',
            <code key="d" title={result.outputDigest}>
              {shortHash(result.outputDigest, 24)}
            </code>,
          ],
        ]}
      />
      {result.config?.note ? <p className="note muted">{result.config.note}</p> : null}
      {result.result ? <ProcessedView result={result.result} /> : null}
      <details open={!result.result}>
        <summary>Raw outputs</summary>
        {Object.entries(result.outputs).map(([name, t]) => (
          <OutputView key={name} name={name} tensor={t} />
        ))}
      </details>
    </div>
  );
}

function isProbabilities(t: TensorJson): boolean {
  if (t.type !== 'float32' && t.type !== 'float64') return false;
  const last = t.dims[t.dims.length - 1] ?? 0;
  const rows = t.dims.slice(0, -1).reduce((a, b) => a * b, 1);
  return rows === 1 && last >= 2 && last <= 10_000;
}

function OutputView({ name, tensor }: { name: string; tensor: TensorJson }) {
  const data = Array.isArray(tensor.data) ? tensor.data : Array.from(tensor.data as ArrayLike<number>);
  if (isProbabilities(tensor)) {
    const top = topK(data, tensor.dims, 5);
    const max = Math.max(...top.map((t) => Math.abs(t.value)), 1e-9);
    return (
      <div className="stack">
        <h3>
          {name}{' '}
          <span className="muted small">
            top {top.length} of {tensor.dims[tensor.dims.length - 1]}
          </span>
        </h3>
        <ul className="bars" data-testid="raw-topk">
          {top.map((t) => (
            <li key={t.index}>
              <span className="bar-label">class {t.index}</span>
              <span className="bar-track">
                <span className="bar-fill" style={{ width: `${(Math.abs(t.value) / max) * 100}%` }} />
              </span>
              <span className="bar-value">{t.value.toFixed(4)}</span>
            </li>
          ))}
        </ul>
      </div>
    );
  }
  const shown = data.slice(0, 64);
  return (
    <div className="stack">
      <h3>
        {name}{' '}
        <span className="muted small">
          {tensor.type}[{tensor.dims.join(', ')}], {data.length} values
          {data.length > shown.length ? `, first ${shown.length} shown` : ''}
        </span>
      </h3>
      <table className="table compact" data-testid="tensor-table">
        <thead>
          <tr>
            <th className="num">#</th>
            <th className="num">value</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((v, i) => (
            <tr key={i}>
              <td className="num">{i}</td>
              <td className="num">
                {typeof v === 'number' ? (Number.isInteger(v) ? v : v.toFixed(5)) : String(v)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function ProcessedView({ result }: { result: ProcessedResult }) {
  switch (result.kind) {
    case 'text':
      return (
        <div className="stack">
          <h3>Recognised text</h3>
          <p className="recognised" data-testid="recognised-text">
            {result.text || <span className="muted">(nothing recognised)</span>}
          </p>
          <p className="muted small">confidence {(result.confidence * 100).toFixed(1)}%</p>
        </div>
      );
    case 'lines':
      return (
        <div className="stack">
          <h3>Recognised text</h3>
          <p className="recognised" data-testid="recognised-text">
            {result.text}
          </p>
          <table className="table compact">
            <thead>
              <tr>
                <th>Line</th>
                <th className="num">Confidence</th>
                <th>Box</th>
              </tr>
            </thead>
            <tbody>
              {result.lines.map((l, i) => (
                <tr key={i}>
                  <td>{l.text}</td>
                  <td className="num">{(l.confidence * 100).toFixed(1)}%</td>
                  <td className="muted small">
                    [{l.box.map((v) => Math.round(v)).join(', ')}]{l.angle === 180 ? ' turned upright' : ''}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      );
    case 'classes': {
      const max = Math.max(...result.top.map((t) => t.score), 1e-9);
      return (
        <div className="stack">
          <h3>Top classes</h3>
          <ul className="bars" data-testid="topk">
            {result.top.map((t) => (
              <li key={t.index}>
                <span className="bar-label">{t.label ?? `class ${t.index}`}</span>
                <span className="bar-track">
                  <span className="bar-fill" style={{ width: `${(t.score / max) * 100}%` }} />
                </span>
                <span className="bar-value">{t.score.toFixed(4)}</span>
              </li>
            ))}
          </ul>
        </div>
      );
    }
    case 'boxes':
      return (
        <p>
          {result.boxes.length} region{result.boxes.length === 1 ? '' : 's'} detected.
        </p>
      );
  }
}
