import { useState } from 'react';
import { AuditLogPanel } from './audit/AuditLogPanel.js';
import { ExportPanel } from './audit/ExportPanel.js';
import { RetentionPanel } from './audit/RetentionPanel.js';
import { VerifyPanel } from './audit/VerifyPanel.js';

/** Audit: the log itself, verifying its chain (and checkpoints), and exporting it for an auditor. */
export function AuditScreen() {
  // A verification is itself recorded: each one bumps the generation and the log reloads.
  const [generation, setGeneration] = useState(0);
  return (
    <div className="stack">
      <AuditLogPanel generation={generation} />
      <div className="grid">
        <VerifyPanel onVerified={() => setGeneration((g) => g + 1)} />
        <ExportPanel />
        <RetentionPanel />
      </div>
    </div>
  );
}
