import { useState } from 'react';
import type { ErrorInfo, SignedCheckpoint } from '../../../../runtime/contract/index.js';
import { invoke } from '../../api.js';
import { ErrorNote, KeyValues } from '../../components/ui.js';
import { shortHash } from '../../format.js';

/** Signs a checkpoint of the log now (Merkle root, installation key) and shows what it covers. */
export function CheckpointView() {
  const [checkpoint, setCheckpoint] = useState<SignedCheckpoint | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const write = async () => {
    const r = await invoke('audit:checkpoint', {});
    setCheckpoint(r.ok ? r.value : null);
    setError(r.ok ? null : r.error);
  };
  return (
    <div className="stack">
      <div className="row">
        <button type="button" onClick={() => void write()} data-testid="audit-checkpoint">
          Sign a checkpoint now
        </button>
      </div>
      <ErrorNote error={error} />
      {checkpoint ? (
        <KeyValues
          rows={[
            ['Records covered', checkpoint.body.treeSize.toLocaleString('en-US')],
            ['Merkle root', <code key="m">{shortHash(checkpoint.body.merkleRoot, 24)}</code>],
            ['Signed by', <code key="k">installation key {shortHash(checkpoint.body.keyId, 16)}</code>],
            ['At', checkpoint.body.ts],
          ]}
        />
      ) : null}
    </div>
  );
}
