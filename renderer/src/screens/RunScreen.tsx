import { useEffect, useMemo, useState } from 'react';
import type { ErrorInfo, InferenceResult } from '../../../runtime/contract/index.js';
import { invoke } from '../api.js';
import { shapeText } from '../components/BundleDetails.js';
import { Badge, Card, ErrorNote, useResult } from '../components/ui.js';
import { JobsPanel } from '../components/JobsPanel.js';
import { useApp } from '../store.js';
import { ResultView } from './run/ResultView.js';
import { checkInput } from './run/input-check.js';
import { taskWords } from './run/words.js';
import './run/run.css';

/** How a run opens its session: the engine's default is the tuned latency choice. */
const CONFIGS = [
  { value: 'latency', label: 'Tuned for latency (one input at a time)' },
  { value: 'throughput', label: 'Tuned for throughput (many inputs)' },
  { value: 'default', label: "onnxruntime's defaults (untuned)" },
] as const;
type ConfigChoice = (typeof CONFIGS)[number]['value'];

/**
 * The file the user picked, as bytes: the engine reads it (image, .npy or .json) with the same
 * reader batch jobs use, so a bad file is refused by the engine with its own message. An image
 * also gets a preview.
 */
interface Chosen {
  name: string;
  bytes: Uint8Array;
  preview: string | null;
}

const IMAGE = /\.(png|jpe?g|webp|bmp|gif|tiff?)$/i;

export function RunScreen() {
  const models = useResult(() => invoke('models:list', { includeDisabled: false }), []);
  const { selectedModel, selectModel } = useApp();
  const list = models.data ?? [];
  const model = list.find((m) => `${m.name}@${m.version}` === selectedModel) ?? list[0] ?? null;
  const [chosen, setChosen] = useState<Chosen | null>(null);
  // Reading the pick in the page (the file vanished, no permission); what is in it is the engine's to judge.
  const [fileError, setFileError] = useState<ErrorInfo | null>(null);
  const [result, setResult] = useState<InferenceResult | null>(null);
  const [runError, setRunError] = useState<ErrorInfo | null>(null);
  const [running, setRunning] = useState(false);
  const [dragging, setDragging] = useState(false);
  const [config, setConfig] = useState<ConfigChoice>('latency');
  // The pick against the card's declared inputs: a plain misfit keeps Run disabled, with the reason.
  const check = useMemo(
    () => (model && chosen ? checkInput(model.card, chosen.name, chosen.bytes) : null),
    [model, chosen],
  );
  const [ranOn, setRanOn] = useState<string | null>(null);
  const [ranWith, setRanWith] = useState<string | null>(null);

  useEffect(() => {
    setResult(null);
    setRunError(null);
  }, [model?.name, model?.version]);

  // The preview's object URL lives as long as its pick.
  useEffect(() => {
    const url = chosen?.preview;
    return url ? () => URL.revokeObjectURL(url) : undefined;
  }, [chosen]);

  const take = async (file: File) => {
    setResult(null);
    setRunError(null);
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      setChosen({
        name: file.name,
        bytes,
        preview: IMAGE.test(file.name) ? URL.createObjectURL(file) : null,
      });
      setFileError(null);
    } catch (error) {
      setChosen(null);
      setFileError({
        code: 'MEDIA_READ_FAILED',
        message: `${file.name} cannot be read${error instanceof Error ? ` (${error.message})` : ''}. Choose it again, or copy it to this machine first.`,
      });
    }
  };

  const run = async () => {
    if (!model || !chosen) return;
    setRunning(true);
    const r = await invoke('inference:run', {
      model: `${model.name}@${model.version}`,
      file: { bytes: chosen.bytes, name: chosen.name },
      // The engine's default is the tuned latency choice: only another choice is sent.
      ...(config === 'latency' ? {} : { config }),
    });
    setRunning(false);
    setRanOn(chosen.preview);
    setRanWith(config);
    setResult(r.ok ? r.value : null);
    setRunError(r.ok ? null : r.error);
  };

  // The engine's reader refused the file itself (not JSON, no such input, wrong shape): say so at the file.
  const refused = runError?.code.startsWith('INPUT_') ?? false;

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
                  {m.name} {m.version}
                  {taskWords(m.card.task) ? ` (${taskWords(m.card.task)})` : ''}
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
          {chosen?.preview ? (
            <img className="preview" src={chosen.preview} alt={`Input ${chosen.name}`} />
          ) : null}
          {chosen ? (
            <p data-testid="run-chosen">
              {refused || check?.verdict === 'refused' ? (
                <Badge tone="bad">does not fit</Badge>
              ) : (
                <Badge tone="info">ready</Badge>
              )}{' '}
              {chosen.name}
            </p>
          ) : null}
          {check ? (
            <p
              className={check.verdict === 'refused' ? 'run-check bad' : 'run-check muted small'}
              data-testid="run-check"
              data-verdict={check.verdict}
            >
              {check.text}
            </p>
          ) : null}
        </div>
        <ErrorNote error={fileError} />
        <label>
          <span className="label">Session configuration</span>
          <select
            value={config}
            onChange={(e) => setConfig(e.target.value as ConfigChoice)}
            data-testid="run-config"
          >
            {CONFIGS.map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          className="primary run-go"
          disabled={!model || !chosen || running || check?.verdict === 'refused'}
          title={check?.verdict === 'refused' ? check.text : undefined}
          onClick={() => void run()}
          data-testid="run-go"
        >
          {running ? 'Running…' : 'Run'}
        </button>
        <ErrorNote error={runError} />
      </Card>
      <Card title="Result" testId="run-result">
        {result ? (
          <ResultView result={result} card={model?.card ?? null} image={ranOn} asked={ranWith} />
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
