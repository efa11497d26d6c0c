import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useRef, useState } from 'react';
import type {
  AuditOutcome,
  AuditRecord,
  AuditVerifyReport,
  ErrorInfo,
} from '../../../runtime/contract/index.js';
import { available, invoke, invokeDynamic } from '../api.js';
import { Badge, Card, ErrorNote, Unavailable } from '../components/ui.js';
import { shortHash } from '../format.js';

const PAGE = 500;
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

  useEffect(() => {
    pages.current = new Map();
    pending.current = new Set();
    setFiltered({ rows: [], more: true });
    void invoke('audit:list', { limit: 1, order: 'desc' }).then((r) => {
      if (!r.ok) setError(r.error);
      else {
        setError(null);
        setHead(r.value[0]?.seq ?? 0);
      }
    });
  }, [filters.action, filters.outcome, generation]);

  const loadPage = useCallback(
    (page: number) => {
      if (head === null || pages.current.has(page) || pending.current.has(page)) return;
      pending.current.add(page);
      void invoke('audit:list', { beforeSeq: head - page * PAGE + 1, limit: PAGE, order: 'desc' }).then(
        (r) => {
          pending.current.delete(page);
          if (r.ok) {
            pages.current.set(page, r.value);
            setVersion((v) => v + 1);
          } else setError(r.error);
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
    void invoke('audit:list', {
      ...(before !== undefined ? { beforeSeq: before } : {}),
      ...(filters.action ? { action: filters.action } : {}),
      limit: PAGE,
      order: 'desc',
    }).then((r) => {
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
          {available('checkpoints:verify') ? null : <Unavailable what="Signed checkpoint verification" />}
        </Card>
        <ExportCard />
      </div>
    </div>
  );
}

function ExportCard() {
  const [dest, setDest] = useState('');
  const [result, setResult] = useState<Record<string, unknown> | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  if (!available('audit:export')) {
    return (
      <Card title="Export for an auditor" testId="audit-export">
        <Unavailable what="Audit export" />
      </Card>
    );
  }
  const run = async () => {
    const r = await invokeDynamic<Record<string, unknown>>('audit:export', { out: dest.trim() });
    setResult(r.ok ? r.value : null);
    setError(r.ok ? null : r.error);
  };
  return (
    <Card title="Export for an auditor" testId="audit-export">
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
      >
        <label className="grow">
          <span className="label">Destination on a drive</span>
          <input
            type="text"
            value={dest}
            onChange={(e) => setDest(e.target.value)}
            data-testid="audit-export-path"
            spellCheck={false}
          />
        </label>
        <button type="submit" className="primary" disabled={!dest.trim()} data-testid="audit-export-run">
          Export
        </button>
      </form>
      <ErrorNote error={error} />
      {result ? (
        <p className="note ok" data-testid="export-result">
          <strong>Exported.</strong> <code>{JSON.stringify(result)}</code>
        </p>
      ) : null}
    </Card>
  );
}
