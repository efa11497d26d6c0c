import { useState } from 'react';
import type { ErrorInfo, Result } from '../../../../runtime/contract/index.js';
import { ErrorNote, Form, TextField } from '../../components/ui.js';

/**
 * Applies a signed file from a path (policy:apply, revocations:import) and shows the engine's
 * verdict; `reload` refreshes what the file changed, whatever the verdict.
 */
export function ApplyFile(props: {
  label: string;
  button: string;
  testId: string;
  apply(path: string): Promise<Result<unknown>>;
  reload(): void;
}) {
  const [path, setPath] = useState('');
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [done, setDone] = useState(false);
  const submit = async () => {
    const r = await props.apply(path.trim());
    props.reload();
    setError(r.ok ? null : r.error);
    setDone(r.ok);
  };
  return (
    <Form className="stack" onSubmit={submit}>
      <div className="row">
        <TextField label={props.label} value={path} onChange={setPath} testId={props.testId} grow />
        <button type="submit" disabled={!path.trim()}>
          {props.button}
        </button>
      </div>
      <ErrorNote error={error} />
      {done ? <p className="note ok">Applied.</p> : null}
    </Form>
  );
}
