import { useEffect, useState } from 'react';
import type {
  BundleInspection,
  ErrorInfo,
  ImportItem,
  ScannedBundle,
  ScannedDocument,
} from '../../../runtime/contract/index.js';
import { invoke, operationId } from '../api.js';
import { CardView, FilesView, SignaturesView } from '../components/BundleDetails.js';
import { Badge, Card, ErrorNote, Form } from '../components/ui.js';
import { useDrives } from '../components/use-drives.js';
import { bytes } from '../format.js';
import { HashText } from './models/HashText.js';
import { WorkProgress } from './media/ImportProgress.js';
import { plural, summaryText } from './media/words.js';
import { isCancelled, ProblemNote, ProblemText } from './media/problem.js';
import { PathPicker } from '../components/PathPicker.js';

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
  scanId: string,
): Promise<{ rows: Row[]; documents: ScannedDocument[]; error: ErrorInfo | null }> {
  const isFile = path.endsWith('.airlock');
  if (!isFile) {
    const r = await invoke('media:scan', { mountpoint: path, operationId: scanId });
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

function label(r: Row): string {
  return r.name ? `${r.name} ${r.version ?? ''}`.trim() : fileName(r.path);
}

type Outcome = 'done' | 'cancelled' | 'error';

export function MediaScreen() {
  const [path, setPath] = useState('');
  const [scanned, setScanned] = useState<Row[] | null>(null);
  const [documents, setDocuments] = useState<ScannedDocument[]>([]);
  const [scanError, setScanError] = useState<ErrorInfo | null>(null);
  const [scanId, setScanId] = useState<string | null>(null);
  const [inspection, setInspection] = useState<BundleInspection | null>(null);
  const [inspectError, setInspectError] = useState<ErrorInfo | null>(null);
  const [running, setRunning] = useState<{ id: string; name: string; step: string } | null>(null);
  const [items, setItems] = useState<ImportItem[] | null>(null);
  const [importError, setImportError] = useState<ErrorInfo | null>(null);
  const [confirmAll, setConfirmAll] = useState(false);
  /** A cancelled import that stopped before its first bundle (the report then has no item). */
  const [cancelledName, setCancelledName] = useState<string | null>(null);
  // A stick inserted or removed: the list follows (media:changed from the engine's watcher).
  const drives = useDrives();
  const driveList = drives.data ?? [];
  const busy = scanId !== null;
  const installable = (scanned ?? []).filter((r) => r.verdict === 'installable');

  const scan = async (target: string) => {
    if (!target.trim()) return;
    const id = operationId('scan');
    setScanId(id);
    setInspection(null);
    setItems(null);
    setImportError(null);
    setConfirmAll(false);
    const r = await scanPath(target.trim(), id);
    setScanned(isCancelled(r.error) ? null : r.rows);
    setDocuments(r.documents);
    setScanError(r.error);
    setScanId(null);
  };

  const inspect = async (bundle: string) => {
    const r = await invoke('bundle:inspect', { path: bundle });
    setInspection(r.ok ? r.value : null);
    setInspectError(r.ok ? null : r.error);
  };

  /** Imports one bundle; the row follows what the engine did. */
  const importOne = async (row: Row, step: string): Promise<Outcome> => {
    const id = operationId('import');
    setRunning({ id, name: label(row), step });
    setCancelledName(null);
    const r = await invoke('models:import', { path: row.path, operationId: id });
    setRunning(null);
    if (!r.ok) {
      setImportError(r.error);
      return isCancelled(r.error) ? 'cancelled' : 'error';
    }
    if (r.value.items.length === 0) {
      setCancelledName(label(row));
      return 'cancelled';
    }
    setItems((old) => [...(old ?? []), ...r.value.items]);
    const done = new Set(r.value.items.filter((i) => i.outcome !== 'rejected').map((i) => i.path));
    setScanned((old) =>
      old ? old.map((x) => (done.has(x.path) ? { ...x, verdict: 'already-installed' } : x)) : old,
    );
    return r.value.items.some((i) => isCancelled(i.error)) ? 'cancelled' : 'done';
  };

  const importSingle = async (row: Row) => {
    setItems(null);
    setImportError(null);
    await importOne(row, '');
  };

  /** Every installable bundle, one after the other; a cancel stops the rest. */
  const importAll = async () => {
    setConfirmAll(false);
    setItems(null);
    setImportError(null);
    const todo = installable;
    for (const [i, row] of todo.entries()) {
      const outcome = await importOne(row, `${i + 1} of ${todo.length}: `);
      if (outcome !== 'done') break;
    }
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
                    disabled={busy}
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
          <PathPicker
            label="Folder, drive or bundle file"
            value={path}
            onChange={setPath}
            placeholder="/media/usb-stick"
            mode="folder"
            title="Choose a drive or folder to check"
            testId="media-path"
          />
          <button type="submit" className="primary" disabled={busy || !path.trim()} data-testid="media-scan">
            {busy ? 'Checking…' : 'Check'}
          </button>
        </Form>
        {scanId ? (
          <WorkProgress
            operationId={scanId}
            title={`Checking ${path}`}
            label="Check progress"
            cancelTestId="scan-cancel"
            testId="scan-progress"
          />
        ) : null}
        <ProblemNote error={scanError} />
        {scanned && scanned.length === 0 && !scanError ? (
          <p className="muted">No bundle found there.</p>
        ) : null}
        {scanned && scanned.length > 0 ? (
          <div className="row">
            <p className="media-summary grow" data-testid="media-summary">
              {summaryText(scanned)}
            </p>
            <button
              type="button"
              className="primary"
              disabled={running !== null || installable.length === 0 || confirmAll}
              onClick={() => setConfirmAll(true)}
              data-testid="import-all"
            >
              Import all trusted
            </button>
          </div>
        ) : null}
        {confirmAll ? (
          <div
            className="media-confirm"
            role="alertdialog"
            aria-label="Confirm import"
            data-testid="import-all-confirm"
          >
            <strong>Import {plural(installable.length, 'bundle')}?</strong> Each one is checked again and
            installed, one after the other:
            <ul>
              {installable.map((r) => (
                <li key={r.path}>
                  {label(r)} <span className="muted small">({bytes(r.size)})</span>
                </li>
              ))}
            </ul>
            <div className="row">
              <button
                type="button"
                className="primary"
                onClick={() => void importAll()}
                data-testid="import-all-yes"
              >
                Import {plural(installable.length, 'bundle')}
              </button>
              <button type="button" onClick={() => setConfirmAll(false)} data-testid="import-all-no">
                Cancel
              </button>
            </div>
          </div>
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
                    <code className="mono-cut" title={b.path}>
                      {fileName(b.path)}
                    </code>
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
                        {b.error ? <ProblemText error={b.error} testId="verdict-reason" /> : null}
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
                      onClick={() => void importSingle(b)}
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
                      <ProblemText error={d.error} />
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
          <WorkProgress
            operationId={running.id}
            title={`Importing ${running.step}${running.name}`}
            label="Import progress"
            cancelTestId="import-cancel"
            testId="import-progress"
          />
        ) : null}
        <ProblemNote error={importError} />
        {cancelledName ? (
          <p className="note neutral" role="status" data-testid="cancelled">
            Cancelled: {cancelledName} was not installed.
          </p>
        ) : null}
        {items ? (
          <div className="stack" data-testid="import-report">
            {items.map((item, i) =>
              isCancelled(item.error) ? (
                <p key={`${item.path}-${i}`} className="note neutral" data-testid="cancelled">
                  <strong>
                    Cancelled: {item.model ? `${item.model.name} ${item.model.version}` : fileName(item.path)}{' '}
                    was not installed.
                  </strong>
                </p>
              ) : (
                <p
                  key={`${item.path}-${i}`}
                  className={item.outcome === 'rejected' ? 'note error' : 'note ok'}
                >
                  {item.outcome === 'installed' ? (
                    <strong>{`Installed ${item.model?.name ?? ''} ${item.model?.version ?? ''}`}</strong>
                  ) : item.outcome === 'already-installed' ? (
                    <strong>{`${item.model?.name ?? ''} ${item.model?.version ?? ''} was already installed; nothing changed`}</strong>
                  ) : (
                    <>
                      <strong>Not installed:</strong>{' '}
                      {item.error ? <ProblemText error={item.error} /> : 'rejected'}
                    </>
                  )}
                </p>
              ),
            )}
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
              Bundle {bytes(inspection.size)}, SHA-256 <HashText value={inspection.sha256} />
            </p>
          </Card>
        </>
      ) : null}
    </div>
  );
}
