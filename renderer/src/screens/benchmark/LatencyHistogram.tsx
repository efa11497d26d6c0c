import type { LatencyStats } from '../../../../runtime/contract/index.js';
import { ms as msText } from '../../format.js';

/** Latency with enough digits for a fast model: microseconds under a millisecond. */
function ms(v: number): string {
  if (v < 1) return `${Math.round(v * 1000)} µs`;
  return msText(v);
}

/**
 * The latency distribution of one configuration as a histogram. The report keeps percentiles, not
 * every query, so the buckets are the percentile ranges (half the queries between the fastest
 * and the median, 40% between the median and p90, ...); each bar is its share of the queries.
 * Drawn in SVG with the theme's colours (CSS variables), so it follows a theme change by itself.
 */
export function LatencyHistogram({ stats, name }: { stats: LatencyStats; name: string }) {
  // HDR rounding can put a percentile a hair past the maximum: the edges are kept in order.
  const edges = [stats.minMs, stats.p50Ms, stats.p90Ms, stats.p99Ms, stats.p999Ms, stats.maxMs].map((v) =>
    Math.min(Math.max(v, stats.minMs), stats.maxMs),
  );
  for (let i = 1; i < edges.length; i++) edges[i] = Math.max(edges[i]!, edges[i - 1]!);
  const buckets = [
    { share: 0.5, what: 'fastest half' },
    { share: 0.4, what: 'up to p90' },
    { share: 0.09, what: 'up to p99' },
    { share: 0.009, what: 'up to p99.9' },
    { share: 0.001, what: 'slowest 0.1%' },
  ].map((b, i) => ({ ...b, a: edges[i]!, b: edges[i + 1]! }));
  const W = 720;
  const H = 210;
  const left = 44;
  const bottom = 52;
  const top = 22;
  const slot = (W - left - 8) / buckets.length;
  const yAt = (share: number) => H - bottom - (share / 0.5) * (H - bottom - top);
  return (
    <figure className="bench-histogram" data-testid="bench-histogram">
      <figcaption>
        <strong>Latency histogram</strong>{' '}
        <span className="muted small">
          {name}: {stats.count} queries, median {ms(stats.p50Ms)}, p99 {ms(stats.p99Ms)}, slowest{' '}
          {ms(stats.maxMs)}
        </span>
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label="Latency histogram: share of queries by latency">
        {[0, 0.25, 0.5].map((g) => (
          <g key={g}>
            <line className="grid" x1={left} y1={yAt(g)} x2={W - 8} y2={yAt(g)} />
            <text className="tick" x={left - 6} y={yAt(g) + 4} textAnchor="end">
              {`${g * 100}%`}
            </text>
          </g>
        ))}
        {buckets.map((b, i) => {
          const x = left + i * slot + slot * 0.15;
          const w = slot * 0.7;
          const y = Math.min(yAt(b.share), H - bottom - 1);
          return (
            <g key={i}>
              <rect className="bar" x={x} y={y} width={w} height={H - bottom - y}>
                <title>{`${b.share * 100}% of queries took ${ms(b.a)} to ${ms(b.b)}`}</title>
              </rect>
              <text className="share" x={x + w / 2} y={y - 5}>
                {`${+(b.share * 100).toFixed(1)}%`}
              </text>
              <text className="tick" x={x + w / 2} y={H - bottom + 16} textAnchor="middle">
                {`${ms(b.a)} – ${ms(b.b)}`}
              </text>
              <text className="tick what" x={x + w / 2} y={H - bottom + 32} textAnchor="middle">
                {b.what}
              </text>
            </g>
          );
        })}
        <line className="axis" x1={left} y1={H - bottom} x2={W - 8} y2={H - bottom} />
      </svg>
    </figure>
  );
}
