import { useEffect, useId, useRef, type ReactNode } from 'react';
import './settings.css';

/**
 * An accessible modal confirmation: role=dialog, aria-modal, focus moved in and trapped (Tab
 * cycles inside), Escape or Cancel cancels, focus returns to where it was. The confirm button
 * names what it does ("Remove key and disable 2 models"), never a bare "OK".
 */
export function ConfirmDialog(props: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  onConfirm(): void;
  onCancel(): void;
  /** The confirm button is disabled (e.g. until a checkbox is ticked). */
  confirmDisabled?: boolean;
  destructive?: boolean;
  busy?: boolean;
  testId?: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const titleId = useId();
  const bodyId = useId();
  const { onCancel } = props;
  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    const first = box.current?.querySelector<HTMLElement>('[data-autofocus]') ?? box.current;
    first?.focus();
    return () => before?.focus?.();
  }, []);
  const onKeyDown = (e: React.KeyboardEvent) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      onCancel();
      return;
    }
    if (e.key !== 'Tab' || !box.current) return;
    const focusable = [
      ...box.current.querySelectorAll<HTMLElement>(
        'button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [href], [tabindex]:not([tabindex="-1"])',
      ),
    ];
    if (focusable.length === 0) return;
    const first = focusable[0]!;
    const last = focusable[focusable.length - 1]!;
    if (e.shiftKey && (document.activeElement === first || document.activeElement === box.current)) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault();
      first.focus();
    }
  };
  return (
    <div className="confirm-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onCancel()}>
      <div
        ref={box}
        className="confirm-dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        aria-describedby={bodyId}
        tabIndex={-1}
        onKeyDown={onKeyDown}
        data-testid={props.testId ?? 'confirm-dialog'}
      >
        <h2 id={titleId}>{props.title}</h2>
        <div id={bodyId} className="stack">
          {props.children}
        </div>
        <div className="row confirm-actions">
          <button
            type="button"
            className="ghost"
            onClick={onCancel}
            data-testid="confirm-cancel"
            data-autofocus
          >
            Cancel
          </button>
          <button
            type="button"
            className={props.destructive ? 'danger' : 'primary'}
            onClick={props.onConfirm}
            disabled={props.confirmDisabled || props.busy}
            data-testid="confirm-ok"
          >
            {props.confirmLabel}
          </button>
        </div>
      </div>
    </div>
  );
}
