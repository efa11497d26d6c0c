import { invoke } from '../../api.js';
import { percent } from '../../format.js';
import { useApp } from '../../store.js';

/** A benchmark's progress in words ("configuration 2 of 6") and the button that stops it. */
export function BenchProgress({ operationId }: { operationId: string }) {
  const event = useApp((st) => st.progress[operationId]);
  const p = event ? percent(event.done, event.total) : null;
  const text = !event
    ? 'Starting…'
    : event.total !== null && event.total > 0
      ? `Measuring configuration ${Math.min(event.done + 1, event.total)} of ${event.total}`
      : event.done > 0
        ? `${event.done} configuration${event.done === 1 ? '' : 's'} measured`
        : 'Preparing the model and its inputs…';
  return (
    <div className="row bench-progress">
      <div className="progress" data-testid="progress">
        <div
          className="progress-track"
          role="progressbar"
          aria-label="Benchmark progress"
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={p === null ? undefined : Math.round(p)}
        >
          <div
            className={p === null ? 'progress-fill indeterminate' : 'progress-fill'}
            style={{ width: `${p ?? 30}%` }}
          />
        </div>
        <span className="progress-text" data-testid="bench-progress-text">
          {text}
        </span>
      </div>
      <button type="button" onClick={() => void invoke('operation:cancel', { operationId })}>
        Stop
      </button>
    </div>
  );
}
