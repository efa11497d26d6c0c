import { useState } from 'react';
import type { ErrorInfo } from '../../../runtime/contract/index.js';
import { invoke } from '../api.js';
import { ErrorNote } from './ui.js';

export interface PathFilter {
  readonly name: string;
  readonly extensions: readonly string[];
}

/**
 * A path: typed, pasted, or chosen with the native dialog ("Choose…": dialog:open for a file or
 * folder, dialog:save for a new file). The window only ever gets the path back, never the
 * contents. The dialogs are the host's (not role-checked engine channels). Cancelling the dialog leaves the field as it was.
 */
export function PathPicker(props: {
  label: string;
  value: string;
  onChange(value: string): void;
  /** file / folder: an existing one (dialog:open); save: a new file or folder (dialog:save). */
  mode: 'file' | 'folder' | 'save';
  /** The dialog's title; defaults to the label. */
  title?: string;
  filters?: readonly PathFilter[];
  /** dialog:save's proposed name. */
  defaultName?: string;
  placeholder?: string;
  testId?: string;
  disabled?: boolean;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const title = props.title ?? props.label;
  const filters = (props.filters ?? []).map((f) => ({ name: f.name, extensions: [...f.extensions] }));
  const choose = async () => {
    setBusy(true);
    setError(null);
    const r =
      props.mode === 'save'
        ? await invoke('dialog:save', {
            title,
            filters,
            ...(props.defaultName ? { defaultName: props.defaultName } : {}),
          })
        : await invoke('dialog:open', { kind: props.mode, title, filters });
    setBusy(false);
    if (!r.ok) return setError(r.error);
    if (r.value.path !== null) props.onChange(r.value.path);
  };
  const id = props.testId ?? 'path';
  return (
    <div className="path-picker grow">
      <label className="grow">
        <span className="label">{props.label}</span>
        <span className="path-row">
          <input
            type="text"
            value={props.value}
            placeholder={props.placeholder}
            onChange={(e) => props.onChange(e.target.value)}
            spellCheck={false}
            disabled={props.disabled}
            data-testid={id}
          />
          <button
            type="button"
            onClick={() => void choose()}
            disabled={props.disabled || busy}
            data-testid={`${id}-choose`}
          >
            {busy ? 'Choosing…' : 'Choose…'}
          </button>
        </span>
      </label>
      <ErrorNote error={error} />
    </div>
  );
}
