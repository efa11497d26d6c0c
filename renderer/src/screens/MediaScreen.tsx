import { useEffect, useState } from 'react';
import type {
  BundleInspection,
  ErrorInfo,
  ImportReport,
  ScannedBundle,
  ScannedDocument,
} from '../../../runtime/contract/index.js';
import { invoke, operationId } from '../api.js';
import { CardView, FilesView, SignaturesView } from '../components/BundleDetails.js';
import { Badge, Card, ErrorNote, Form, OperationProgress, TextField } from '../components/ui.js';
import { useDrives } from '../components/use-drives.js';
import { bytes } from '../format.js';

function fileName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

type Row = Pick<
  ScannedBundle,
  'path' | 'size' | 'card' | 'signers' | 'verdict' | 'error' | 'name' | 'version'
>;

/** Bundles on a medium (media:scan), or one bundle file judged with bundle:verify. */
async function scanPath(
  path: string,
): Promise<{ rows: Row[]; documents: ScannedDocument[]; error: ErrorInfo | null }> {
  const isFile = path.endsWith('.airlock');
  if (!isFile) {
    const r = await invoke('media:scan', { mountpoint: path });
    if (!r.ok) return { rows: [], documents: [], error: r.error };
    return {
      rows: r.value.flatMap((m) => m.bundles),
      documents: r.value.flatMap((m) => m.documents),
      error: null,
    };
  }
  const v = await invoke('bundle:verify', { path });
  if (!v.ok) return { rows: [], documents: [], error: v.error };
  const x = v.value;
  const row: Row = {
    path: x.path,
    size: x.size,
    card: x.card,
    signers: x.signers,
    verdict: x.ok ? 'installable' : 'refused',
    error: x.error,
    name: x.card?.name ?? null,
    version: x.card?.version ?? null,
  };
  return { rows: [row], documents: [], error: null };
}

export function MediaScreen() {
  const [path, setPath] = useState('');
  const [scanned, setScanned] = useState<Row[] | null>(null);
  const [documents, setDocuments] = useState<ScannedDocument[]>([]);
  const [scanError, setScanError] = useState<ErrorInfo | null>(null);
  const [busy, setBusy] = useState(false);
  const [inspection, setInspection] = useState<BundleInspection | null>(null);
  const [inspectError, setInspectError] = useState<ErrorInfo | null>(null);
  const [running, setRunning] = useState<string | null>(null);
  const [report, setReport] = useState<ImportReport | null>(null);
  const [importError, setImportError] = useState<ErrorInfo | null>(null);
  // A stick inserted or removed: the list follows (media:changed from the engine's watcher).
  const drives = useDrives();
  const driveList = drives.data ?? [];

  const scan = async (target: string) => {
    if (!target.trim()) return;
    setBusy(true);
    setInspection(null);
    setReport(null);
    const r = await scanPath(target.trim());
    setScanned(r.rows);
    setDocuments(r.documents);
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
        <ErrorNote error={drives.error} />
        {drives.data && driveList.length === 0 ? (
          <p className="muted">No removable drive is inserted. Insert the stick, or type a folder below.</p>
        ) : null}
        {driveList.length > 0 ? (
          <ul className="plain drives" data-testid="drives">
            {driveList.map((d) =>
              d.mountpoints.map((m) => (
                <li key={`${d.device}-${m.path}`}>
                  <button
                    type="button"
                    onClick={() => {
                      setPath(m.path);
                      void scan(m.path);
                    }}
                  >
                    {m.label ?? d.description}
                  </button>{' '}
                  <code className="muted">{m.path}</code>{' '}
                  <span className="muted small">
                    {d.bus.toUpperCase()}
                    {d.size !== null ? `, ${bytes(d.size)}` : ''}
                    {d.isReadOnly ? ', read-only' : ''}
                  </span>
                </li>
              )),
            )}
          </ul>
        ) : null}
        <Form className="row" onSubmit={() => scan(path)}>
          <TextField
            label="Folder, drive or bundle file"
            value={path}
            onChange={setPath}
            placeholder="/media/usb-stick"
            testId="media-path"
            grow
          />
          <button type="submit" className="primary" disabled={busy || !path.trim()} data-testid="media-scan">
            {busy ? 'Checking…' : 'Check'}
          </button>
        </Form>
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
                  <td>{b.name ? `${b.name} ${b.version ?? ''}` : '—'}</td>
                  <td className="num">{bytes(b.size)}</td>
                  <td className="verdict">
                    {b.verdict === 'installable' ? (
                      <>
                        <Badge tone="ok">trusted</Badge>{' '}
                        <span className="muted">signed by {b.signers.join(', ')}</span>
                      </>
                    ) : b.verdict === 'already-installed' ? (
                      <>
                        <Badge tone="info">installed</Badge>{' '}
                        <span className="muted">this exact bundle is installed</span>
                      </>
                    ) : (
                      <>
                        <Badge tone="bad">refused</Badge>{' '}
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
                      disabled={running !== null || b.verdict === 'already-installed'}
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
        {documents.length > 0 ? (
          <table className="table" data-testid="document-list">
            <thead>
              <tr>
                <th>Signed document</th>
                <th>Kind</th>
                <th>Verdict</th>
              </tr>
            </thead>
            <tbody>
              {documents.map((d) => (
                <tr key={d.path}>
                  <td>
                    <code>{fileName(d.path)}</code>
                  </td>
                  <td>
                    {d.kind === 'policy' ? `trust policy v${d.number}` : `revocation list #${d.number}`}
                  </td>
                  <td>
                    <Badge
                      tone={
                        d.verdict === 'applicable' ? 'ok' : d.verdict === 'already-applied' ? 'info' : 'bad'
                      }
                    >
                      {d.verdict}
                    </Badge>{' '}
                    {d.error ? (
                      <span>{d.error.message}</span>
                    ) : (
                      <span className="muted">apply it in Settings</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
        {running ? (
          <OperationProgress operationId={running} label="Import progress" cancelTestId="import-cancel" />
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
