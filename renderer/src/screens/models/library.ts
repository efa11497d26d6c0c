import type { AuditRecord, InstalledModel, TrustKey } from '../../../../runtime/contract/index.js';

export type SortKey = 'name' | 'size' | 'lastUsed';

export interface LibraryRow {
  readonly model: InstalledModel;
  readonly ref: string;
  readonly size: number;
  /** ISO time of the latest inference.run on this model (audit log), null when never or unknown. */
  readonly lastUsed: string | null;
  /** The signers as the trust store names them, with their key ids when known. */
  readonly signers: readonly { readonly name: string; readonly keyId: string | null }[];
  /** Every signer is still in the trust store. */
  readonly trusted: boolean;
}

export function libraryRows(
  models: readonly InstalledModel[],
  runs: readonly AuditRecord[] | null,
  keys: readonly TrustKey[] | null,
): LibraryRow[] {
  const last = new Map<string, string>();
  for (const r of runs ?? []) {
    if (r.action !== 'inference.run' || r.outcome !== 'success') continue;
    const seen = last.get(r.target);
    if (!seen || seen < r.ts) last.set(r.target, r.ts);
  }
  return models.map((m) => {
    const ref = `${m.name}@${m.version}`;
    const signers = m.signers.map((s) => {
      const k = keys?.find((x) => x.name === s || x.keyId === s);
      return { name: k?.name ?? s, keyId: k?.keyId ?? null };
    });
    return {
      model: m,
      ref,
      size: m.files.reduce((n, f) => n + f.size, 0),
      lastUsed: last.get(ref) ?? null,
      signers,
      trusted: keys === null ? true : signers.every((s) => s.keyId !== null),
    };
  });
}

/** Search by name, version, task, publisher or signer; then sort (last used: most recent first). */
export function filterAndSort(rows: readonly LibraryRow[], query: string, sort: SortKey): LibraryRow[] {
  const q = query.trim().toLowerCase();
  const hit = (r: LibraryRow) =>
    q === '' ||
    [
      r.model.name,
      r.model.version,
      r.model.card.task,
      r.model.card.publisher,
      ...r.signers.map((s) => s.name),
    ]
      .join(' ')
      .toLowerCase()
      .includes(q);
  const byName = (a: LibraryRow, b: LibraryRow) =>
    a.model.name.localeCompare(b.model.name) || a.model.version.localeCompare(b.model.version);
  const cmp =
    sort === 'size'
      ? (a: LibraryRow, b: LibraryRow) => b.size - a.size || byName(a, b)
      : sort === 'lastUsed'
        ? (a: LibraryRow, b: LibraryRow) => (b.lastUsed ?? '').localeCompare(a.lastUsed ?? '') || byName(a, b)
        : byName;
  return rows.filter(hit).sort(cmp);
}
