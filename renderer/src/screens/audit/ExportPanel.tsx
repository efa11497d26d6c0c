import { useState } from 'react';
import type { AuditExportReport, ErrorInfo } from '../../../../runtime/contract/index.js';
import { invoke, operationId } from '../../api.js';
import { Card, ErrorNote, Form, OperationProgress } from '../../components/ui.js';
import { useDrives } from '../../components/use-drives.js';
import { bytes, shortHash } from '../../format.js';
import './audit.css';
import { PathPicker } from '../../components/PathPicker.js';

/** Exports the log for an auditor to an empty folder, preferably on a writable removable drive. */
export function ExportPanel() {
  const [dest, setDest] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [result, setResult] = useState<AuditExportReport | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [running, setRunning] = useState<string | null>(null);
  const drives = useDrives();
  const writable = (drives.data ?? []).filter((m) => !m.isReadOnly && m.mountpoints.length > 0);
  const run = async () => {
    const id = operationId('export');
    setRunning(id);
    const r = await invoke('audit:export', {
      out: dest.trim(),
      operationId: id,
      ...(from ? { from: `${from}T00:00:00.000Z` } : {}),
      ...(to ? { to: `${to}T23:59:59.999Z` } : {}),
    });
    setRunning(null);
    setResult(r.ok ? r.value : null);
    setError(r.ok ? null : r.error);
  };
  const pick = (mountpoint: string) => {
    const stamp = new Date().toISOString().slice(0, 10);
    setDest(`${mountpoint.replace(/[\\/]+$/, '')}/airlock-audit-${stamp}`);
  };
  return (
    <Card title="Export for an auditor" testId="audit-export">
      <p className="muted">
        Writes the records, a signed checkpoint, the installation's public key and a stand-alone verify.js to
        an empty folder, for example on a USB stick.
      </p>
      {writable.length > 0 ? (
        <label>
          <span className="label">Removable drive</span>
          <select
            data-testid="audit-export-drive"
            value=""
            onChange={(e) => {
              if (e.target.value) pick(e.target.value);
            }}
          >
            <option value="">Choose a drive…</option>
            {writable.flatMap((m) =>
              m.mountpoints.map((p) => (
                <option key={p.path} value={p.path}>
                  {p.label ?? m.description} ({p.path}
                  {m.size ? `, ${bytes(m.size)}` : ''})
                </option>
              )),
            )}
          </select>
        </label>
      ) : (
        <p className="muted small" data-testid="audit-export-nodrive">
          No writable removable drive is inserted{drives.error ? ` (${drives.error.message})` : ''}. Insert
          one, or type a folder below.
        </p>
      )}
      <div className="row audit-export-range">
        <label>
          <span className="label">From (UTC day, optional)</span>
          <input
            type="date"
            value={from}
            max={to || undefined}
            onChange={(e) => setFrom(e.target.value)}
            data-testid="audit-export-from"
          />
        </label>
        <label>
          <span className="label">To (UTC day, optional)</span>
          <input
            type="date"
            value={to}
            min={from || undefined}
            onChange={(e) => setTo(e.target.value)}
            data-testid="audit-export-to"
          />
        </label>
      </div>
      <Form className="row" onSubmit={run}>
        <PathPicker
          label="Empty folder on a drive"
          value={dest}
          placeholder="/media/usb-stick/audit-2026-11"
          onChange={setDest}
          mode="save"
          title="Export the audit log to a new folder"
          defaultName="airlock-audit-export"
          testId="audit-export-path"
        />
        <button
          type="submit"
          className="primary"
          disabled={!dest.trim() || running !== null}
          data-testid="audit-export-run"
        >
          Export
        </button>
      </Form>
      {running ? (
        <OperationProgress operationId={running} label="Export progress" cancelTestId="audit-export-cancel" />
      ) : null}
      <ErrorNote error={error} />
      {result ? (
        <div className="stack" data-testid="export-result">
          <p className="note ok">
            <strong>
              Exported records #{result.fromSeq}–#{result.toSeq} ({result.count.toLocaleString('en-US')}) to{' '}
              {result.dir}
            </strong>
          </p>
          <ul className="plain small">
            {result.files.map((f) => (
              <li key={f.name}>
                <code>{f.name}</code> <span className="muted">{bytes(f.bytes)}</span>{' '}
                <code className="muted">{shortHash(f.sha256, 16)}</code>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </Card>
  );
}
