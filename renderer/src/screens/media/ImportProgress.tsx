import { invoke } from '../../api.js';
import { ProgressBar } from '../../components/ui.js';
import { useApp } from '../../store.js';
import { etaText, secondsLeft } from './words.js';

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
