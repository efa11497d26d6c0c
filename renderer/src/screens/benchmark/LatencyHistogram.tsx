import type { LatencyStats } from '../../../../runtime/contract/index.js';
import { ms } from '../../format.js';

/**
 * The latency distribution of one configuration as a histogram. The report keeps percentiles, not
 * every query, so the buckets are the percentile intervals (half the queries between the fastest
 * and the median, 40% between the median and p90, ...): each bar's area is its share of queries.
 * Drawn in SVG with the theme's colours (CSS variables), so it follows a theme change by itself.
 */
export function LatencyHistogram({ stats, name }: { stats: LatencyStats; name: string }) {
  const edges = [stats.minMs, stats.p50Ms, stats.p90Ms, stats.p99Ms, stats.p999Ms, stats.maxMs];
  const shares = [0.5, 0.4, 0.09, 0.009, 0.001];
  const W = 640;
  const H = 200;
  const left = 48;
  const bottom = 36;
  const lo = edges[0]!;
  const hi = Math.max(edges[edges.length - 1]!, lo + 1e-6);
  const xAt = (v: number) => left + ((v - lo) / (hi - lo)) * (W - left - 10);
  const buckets = shares
    .map((share, i) => {
      const a = edges[i]!;
      const b = edges[i + 1]!;
      return { a, b, share, density: b > a ? share / (b - a) : 0 };
    })
    .filter((b) => b.b > b.a);
  const peak = Math.max(...buckets.map((b) => b.density), 1e-9);
  const yAt = (d: number) => H - bottom - (d / peak) * (H - bottom - 16);
  const ticks = [lo, stats.p50Ms, stats.p90Ms, stats.p99Ms, hi];
  return (
    <figure className="bench-histogram" data-testid="bench-histogram">
      <figcaption>
        <strong>Latency histogram</strong>{' '}
        <span className="muted small">
          {name}: {stats.count} queries, median {ms(stats.p50Ms)}, p99 {ms(stats.p99Ms)}
        </span>
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label="Latency histogram">
        <line className="axis" x1={left} y1={H - bottom} x2={W - 10} y2={H - bottom} />
        <line className="axis" x1={left} y1={10} x2={left} y2={H - bottom} />
        {buckets.map((b, i) => (
          <g key={i}>
            <rect
              className="bar"
              x={xAt(b.a)}
              y={yAt(b.density)}
              width={Math.max(1, xAt(b.b) - xAt(b.a))}
              height={H - bottom - yAt(b.density)}
            >
              <title>{`${(b.share * 100).toFixed(1)}% of queries between ${ms(b.a)} and ${ms(b.b)}`}</title>
            </rect>
            {xAt(b.b) - xAt(b.a) > 34 ? (
              <text className="share" x={(xAt(b.a) + xAt(b.b)) / 2} y={yAt(b.density) - 4}>
                {`${Math.round(b.share * 100)}%`}
              </text>
            ) : null}
          </g>
        ))}
        {ticks.map((t, i) => (
          <text
            key={i}
            className="tick"
            x={xAt(t)}
            y={H - bottom + 16 + (i % 2) * 12}
            textAnchor={i === 0 ? 'start' : i === ticks.length - 1 ? 'end' : 'middle'}
          >
            {ms(t)}
          </text>
        ))}
        <text className="tick" x={12} y={H / 2} transform={`rotate(-90 12 ${H / 2})`} textAnchor="middle">
          queries per ms
        </text>
      </svg>
    </figure>
  );
}
