import { useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { useApp } from '../store.js';

export interface Series {
  label: string;
  values: readonly number[];
  /** Drawn as bars (the default for a bar chart) or as markers only (percentiles over bars). */
  style?: 'bars' | 'points' | 'line';
}

/** Redraws when the theme attribute on <html> changes, whoever changes it and whenever. */
function useThemeTick(): number {
  const theme = useApp((st) => st.theme);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const watch = new MutationObserver(() => setTick((t) => t + 1));
    watch.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme', 'class'] });
    return () => watch.disconnect();
  }, []);
  return tick + (theme === 'dark' ? 1_000_000 : 0);
}

/** A CSS colour with an alpha, for a bar's fill (any notation the variable uses). */
function translucent(color: string, alpha: number): string {
  const a = Math.round(alpha * 255)
    .toString(16)
    .padStart(2, '0');
  if (/^#[0-9a-f]{6}$/i.test(color)) return `${color}${a}`;
  if (/^#[0-9a-f]{3}$/i.test(color)) return `#${[...color.slice(1)].map((c) => c + c).join('')}${a}`;
  const rgb = /^rgb\(([^)]*)\)$/.exec(color);
  if (rgb) return `rgb(${rgb[1]!.replace(/,/g, ' ')} / ${alpha})`;
  return color;
}

/**
 * A small uPlot chart: one x axis, one or more y series; bars, points or lines; the y axis starts
 * at zero; the x axis can name its points (configurations) instead of numbering them. Colours
 * are read from the theme's CSS variables each time it is drawn, and it is drawn again when the
 * theme changes.
 */
export function Chart(props: {
  title: string;
  x: readonly number[];
  /** Names of the x points, by position (the x values are then 0..n-1). */
  categories?: readonly string[];
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
  bars?: boolean;
  height?: number;
  testId?: string;
}) {
  const host = useRef<HTMLDivElement>(null);
  const themeTick = useThemeTick();
  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const css = getComputedStyle(document.documentElement);
    const ink = css.getPropertyValue('--ink').trim() || '#222';
    const muted = css.getPropertyValue('--muted').trim() || ink;
    const grid = css.getPropertyValue('--line').trim() || '#ddd';
    const colors = ['--accent', '--warn', '--ok', '--bad'].map(
      (v) => css.getPropertyValue(v).trim() || '#36c',
    );
    const font = `12px ${css.fontFamily || 'sans-serif'}`;
    const axis: uPlot.Axis = {
      stroke: ink,
      font,
      labelFont: `bold ${font}`,
      grid: { stroke: grid, width: 1 },
      ticks: { stroke: grid },
    };
    const cats = props.categories;
    const height = props.height ?? (cats ? 300 : 220);
    const all = props.series.flatMap((s) => s.values).filter(Number.isFinite);
    const top = all.length > 0 ? Math.max(...all) : 1;
    const style = (s: Series) => s.style ?? (props.bars ? 'bars' : 'line');
    const plot = new uPlot(
      {
        width: el.clientWidth || 480,
        height,
        title: props.title,
        legend: { show: props.series.length > 1, live: false },
        cursor: { show: false },
        scales: {
          x: cats
            ? { time: false, range: () => [-0.6, Math.max(0, cats.length - 1) + 0.6] }
            : { time: false },
          // Bars and their heights are read from zero.
          y: { range: () => [0, top > 0 ? top * 1.1 : 1] },
        },
        axes: [
          cats
            ? {
                ...axis,
                label: props.xLabel,
                stroke: muted,
                splits: () => cats.map((_, i) => i),
                values: (_u, splits) => splits.map((i) => cats[i] ?? ''),
                rotate: cats.length > 3 ? -30 : 0,
                size: cats.length > 3 ? 110 : 40,
                grid: { show: false },
              }
            : { ...axis, label: props.xLabel },
          { ...axis, label: props.yLabel, size: 74 },
        ],
        series: [
          { label: props.xLabel },
          ...props.series.map((s, i): uPlot.Series => {
            const color = colors[i % colors.length] ?? '#36c';
            const kind = style(s);
            const barPaths = uPlot.paths.bars?.({ size: [0.7, 60], align: 0 });
            if (kind === 'bars' && barPaths)
              return {
                label: s.label,
                stroke: color,
                width: 1,
                fill: translucent(color, 0.45),
                paths: barPaths,
                points: { show: false },
              };
            if (kind === 'points')
              return {
                label: s.label,
                stroke: color,
                width: 0,
                paths: () => null,
                points: { show: true, size: 9, stroke: color, fill: color, width: 2 },
              };
            return { label: s.label, stroke: color, width: 2 };
          }),
        ],
      },
      [
        (cats ? cats.map((_, i) => i) : props.x) as number[],
        ...props.series.map((s) => s.values as number[]),
      ],
      el,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: el.clientWidth, height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [
    themeTick,
    props.title,
    props.x,
    props.categories,
    props.xLabel,
    props.yLabel,
    props.series,
    props.bars,
    props.height,
  ]);
  return <div className="chart" ref={host} data-testid={props.testId} />;
}

/** Buckets latencies (ms) into a histogram: bucket centres and counts. */
export function histogram(values: readonly number[], buckets = 30): { x: number[]; counts: number[] } {
  if (values.length === 0) return { x: [], counts: [] };
  const min = Math.min(...values);
  const max = Math.max(...values);
  const width = (max - min) / buckets || 1;
  const counts = new Array<number>(buckets).fill(0);
  for (const v of values) counts[Math.min(buckets - 1, Math.floor((v - min) / width))]! += 1;
  return { x: counts.map((_, i) => min + width * (i + 0.5)), counts };
}
