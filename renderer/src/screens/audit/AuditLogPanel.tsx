import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import type { AuditRecord, ErrorInfo, InclusionProof } from '../../../../runtime/contract/index.js';
import { invoke } from '../../api.js';
import { Card, ErrorNote, Form, OutcomeBadge, TextField } from '../../components/ui.js';
import { shortHash } from '../../format.js';
import { AuditFilters } from './AuditFilters.js';
import { NO_FILTERS, useAuditRows, type Filters } from './use-audit-rows.js';
import './audit.css';

const ROW = 34;
const COLUMNS = ['#', 'When (UTC)', 'Who', 'From', 'Action', 'Target', 'Outcome', 'Hash'];

/**
 * The audit log as a virtualized table (any size, flat memory), its filters, and the record the
 * user clicked. `generation` changes when the log has grown (a verification is itself recorded).
 */
export function AuditLogPanel({ generation }: { generation: number }) {
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const { count, row, error, filtering, loadMore, total } = useAuditRows(filters, generation);
  const scroller = useRef<HTMLDivElement>(null);
  const [selected, setSelected] = useState<AuditRecord | null>(null);

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

  // Keyboard: the scroller holds focus; the active row is its aria-activedescendant.
  const [active, setActive] = useState(0);
  useEffect(() => setActive(0), [filters, generation]);
  const moveTo = (i: number) => {
    const next = Math.max(0, Math.min(count - 1, i));
    setActive(next);
    virtualizer.scrollToIndex(next, { align: 'auto' });
  };
  const onKeyDown = (ev: KeyboardEvent<HTMLDivElement>) => {
    const page = Math.max(1, Math.floor((scroller.current?.clientHeight ?? ROW * 10) / ROW) - 1);
    const keys: Record<string, () => void> = {
      ArrowDown: () => moveTo(active + 1),
      ArrowUp: () => moveTo(active - 1),
      PageDown: () => moveTo(active + page),
      PageUp: () => moveTo(active - page),
      Home: () => moveTo(0),
      End: () => moveTo(count - 1),
      Enter: () => setSelected(row(active) ?? null),
    };
    const act = keys[ev.key];
    if (act && count > 0) {
      ev.preventDefault();
      act();
    }
  };

  // Jump to a record number: unfiltered, the i-th newest is seq head - i.
  const [jump, setJump] = useState('');
  const [jumpError, setJumpError] = useState<ErrorInfo | null>(null);
  const goToRecord = async () => {
    const seq = Number(jump.trim().replace(/^#/, ''));
    if (!Number.isInteger(seq) || seq < 1) {
      setJumpError({ code: 'USAGE', message: 'Type a record number, for example 42.' });
      return;
    }
    const r = await invoke('audit:list', { afterSeq: seq - 1, limit: 1, order: 'asc' });
    if (!r.ok) return setJumpError(r.error);
    const record = r.value[0];
    if (!record || record.seq !== seq) {
      setJumpError({
        code: 'NOT_FOUND',
        message: `There is no record #${seq} in the log${total ? ` (records #1–#${total})` : ''}; it may have been archived.`,
      });
      return;
    }
    setJumpError(null);
    setSelected(record);
    if (!filtering && total !== null) {
      moveTo(total - seq);
      scroller.current?.focus();
    }
  };

  return (
    <Card
      title="Audit log"
      wide
      testId="audit-table"
      actions={
        <span className="muted small" data-testid="audit-count">
          {total === null ? '' : `${total.toLocaleString('en-US')} records`}
          {filtering && !loadingFirst(count, row) ? ` · ${shown(count, row)} shown` : ''}
        </span>
      }
    >
      <AuditFilters onChange={setFilters} />
      <Form className="row audit-jump" onSubmit={goToRecord}>
        <TextField
          label="Go to record #"
          value={jump}
          onChange={setJump}
          testId="audit-jump"
          placeholder="e.g. 42"
        />
        <button type="submit" data-testid="audit-jump-go">
          Go
        </button>
        {filtering ? (
          <span className="muted small">Opens the record; clear the filter to see it in place.</span>
        ) : null}
      </Form>
      <ErrorNote error={jumpError} />
      <ErrorNote error={error} />
      {/* A grid (not a plain table): it takes focus and names its active row with aria-activedescendant. */}
      <div
        className="vtable audit-vtable"
        role="grid"
        aria-label="Audit records: Up and Down move, Home and End go to the newest and oldest, Enter opens"
        aria-rowcount={count}
        tabIndex={0}
        data-testid="audit-grid"
        aria-activedescendant={count > 0 ? `audit-row-${active}` : undefined}
        onKeyDown={onKeyDown}
      >
        <div className="vrow vhead" role="row">
          {COLUMNS.map((c) => (
            <span key={c} role="columnheader">
              {c}
            </span>
          ))}
        </div>
        <div className="vbody audit-body" ref={scroller} data-testid="audit-scroller" role="rowgroup">
          <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
            {items.map((v) => {
              const e = row(v.index);
              const classes = ['vrow'];
              if (selected && e && selected.seq === e.seq) classes.push('selected');
              if (v.index === active) classes.push('active');
              return (
                <div
                  key={v.key}
                  id={`audit-row-${v.index}`}
                  role="row"
                  aria-rowindex={v.index + 1}
                  aria-selected={v.index === active}
                  data-seq={e?.seq}
                  className={classes.join(' ')}
                  style={{ transform: `translateY(${v.start}px)`, height: ROW }}
                  onClick={() => {
                    setActive(v.index);
                    setSelected(e ?? null);
                  }}
                >
                  {e ? (
                    <RecordCells record={e} />
                  ) : (
                    <span role="gridcell" className="muted">
                      {filtering && v.index === 0 ? 'loading…' : filtering ? 'loading more…' : 'loading…'}
                    </span>
                  )}
                </div>
              );
            })}
          </div>
          {filtering && count === 0 ? (
            <p className="muted audit-empty" data-testid="audit-empty">
              No record matches this filter.
            </p>
          ) : null}
        </div>
      </div>
      {selected ? <RecordDetail key={selected.seq} record={selected} /> : null}
    </Card>
  );
}

function loadingFirst(count: number, row: (i: number) => AuditRecord | undefined): boolean {
  return count === 1 && row(0) === undefined;
}

function shown(count: number, row: (i: number) => AuditRecord | undefined): string {
  const n = count > 0 && row(count - 1) === undefined ? count - 1 : count;
  return n.toLocaleString('en-US');
}

function RecordCells({ record: e }: { record: AuditRecord }) {
  return (
    <>
      <span role="gridcell" className="num">
        {e.seq}
      </span>
      <span role="gridcell">{e.ts.replace('T', ' ').replace('Z', '')}</span>
      <span role="gridcell">{e.actor}</span>
      <span role="gridcell" className="muted">
        {e.source}
      </span>
      <span role="gridcell">{e.action}</span>
      <span role="gridcell" className="ellipsis" title={e.target}>
        {e.target}
      </span>
      <span role="gridcell">
        <OutcomeBadge outcome={e.outcome} />
      </span>
      <span role="gridcell">
        <code className="muted">{shortHash(e.hash, 10)}</code>
      </span>
    </>
  );
}

function RecordDetail({ record }: { record: AuditRecord }) {
  const [proof, setProof] = useState<InclusionProof | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const prove = async () => {
    const r = await invoke('audit:prove', { seq: record.seq });
    setProof(r.ok ? r.value : null);
    setError(r.ok ? null : r.error);
  };
  return (
    <div className="stack" data-testid="audit-detail">
      <h3>
        Record #{record.seq}: {record.action} {record.target}
      </h3>
      <p className="small">
        {record.ts} by <strong>{record.actor}</strong> from {record.source}, outcome{' '}
        <OutcomeBadge outcome={record.outcome} />
      </p>
      <pre className="pre">{JSON.stringify(record.details, null, 2)}</pre>
      <p className="muted small">
        hash <code>{record.hash}</code>, previous <code>{record.prevHash}</code>
      </p>
      <div className="row">
        <button type="button" onClick={prove} data-testid="audit-prove">
          Show inclusion proof
        </button>
      </div>
      <ErrorNote error={error} />
      {proof ? <ProofView proof={proof} /> : null}
    </div>
  );
}

/** An RFC 6962 inclusion proof, in words: which tree, which leaf, and the sibling hashes up to the root. */
function ProofView({ proof }: { proof: InclusionProof }) {
  return (
    <div className="stack audit-proof" data-testid="audit-proof">
      <p className="note ok">
        Record #{proof.seq} is included in the log's Merkle tree of the first{' '}
        {proof.treeSize.toLocaleString('en-US')} records. Anyone holding a signed checkpoint with this root
        can check it: hash the leaf with each sibling below, in order, and compare with the root.
      </p>
      <dl className="audit-proof-list">
        <dt>Tree size</dt>
        <dd data-testid="audit-proof-size">{proof.treeSize}</dd>
        <dt>Leaf hash</dt>
        <dd>
          <code>{proof.leafHash}</code>
        </dd>
        <dt>Merkle root</dt>
        <dd>
          <code data-testid="audit-proof-root">{proof.merkleRoot}</code>
        </dd>
        <dt>Path ({proof.path.length} siblings, leaf to root)</dt>
        <dd>
          {proof.path.length === 0 ? (
            <span className="muted">none: the record is the whole tree</span>
          ) : (
            <ol className="audit-proof-path">
              {proof.path.map((h, i) => (
                <li key={i}>
                  <code>{h}</code>
                </li>
              ))}
            </ol>
          )}
        </dd>
      </dl>
    </div>
  );
}
