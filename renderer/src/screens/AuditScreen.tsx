import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useRef, useState } from 'react';
import type {
  AuditExportReport,
  AuditOutcome,
  AuditRecord,
  AuditVerifyReport,
  ErrorInfo,
  SignedCheckpoint,
} from '../../../runtime/contract/index.js';
import { invoke, on, operationId } from '../api.js';
import { Badge, Card, ErrorNote, KeyValues, ProgressBar, useResult } from '../components/ui.js';
import { bytes, shortHash } from '../format.js';
import { useApp } from '../store.js';

const PAGE = 500;
const MAX_PAGES = 24;
const ROW = 34;

interface Filters {
  action: string;
  outcome: '' | AuditOutcome;
}

/**
 * The audit log as a virtualized table. Unfiltered, the row count is the head's seq (the log is
 * append-only, seqs are contiguous) and pages load on demand wherever the user scrolls; with a
 * filter, pages load in order as the end comes into view.
 */
function useAuditRows(filters: Filters, generation: number) {
  const [head, setHead] = useState<number | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const pages = useRef(new Map<number, AuditRecord[]>());
  const pending = useRef(new Set<number>());
  const [filtered, setFiltered] = useState<{ rows: AuditRecord[]; more: boolean }>({ rows: [], more: true });
  const [, setVersion] = useState(0);
  const filtering = filters.action !== '' || filters.outcome !== '';

  // Each filter change or reload starts a new epoch; answers from an older epoch are dropped.
  const epoch = useRef(0);
  useEffect(() => {
    epoch.current += 1;
    const mine = epoch.current;
    pages.current = new Map();
    pending.current = new Set();
    setFiltered({ rows: [], more: true });
    void invoke('audit:list', { limit: 1, order: 'desc' }).then((r) => {
      if (mine !== epoch.current) return;
      if (!r.ok) setError(r.error);
      else {
        // Pages fetched meanwhile were relative to the old head: drop them and start again.
        epoch.current += 1;
        pages.current = new Map();
        pending.current = new Set();
        setError(null);
        setHead(r.value[0]?.seq ?? 0);
      }
      setVersion((v) => v + 1);
    });
  }, [filters.action, filters.outcome, generation]);

  const loadPage = useCallback(
    (page: number) => {
      if (head === null || pages.current.has(page) || pending.current.has(page)) return;
      const mine = epoch.current;
      const base = head;
      pending.current.add(page);
      void invoke('audit:list', { beforeSeq: base - page * PAGE + 1, limit: PAGE, order: 'desc' }).then(
        (r) => {
          if (mine !== epoch.current) return;
          pending.current.delete(page);
          if (r.ok) {
            pages.current.set(page, r.value);
            // Memory stays flat at any log size: at most MAX_PAGES pages are held, oldest dropped.
            for (const key of pages.current.keys()) {
              if (pages.current.size <= MAX_PAGES) break;
              if (key !== page) pages.current.delete(key);
            }
          } else setError(r.error);
          setVersion((v) => v + 1);
        },
      );
    },
    [head],
  );

  const loadMore = useCallback(() => {
    if (!filtered.more || pending.current.has(-1)) return;
    pending.current.add(-1);
    const last = filtered.rows[filtered.rows.length - 1];
    const before = last ? last.seq : undefined;
    const mine = epoch.current;
    void invoke('audit:list', {
      ...(before !== undefined ? { beforeSeq: before } : {}),
      ...(filters.action ? { action: filters.action } : {}),
      limit: PAGE,
      order: 'desc',
    }).then((r) => {
      if (mine !== epoch.current) return;
      pending.current.delete(-1);
      if (!r.ok) return setError(r.error);
      const keep = filters.outcome ? r.value.filter((e) => e.outcome === filters.outcome) : r.value;
      setFiltered((f) => ({ rows: [...f.rows, ...keep], more: r.value.length === PAGE }));
    });
  }, [filtered, filters.action, filters.outcome]);

  const count = filtering ? filtered.rows.length + (filtered.more ? 1 : 0) : (head ?? 0);
  const row = (i: number): AuditRecord | undefined => {
    if (filtering) return filtered.rows[i];
    const page = Math.floor(i / PAGE);
    const records = pages.current.get(page);
    if (!records) loadPage(page);
    return records?.[i % PAGE];
  };
  return { count, row, error, filtering, loadMore, total: head };
}

const COLUMNS = ['#', 'When (UTC)', 'Who', 'From', 'Action', 'Target', 'Outcome', 'Hash'];

