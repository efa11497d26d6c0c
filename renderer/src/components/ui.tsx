import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import type { AuditOutcome, ErrorInfo, ProgressEvent, Result } from '../../../runtime/contract/index.js';
import { invoke } from '../api.js';
import { bytes, percent } from '../format.js';
import { useAllowed, useApp } from '../store.js';

export function Card(props: {
  title: string;
  children: ReactNode;
  actions?: ReactNode;
  wide?: boolean;
  testId?: string;
}) {
  return (
    <section
      className={props.wide ? 'card wide' : 'card'}
      aria-label={props.title}
      data-testid={props.testId}
    >
      <header className="card-head">
        <h2>{props.title}</h2>
        {props.actions ? <div className="card-actions">{props.actions}</div> : null}
      </header>
      <div className="card-body">{props.children}</div>
    </section>
  );
}

/** An error where it happened: the engine's message (what was wrong, what to do) and its code. */
export function ErrorNote({ error }: { error: ErrorInfo | null | undefined }) {
  if (!error) return null;
  return (
    <div className="note error" role="alert" data-testid="error">
      <strong>{error.message}</strong>
      <span className="code">{error.code}</span>
    </div>
  );
}

export function Badge({
  tone,
  children,
}: {
  tone: 'ok' | 'bad' | 'warn' | 'info' | 'neutral';
  children: ReactNode;
}) {
  return <span className={`badge ${tone}`}>{children}</span>;
}

/** An audit record's outcome: success ok, refused bad, failure a warning. */
export function OutcomeBadge({ outcome }: { outcome: AuditOutcome }) {
  return (
    <Badge tone={outcome === 'success' ? 'ok' : outcome === 'refused' ? 'bad' : 'warn'}>{outcome}</Badge>
  );
}

export function ProgressBar({ event, label }: { event: ProgressEvent | undefined; label: string }) {
  const p = event ? percent(event.done, event.total) : null;
  const detail = !event
    ? 'starting…'
    : event.unit === 'bytes'
      ? `${event.phase}: ${bytes(event.done)}${event.total !== null ? ` of ${bytes(event.total)}` : ''}${event.rate ? ` (${bytes(event.rate)}/s)` : ''}`
      : `${event.phase}: ${event.done}${event.total !== null ? ` of ${event.total}` : ''}`;
  return (
    <div className="progress" data-testid="progress">
      <div
        className="progress-track"
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={p === null ? undefined : Math.round(p)}
      >
        <div
          className={p === null ? 'progress-fill indeterminate' : 'progress-fill'}
          style={{ width: `${p ?? 30}%` }}
        />
      </div>
      <span className="progress-text">{detail}</span>
    </div>
  );
}

/** A running operation's progress (from the engine's events) and the button that cancels it. */
export function OperationProgress(props: { operationId: string; label: string; cancelTestId?: string }) {
  const event = useApp((st) => st.progress[props.operationId]);
  return (
    <div className="row">
      <ProgressBar event={event} label={props.label} />
      <button
        type="button"
        onClick={() => void invoke('operation:cancel', { operationId: props.operationId })}
        data-testid={props.cancelTestId}
      >
        Cancel
      </button>
    </div>
  );
}

/** A form that runs `onSubmit` on Enter or its submit button, without reloading the page. */
export function Form(props: { className: string; onSubmit(): void | Promise<unknown>; children: ReactNode }) {
  return (
    <form
      className={props.className}
      onSubmit={(e) => {
        e.preventDefault();
        void props.onSubmit();
      }}
    >
      {props.children}
    </form>
  );
}

/** A labelled one-line text (or password) field; text fields are not spell-checked (names, paths, keys). */
export function TextField(props: {
  label: ReactNode;
  value: string;
  onChange(value: string): void;
  testId?: string;
  type?: 'text' | 'password';
  placeholder?: string;
  autoComplete?: string;
  autoFocus?: boolean;
  /** The field takes the row's free width. */
  grow?: boolean;
}) {
  const type = props.type ?? 'text';
  return (
    <label className={props.grow ? 'grow' : undefined}>
      <span className="label">{props.label}</span>
      <input
        type={type}
        value={props.value}
        placeholder={props.placeholder}
        autoComplete={props.autoComplete}
        onChange={(e) => props.onChange(e.target.value)}
        data-testid={props.testId}
        spellCheck={type === 'text' ? false : undefined}
        autoFocus={props.autoFocus}
      />
    </label>
  );
}

export interface Loaded<T> {
  data: T | null;
  error: ErrorInfo | null;
  loading: boolean;
  reload(): void;
}

/** Loads a call's result when `deps` change (and on reload()). */
export function useResult<T>(load: () => Promise<Result<T>>, deps: readonly unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; error: ErrorInfo | null; loading: boolean }>({
    data: null,
    error: null,
    loading: true,
  });
  const [tick, setTick] = useState(0);
  const loader = useRef(load);
  loader.current = load;
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    void loader.current().then((r) => {
      if (!live) return;
      setState(
        r.ok
          ? { data: r.value, error: null, loading: false }
          : { data: null, error: r.error, loading: false },
      );
    });
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

export function KeyValues({ rows }: { rows: readonly (readonly [string, ReactNode])[] }) {
  return (
    <dl className="kv">
      {rows.map(([k, v]) => (
        <div key={k} className="kv-row">
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

/**
 * The hint next to a control the signed-in role may not use: pair it with `disabled={!useAllowed(c)}`.
 * Renders nothing when the role may call the channel.
 */
export function NeedsRole({ channel, role = 'admin' }: { channel: string; role?: string }) {
  const may = useAllowed(channel);
  if (may) return null;
  return (
    <span className="needs-role muted small" data-testid="needs-role">
      needs the {role} role
    </span>
  );
}
