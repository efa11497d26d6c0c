import type { ProgressEvent } from '../../../../runtime/contract/index.js';
import { invoke } from '../../api.js';
import { ProgressBar } from '../../components/ui.js';
import { useApp } from '../../store.js';

/** Seconds left from the engine's rate, done and total; null when it cannot be told. */
export function secondsLeft(e: ProgressEvent | undefined): number | null {
  if (!e || e.total === null || !e.rate || e.rate <= 0) return null;
  return Math.max(0, (e.total - e.done) / e.rate);
}

export function etaText(seconds: number | null): string {
  if (seconds === null) return '';
  if (seconds < 1) return 'less than a second left';
  if (seconds < 90) {
    const s = Math.round(seconds);
    return `about ${s} second${s === 1 ? '' : 's'} left`;
  }
  const m = Math.round(seconds / 60);
  return `about ${m} minute${m === 1 ? '' : 's'} left`;
}

/** A running import or check: what it works on, its bar, the time left, and Cancel. */
export function WorkProgress(props: {
  operationId: string;
  title: string;
  label: string;
  cancelTestId: string;
  testId: string;
}) {
  const event = useApp((st) => st.progress[props.operationId]);
  const eta = etaText(secondsLeft(event));
  return (
    <div className="stack" data-testid={props.testId}>
      <div>
        <strong>{props.title}</strong> {eta ? <span className="media-eta">— {eta}</span> : null}
      </div>
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
    </div>
  );
}
