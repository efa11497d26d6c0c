import { useCallback, useEffect, useRef, useState } from 'react';
import type { AuditOutcome, AuditRecord, ErrorInfo } from '../../../../runtime/contract/index.js';
import { invoke } from '../../api.js';

const PAGE = 500;
const MAX_PAGES = 24;

/** What the log view is narrowed to ('' = any). */
export interface Filters {
  action: string;
  outcome: '' | AuditOutcome;
}

/**
 * The audit log's rows for a virtualized table: `row(i)` is the i-th newest record, or undefined
 * while its page loads. Unfiltered, the row count is the head's seq (the log is
 * append-only, seqs are contiguous) and pages load on demand wherever the user scrolls; with a
 * filter, pages load in order as the end comes into view.
 */
export function useAuditRows(filters: Filters, generation: number) {
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
