import { useEffect, useState } from 'react';
import type {
  BundleInspection,
  ErrorInfo,
  ImportReport,
  VerificationReport,
} from '../../../runtime/contract/index.js';
import { available, invoke, invokeDynamic, operationId } from '../api.js';
import { CardView, FilesView, SignaturesView } from '../components/BundleDetails.js';
import { Badge, Card, ErrorNote, ProgressBar, Unavailable, useResult } from '../components/ui.js';
import { bytes } from '../format.js';
import { useApp } from '../store.js';

interface MediaDrive {
  readonly path?: string;
  readonly mountpoint?: string;
  readonly label?: string;
  readonly description?: string;
}

function drivePath(d: MediaDrive): string {
  return d.mountpoint ?? d.path ?? '';
}

function fileName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

/** Verdicts of the bundles on a medium (or one bundle file), one bundle:verify each. */
async function verifyAll(path: string): Promise<{ reports: VerificationReport[]; error: ErrorInfo | null }> {
  if (available('media:scan')) {
    const r = await invokeDynamic<{ bundles?: { path: string }[] } | { path: string }[]>('media:scan', {
      path,
    });
    if (!r.ok) return { reports: [], error: r.error };
    const list = Array.isArray(r.value) ? r.value : (r.value.bundles ?? []);
    const reports: VerificationReport[] = [];
    for (const b of list) {
      const v = await invoke('bundle:verify', { path: b.path });
      if (v.ok) reports.push(v.value);
    }
    return { reports, error: null };
  }
  const v = await invoke('bundle:verify', { path });
  return v.ok ? { reports: [v.value], error: null } : { reports: [], error: v.error };
}

