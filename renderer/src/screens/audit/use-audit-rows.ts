import { useCallback, useEffect, useRef, useState } from 'react';
import type { AuditOutcome, AuditRecord, ErrorInfo } from '../../../../runtime/contract/index.js';
import { invoke } from '../../api.js';

const PAGE = 500;
const MAX_PAGES = 24;

/** What the log view is narrowed to ('' = any). `from`/`to` are dates (YYYY-MM-DD, UTC days). */
export interface Filters {
  action: string;
  actor: string;
  target: string;
  outcome: '' | AuditOutcome;
  from: string;
  to: string;
}

export const NO_FILTERS: Filters = { action: '', actor: '', target: '', outcome: '', from: '', to: '' };

/** The audit:list request fields for a filter (dates as whole UTC days). */
export function filterQuery(f: Filters) {
  return {
    ...(f.action.trim() ? { action: f.action.trim() } : {}),
    ...(f.actor.trim() ? { actor: f.actor.trim() } : {}),
    ...(f.target.trim() ? { target: f.target.trim() } : {}),
    ...(f.outcome ? { outcome: f.outcome } : {}),
    ...(f.from ? { from: `${f.from}T00:00:00.000Z` } : {}),
    ...(f.to ? { to: `${f.to}T23:59:59.999Z` } : {}),
  };
}

interface FilteredRows {
  /** The filter (and generation) these rows answer; rows of another key are never shown. */
  readonly key: string;
  readonly rows: AuditRecord[];
  readonly more: boolean;
}

/**
 * The audit log's rows for a virtualized table: `row(i)` is the i-th newest record, or undefined
 * while its page loads. Unfiltered, the row count is the head's seq (the log is
 * append-only, seqs are contiguous) and pages load on demand wherever the user scrolls; with a
 * filter, the engine filters and pages load in order as the end comes into view. Each filtered
 * request carries the key of the filter it was made for: an answer for an older key is dropped,
 * and the current key's page is always (re)requested, so no request is lost.
 */
export function useAuditRows(filters: Filters, generation: number) {
  const [head, setHead] = useState<number | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const pages = useRef(new Map<number, AuditRecord[]>());
  const pending = useRef(new Set<number>());
  const [, setVersion] = useState(0);
  const query = filterQuery(filters);
  const filtering = Object.keys(query).length > 0;
  const key = `${generation}|${JSON.stringify(query)}`;
  const [filtered, setFiltered] = useState<FilteredRows>({ key, rows: [], more: true });
  const current = filtered.key === key ? filtered : { key, rows: [], more: true };
  /** The key of the filtered page in flight, if any (by the `before` seq it asks from). */
  const inFlight = useRef<string | null>(null);
  const keyRef = useRef(key);
  keyRef.current = key;

  // Unfiltered pages are relative to the head: each reload starts a new epoch; answers from an older one are dropped.
  const epoch = useRef(0);
  useEffect(() => {
    epoch.current += 1;
    const mine = epoch.current;
    pages.current = new Map();
    pending.current = new Set();
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
  }, [generation]);

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
    if (!filtering || !current.more) return;
    const last = current.rows[current.rows.length - 1];
    const before = last ? last.seq : undefined;
    const request = `${key}|${before ?? ''}`;
    if (inFlight.current === request) return;
    inFlight.current = request;
    void invoke('audit:list', {
      ...(before !== undefined ? { beforeSeq: before } : {}),
      ...query,
      limit: PAGE,
      order: 'desc',
    }).then((r) => {
      if (inFlight.current === request) inFlight.current = null;
      if (keyRef.current !== key) return; // the filter changed meanwhile: its own request is (or will be) made
      if (!r.ok) {
        setError(r.error);
        // Stop asking for this key (no retry loop); a new filter or reload asks again.
        setFiltered((f) => ({ key, rows: f.key === key ? f.rows : [], more: false }));
        return;
      }
      setError(null);
      setFiltered((f) => {
        const base = f.key === key ? f : { key, rows: [], more: true };
        // A duplicate answer for the same page (a re-render asked again) is not appended twice.
        if ((base.rows[base.rows.length - 1]?.seq ?? undefined) !== before) return base;
        return { key, rows: [...base.rows, ...r.value], more: r.value.length === PAGE };
      });
    });
  }, [filtering, current, key]);

  // The first page of each filter is asked for at once, whatever the table does.
  useEffect(() => {
    if (filtering && current.rows.length === 0 && current.more) loadMore();
  }, [filtering, current, loadMore]);

  const count = filtering ? current.rows.length + (current.more ? 1 : 0) : (head ?? 0);
  const row = (i: number): AuditRecord | undefined => {
    if (filtering) return current.rows[i];
    const page = Math.floor(i / PAGE);
    const records = pages.current.get(page);
    if (!records) loadPage(page);
    return records?.[i % PAGE];
  };
  return { count, row, error, filtering, loadMore, total: head };
}
