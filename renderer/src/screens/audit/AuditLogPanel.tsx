import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef, useState } from 'react';
import type { AuditRecord } from '../../../../runtime/contract/index.js';
import { Card, ErrorNote, OutcomeBadge } from '../../components/ui.js';
import { shortHash } from '../../format.js';
import { AuditFilters } from './AuditFilters.js';
import { useAuditRows, type Filters } from './use-audit-rows.js';

const ROW = 34;
const COLUMNS = ['#', 'When (UTC)', 'Who', 'From', 'Action', 'Target', 'Outcome', 'Hash'];

/**
 * The audit log as a virtualized table (any size, flat memory), its filters, and the record the
 * user clicked. `generation` changes when the log has grown (a verification is itself recorded).
 */
export function AuditLogPanel({ generation }: { generation: number }) {
  const [filters, setFilters] = useState<Filters>({ action: '', outcome: '' });
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

  return (
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
      <AuditFilters onChange={setFilters} />
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
                    <RecordCells record={e} />
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
      {selected ? <RecordDetail record={selected} /> : null}
    </Card>
  );
}

function RecordCells({ record: e }: { record: AuditRecord }) {
  return (
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
        <OutcomeBadge outcome={e.outcome} />
      </span>
      <span role="cell">
        <code className="muted">{shortHash(e.hash, 10)}</code>
      </span>
    </>
  );
}

function RecordDetail({ record }: { record: AuditRecord }) {
  return (
    <div className="stack" data-testid="audit-detail">
      <h3>
        Record #{record.seq}: {record.action} {record.target}
      </h3>
      <pre className="pre">{JSON.stringify(record.details, null, 2)}</pre>
      <p className="muted small">
        hash <code>{record.hash}</code>, previous <code>{record.prevHash}</code>
      </p>
    </div>
  );
}
