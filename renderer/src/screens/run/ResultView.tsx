import type {
  InferenceResult,
  ModelCard,
  ProcessedResult,
  TensorJson,
} from '../../../../runtime/contract/index.js';
import { BoxOverlay, boxesOf } from './BoxOverlay.js';
import { KeyValues } from '../../components/ui.js';
import { ms, shortHash } from '../../format.js';

/** Top-k of a probability-like vector: the last axis of the first row. */
function topK(
  data: readonly (number | string | boolean)[],
  dims: readonly number[],
  k: number,
): { index: number; value: number }[] {
  const n = dims.length === 0 ? data.length : dims[dims.length - 1]!;
  const row = data.slice(0, n).map(Number);
  return row
    .map((value, index) => ({ index, value }))
    .sort((a, b) => b.value - a.value)
    .slice(0, k);
}

const SOURCE: Record<string, string> = {
  'tuned-latency': 'tuned for latency',
  'tuned-throughput': 'tuned for throughput',
  default: "onnxruntime's defaults",
  explicit: 'as given',
};

/**
 * Whether the card says an output is class scores: post-processing that yields classes, or a
 * classification task. Anything else (regression, embeddings) is shown as numbers.
 */
function isClassScores(card: ModelCard | null, t: TensorJson): boolean {
  if (!card) return false;
  const classSteps = (card.postprocess ?? []).some((p) => ['softmax', 'argmax', 'top-k'].includes(p.kind));
  const classTask = /classif/i.test(card.task);
  return (classSteps || classTask) && isProbabilities(t);
}

/** A run's result: what it ran on, the card's post-processed result, and the raw outputs. */
export function ResultView({
  result,
  card = null,
  image = null,
  asked = null,
}: {
  result: InferenceResult;
  card?: ModelCard | null;
  image?: string | null;
  /** The configuration the user chose for the run. */
  asked?: string | null;
}) {
  const boxes = result.result ? boxesOf(result.result) : [];
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
            <span key="c" data-testid="result-config">
              {result.config
                ? `${SOURCE[result.config.source] ?? result.config.source}${result.config.stale ? ' (tuned on other hardware: defaults used)' : asked && asked !== 'default' && result.config.source === 'default' ? ' (not benchmarked on this machine yet)' : ''}`
                : "onnxruntime's defaults"}
            </span>,
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
      {image && boxes.length > 0 ? <BoxOverlay image={image} boxes={boxes} /> : null}
      {result.result ? <ProcessedView result={result.result} /> : null}
      {result.result ? (
        <details>
          <summary>Raw outputs</summary>
          {Object.entries(result.outputs).map(([name, t]) => (
            <OutputView key={name} name={name} tensor={t} classes={isClassScores(card, t)} />
          ))}
        </details>
      ) : (
        Object.entries(result.outputs).map(([name, t]) => (
          <OutputView key={name} name={name} tensor={t} classes={isClassScores(card, t)} />
        ))
      )}
    </div>
  );
}

function isProbabilities(t: TensorJson): boolean {
  if (t.type !== 'float32' && t.type !== 'float64') return false;
  const last = t.dims[t.dims.length - 1] ?? 0;
  const rows = t.dims.slice(0, -1).reduce((a, b) => a * b, 1);
  return rows === 1 && last >= 2 && last <= 10_000;
}

function value(v: number | string | boolean | bigint): string {
  if (typeof v !== 'number') return String(v);
  if (Number.isInteger(v)) return String(v);
  if (Math.abs(v) >= 1e6 || (Math.abs(v) < 1e-4 && v !== 0)) return v.toExponential(4);
  // Up to 6 significant digits, without trailing zeros (3.5, not 3.50000).
  return String(Number(v.toPrecision(6)));
}

function OutputView({ name, tensor, classes }: { name: string; tensor: TensorJson; classes: boolean }) {
  const data = Array.isArray(tensor.data)
    ? tensor.data
    : Array.from(tensor.data as ArrayLike<number | bigint>, (v) => (typeof v === 'bigint' ? String(v) : v));
  if (classes) {
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
  // A few values (a regression's prediction): shown as numbers, large, not as bars.
  if (data.length <= 8) {
    return (
      <div className="stack">
        <h3>
          {name}{' '}
          <span className="muted small">
            {tensor.type}[{tensor.dims.join(', ')}]
          </span>
        </h3>
        <ol className="run-values" data-testid="output-values">
          {data.map((v, i) => (
            <li key={i}>
              <span className="muted small">{data.length > 1 ? `#${i}` : 'value'}</span>{' '}
              <span className="run-value">{value(v)}</span>
            </li>
          ))}
        </ol>
      </div>
    );
  }
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
              <td className="num">{value(v)}</td>
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
