import { useState } from 'react';
import type { ErrorInfo, Result } from '../../../../runtime/contract/index.js';
import { ErrorNote, Form, NeedsRole } from '../../components/ui.js';
import { useAllowed } from '../../store.js';
import { PathPicker } from '../../components/PathPicker.js';

/**
 * Applies a signed file from a path (policy:apply, revocations:import) and shows the engine's
 * verdict; `reload` refreshes what the file changed, whatever the verdict.
 */
export function ApplyFile(props: {
  label: string;
  button: string;
  testId: string;
  /** The channel `apply` calls: without it the form is not offered (a refused call is an audit record). */
  channel: string;
  apply(path: string): Promise<Result<unknown>>;
  reload(): void;
}) {
  const [path, setPath] = useState('');
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [done, setDone] = useState(false);
  const may = useAllowed(props.channel);
  const submit = async () => {
    const r = await props.apply(path.trim());
    props.reload();
    setError(r.ok ? null : r.error);
    setDone(r.ok);
  };
  if (!may)
    return (
      <p className="muted small" data-testid={`${props.testId}-needs-role`}>
        {props.button}: <NeedsRole channel={props.channel} />
      </p>
    );
  return (
    <Form className="stack" onSubmit={submit}>
      <div className="row">
        <PathPicker
          label={props.label}
          value={path}
          onChange={setPath}
          mode="file"
          filters={[{ name: 'Signed document', extensions: ['json'] }]}
          testId={props.testId}
        />
        <button type="submit" disabled={!path.trim()}>
          {props.button}
        </button>
      </div>
      <ErrorNote error={error} />
      {done ? <p className="note ok">Applied.</p> : null}
    </Form>
  );
}