export function MediaScreen() {
  const [path, setPath] = useState('');
  const [scanned, setScanned] = useState<VerificationReport[] | null>(null);
  const [scanError, setScanError] = useState<ErrorInfo | null>(null);
  const [busy, setBusy] = useState(false);
  const [inspection, setInspection] = useState<BundleInspection | null>(null);
  const [inspectError, setInspectError] = useState<ErrorInfo | null>(null);
  const [running, setRunning] = useState<string | null>(null);
  const [report, setReport] = useState<ImportReport | null>(null);
  const [importError, setImportError] = useState<ErrorInfo | null>(null);
  const progress = useApp((s) => (running ? s.progress[running] : undefined));
  const drives = useResult(
    () => invokeDynamic<MediaDrive[] | { drives: MediaDrive[] }>('media:list', {}),
    [],
  );
  const driveList = drives.data ? (Array.isArray(drives.data) ? drives.data : drives.data.drives) : [];

  const scan = async (target: string) => {
    if (!target.trim()) return;
    setBusy(true);
    setInspection(null);
    setReport(null);
    const r = await verifyAll(target.trim());
    setScanned(r.reports);
    setScanError(r.error);
    setBusy(false);
  };

  const inspect = async (bundle: string) => {
    const r = await invoke('bundle:inspect', { path: bundle });
    setInspection(r.ok ? r.value : null);
    setInspectError(r.ok ? null : r.error);
  };

  const importBundle = async (bundle: string) => {
    const id = operationId('import');
    setRunning(id);
    setReport(null);
    setImportError(null);
    const r = await invoke('models:import', { path: bundle, operationId: id });
    setRunning(null);
    if (r.ok) setReport(r.value);
    else setImportError(r.error);
  };

  useEffect(() => {
    setInspectError(null);
  }, [path]);

  return (
    <div className="grid">
      <Card title="Removable media" wide testId="media-drives">
        {available('media:list') ? (
          driveList.length === 0 ? (
            <p className="muted">No removable drive found. Insert the stick, or type a folder below.</p>
          ) : (
            <ul className="plain drives">
              {driveList.map((d) => (
                <li key={drivePath(d)}>
                  <button type="button" onClick={() => (setPath(drivePath(d)), void scan(drivePath(d)))}>
                    {d.label ?? d.description ?? drivePath(d)}
                  </button>{' '}
                  <code className="muted">{drivePath(d)}</code>
                </li>
              ))}
            </ul>
          )
        ) : (
          <Unavailable what="Automatic drive detection" />
        )}
        <form
          className="row"
          onSubmit={(e) => {
            e.preventDefault();
            void scan(path);
          }}
        >
          <label className="grow">
            <span className="label">
              {available('media:scan') ? 'Folder or drive to scan' : 'Bundle file on the medium'}
            </span>
            <input
              type="text"
              value={path}
              onChange={(e) => setPath(e.target.value)}
              placeholder={
                available('media:scan') ? '/media/usb-stick' : '/media/usb-stick/airlock/model-1.0.0.airlock'
              }
              data-testid="media-path"
              spellCheck={false}
            />
          </label>
          <button type="submit" className="primary" disabled={busy || !path.trim()} data-testid="media-scan">
            {busy ? 'Checking…' : 'Check'}
          </button>
        </form>
        <ErrorNote error={scanError} />
        {scanned && scanned.length === 0 && !scanError ? (
          <p className="muted">No bundle found there.</p>
        ) : null}
        {scanned && scanned.length > 0 ? (
          <table className="table" data-testid="bundle-list">
            <thead>
              <tr>
                <th>Bundle</th>
                <th>Model</th>
                <th className="num">Size</th>
                <th>Verdict</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {scanned.map((b) => (
                <tr key={b.path} data-testid="bundle-row">
                  <td>
                    <code>{fileName(b.path)}</code>
                  </td>
                  <td>{b.card ? `${b.card.name} ${b.card.version}` : '—'}</td>
                  <td className="num">{bytes(b.size)}</td>
                  <td className="verdict">
                    {b.ok ? (
                      <>
                        <Badge tone="ok">trusted</Badge>{' '}
                        <span className="muted">signed by {b.signers.join(', ')}</span>
                      </>
                    ) : (
                      <>
                        <Badge tone="bad">rejected</Badge>{' '}
                        <span data-testid="verdict-reason">{b.error?.message}</span>
                      </>
                    )}
                  </td>
                  <td className="actions">
                    <button type="button" onClick={() => void inspect(b.path)} data-testid="inspect">
                      Inspect
                    </button>
                    <button
                      type="button"
                      className="primary"
                      disabled={running !== null}
                      onClick={() => void importBundle(b.path)}
                      data-testid="import"
                    >
                      Import
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
        {running ? (
          <div className="row">
            <ProgressBar event={progress} label="Import progress" />
            <button
              type="button"
              onClick={() => void invoke('operation:cancel', { operationId: running })}
              data-testid="import-cancel"
            >
              Cancel
            </button>
          </div>
        ) : null}
        <ErrorNote error={importError} />
        {report ? (
          <div className="stack" data-testid="import-report">
            {report.items.map((item) => (
              <p key={item.path} className={item.outcome === 'rejected' ? 'note error' : 'note ok'}>
                <strong>
                  {item.outcome === 'installed'
                    ? `Installed ${item.model?.name ?? ''} ${item.model?.version ?? ''}`
                    : item.outcome === 'already-installed'
                      ? `${item.model?.name ?? ''} ${item.model?.version ?? ''} was already installed; nothing changed`
                      : `Not installed: ${item.error?.message ?? 'rejected'}`}
                </strong>
                {item.error ? <span className="code">{item.error.code}</span> : null}
              </p>
            ))}
          </div>
        ) : null}
      </Card>
      {inspectError ? (
        <Card title="Inspect" wide>
          <ErrorNote error={inspectError} />
        </Card>
      ) : null}
      {inspection ? (
        <>
          <Card title={`Card: ${inspection.card.name} ${inspection.card.version}`} testId="inspect-card">
            <CardView card={inspection.card} />
          </Card>
          <Card title="Signatures and files" testId="inspect-files">
            <SignaturesView signatures={inspection.signatures} />
            <FilesView files={inspection.files} />
            <p className="muted small">
              Bundle {bytes(inspection.size)}, SHA-256 <code>{inspection.sha256}</code>
            </p>
          </Card>
        </>
      ) : null}
    </div>
  );
}