export function AuditScreen() {
  const [filters, setFilters] = useState<Filters>({ action: '', outcome: '' });
  const [draft, setDraft] = useState<Filters>(filters);
  const [generation, setGeneration] = useState(0);
  const { count, row, error, filtering, loadMore, total } = useAuditRows(filters, generation);
  const scroller = useRef<HTMLDivElement>(null);
  const [selected, setSelected] = useState<AuditRecord | null>(null);
  const [verify, setVerify] = useState<AuditVerifyReport | null>(null);
  const [verifyError, setVerifyError] = useState<ErrorInfo | null>(null);
  const [verifying, setVerifying] = useState(false);

  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW,
    overscan: 12,
  });
  const items = virtualizer.getVirtualItems();
  const lastIndex = items[items.length - 1]?.index ?? 0;
  useEffect(() => {
    if (filtering && lastIndex >= count - 1) loadMore();
  }, [filtering, lastIndex, count, loadMore]);

  const runVerify = async () => {
    setVerifying(true);
    const r = await invoke('audit:verify', {});
    setVerifying(false);
    setVerify(r.ok ? r.value : null);
    setVerifyError(r.ok ? null : r.error);
    setGeneration((g) => g + 1);
  };

  return (
    <div className="stack">
      <Card
        title="Audit log"
        wide
        testId="audit-table"
        actions={
          <span className="muted small" data-testid="audit-count">
            {total === null ? '' : `${total.toLocaleString('en-US')} records`}
          </span>
        }
      >
        <form
          className="row"
          onSubmit={(e) => {
            e.preventDefault();
            setFilters(draft);
          }}
        >
          <label>
            <span className="label">Action</span>
            <input
              type="text"
              value={draft.action}
              placeholder="e.g. model.install"
              onChange={(e) => setDraft({ ...draft, action: e.target.value })}
              data-testid="audit-filter-action"
              spellCheck={false}
            />
          </label>
          <label>
            <span className="label">Outcome</span>
            <select
              value={draft.outcome}
              onChange={(e) => setDraft({ ...draft, outcome: e.target.value as Filters['outcome'] })}
            >
              <option value="">any</option>
              <option value="success">success</option>
              <option value="refused">refused</option>
              <option value="failure">failure</option>
            </select>
          </label>
          <button type="submit">Filter</button>
          <button
            type="button"
            className="ghost"
            onClick={() => {
              const none = { action: '', outcome: '' } as const;
              setDraft(none);
              setFilters(none);
            }}
          >
            Clear
          </button>
        </form>
        <ErrorNote error={error} />
        <div className="vtable" role="table" aria-label="Audit records" aria-rowcount={count}>
          <div className="vrow vhead" role="row">
            {COLUMNS.map((c) => (
              <span key={c} role="columnheader">
                {c}
              </span>
            ))}
          </div>
          <div className="vbody" ref={scroller} data-testid="audit-scroller" tabIndex={0}>
            <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
              {items.map((v) => {
                const e = row(v.index);
                return (
                  <div
                    key={v.key}
                    role="row"
                    className={selected && e && selected.seq === e.seq ? 'vrow selected' : 'vrow'}
                    style={{ transform: `translateY(${v.start}px)`, height: ROW }}
                    onClick={() => setSelected(e ?? null)}
                  >
                    {e ? (
                      <>
                        <span role="cell" className="num">
                          {e.seq}
                        </span>
                        <span role="cell">{e.ts.replace('T', ' ').replace('Z', '')}</span>
                        <span role="cell">{e.actor}</span>
                        <span role="cell" className="muted">
                          {e.source}
                        </span>
                        <span role="cell">{e.action}</span>
                        <span role="cell" className="ellipsis" title={e.target}>
                          {e.target}
                        </span>
                        <span role="cell">
                          <Badge
                            tone={e.outcome === 'success' ? 'ok' : e.outcome === 'refused' ? 'bad' : 'warn'}
                          >
                            {e.outcome}
                          </Badge>
                        </span>
                        <span role="cell">
                          <code className="muted">{shortHash(e.hash, 10)}</code>
                        </span>
                      </>
                    ) : (
                      <span role="cell" className="muted">
                        loading…
                      </span>
                    )}
                  </div>
                );
              })}
            </div>
          </div>
        </div>
        {selected ? (
          <div className="stack" data-testid="audit-detail">
            <h3>
              Record #{selected.seq}: {selected.action} {selected.target}
            </h3>
            <pre className="pre">{JSON.stringify(selected.details, null, 2)}</pre>
            <p className="muted small">
              hash <code>{selected.hash}</code>, previous <code>{selected.prevHash}</code>
            </p>
          </div>
        ) : null}
      </Card>
      <div className="grid">
        <Card
          title="Verify the chain"
          testId="audit-verify"
          actions={
            <button
              type="button"
              className="primary"
              onClick={() => void runVerify()}
              disabled={verifying}
              data-testid="audit-verify-run"
            >
              {verifying ? 'Verifying…' : 'Verify now'}
            </button>
          }
        >
          <p className="muted">Recomputes every record's hash and its link to the one before it.</p>
          <ErrorNote error={verifyError} />
          {verify ? (
            verify.ok ? (
              <p className="note ok" data-testid="verify-result">
                <strong>
                  Intact: {verify.count.toLocaleString('en-US')} records, head{' '}
                  {shortHash(verify.headHash, 16)}
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
        <ExportCard />
      </div>
    </div>
  );
}

function ExportCard() {
  const [dest, setDest] = useState('');
  const [result, setResult] = useState<AuditExportReport | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [running, setRunning] = useState<string | null>(null);
  const progress = useApp((st) => (running ? st.progress[running] : undefined));
  const drives = useResult(() => invoke('media:list', {}), []);
  const reloadDrives = drives.reload;
  useEffect(() => on('media:changed', () => reloadDrives()), [reloadDrives]);
  const writable = (drives.data ?? []).filter((m) => !m.isReadOnly && m.mountpoints.length > 0);
  const run = async () => {
    const id = operationId('export');
    setRunning(id);
    const r = await invoke('audit:export', { out: dest.trim(), operationId: id });
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
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
      >
        <label className="grow">
          <span className="label">Empty folder on a drive</span>
          <input
            type="text"
            value={dest}
            placeholder="/media/usb-stick/audit-2026-11"
            onChange={(e) => setDest(e.target.value)}
            data-testid="audit-export-path"
            spellCheck={false}
          />
        </label>
        <button
          type="submit"
          className="primary"
          disabled={!dest.trim() || running !== null}
          data-testid="audit-export-run"
        >
          Export
        </button>
      </form>
      {running ? (
        <div className="row">
          <ProgressBar event={progress} label="Export progress" />
          <button
            type="button"
            data-testid="audit-export-cancel"
            onClick={() => void invoke('operation:cancel', { operationId: running })}
          >
            Cancel
          </button>
        </div>
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

function CheckpointView() {
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
