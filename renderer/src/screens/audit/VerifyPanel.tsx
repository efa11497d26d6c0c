import { useState } from 'react';
import type { AuditVerifyReport, ErrorInfo } from '../../../../runtime/contract/index.js';
import { invoke } from '../../api.js';
import { Card, ErrorNote } from '../../components/ui.js';
import { shortHash } from '../../format.js';
import { CheckpointView } from './CheckpointView.js';

/** Verifies the hash chain on demand (and signs a checkpoint); `onVerified` after each run. */
export function VerifyPanel({ onVerified }: { onVerified(): void }) {
  const [verify, setVerify] = useState<AuditVerifyReport | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [verifying, setVerifying] = useState(false);

  const run = async () => {
    setVerifying(true);
    const r = await invoke('audit:verify', {});
    setVerifying(false);
    setVerify(r.ok ? r.value : null);
    setError(r.ok ? null : r.error);
    onVerified();
  };

  return (
    <Card
      title="Verify the chain"
      testId="audit-verify"
      actions={
        <button
          type="button"
          className="primary"
          onClick={() => void run()}
          disabled={verifying}
          data-testid="audit-verify-run"
        >
          {verifying ? 'Verifying…' : 'Verify now'}
        </button>
      }
    >
      <p className="muted">Recomputes every record's hash and its link to the one before it.</p>
      <ErrorNote error={error} />
      {verify ? (
        verify.ok ? (
          <p className="note ok" data-testid="verify-result">
            <strong>
              Intact: {verify.count.toLocaleString('en-US')} records, head {shortHash(verify.headHash, 16)}
            </strong>
          </p>
        ) : (
          <p className="note error" data-testid="verify-result">
            <strong>
              Broken at record #{verify.firstBroken?.seq}: {verify.firstBroken?.reason}
            </strong>
          </p>
        )
      ) : null}
      <CheckpointView />
    </Card>
  );
}
