import type { ProgressEvent, ScannedBundle } from '../../../../runtime/contract/index.js';

/** Seconds left from the engine's rate, done and total; null when it cannot be told. */
export function secondsLeft(e: ProgressEvent | undefined): number | null {
  if (!e || e.total === null || !e.rate || e.rate <= 0) return null;
  return Math.max(0, (e.total - e.done) / e.rate);
}

export function etaText(seconds: number | null): string {
  if (seconds === null) return '';
  if (seconds < 1) return 'less than a second left';
  if (seconds < 90) {
    const s = Math.round(seconds);
    return `about ${s} second${s === 1 ? '' : 's'} left`;
  }
  const m = Math.round(seconds / 60);
  return `about ${m} minute${m === 1 ? '' : 's'} left`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "3 bundles: 2 installable, 1 refused" (the parts that are not zero). */
export function summaryText(rows: readonly { readonly verdict: ScannedBundle['verdict'] }[]): string {
  const installable = rows.filter((r) => r.verdict === 'installable').length;
  const installed = rows.filter((r) => r.verdict === 'already-installed').length;
  const refused = rows.filter((r) => r.verdict === 'refused').length;
  const parts = [
    installable > 0 ? `${installable} installable` : null,
    installed > 0 ? `${installed} already installed` : null,
    refused > 0 ? `${refused} refused` : null,
  ].filter((p) => p !== null);
  return `${plural(rows.length, 'bundle')}${parts.length > 0 ? `: ${parts.join(', ')}` : ''}`;
}
