import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { useApp } from '../store.js';

export interface Series {
  label: string;
  values: readonly number[];
}

/** A small uPlot chart: one x axis, one or more y series; bars or lines; follows the theme. */
export function Chart(props: {
  title: string;
  x: readonly number[];
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
  bars?: boolean;
  height?: number;
}) {
  const host = useRef<HTMLDivElement>(null);
  // The colours come from the theme's CSS variables: a theme change draws the chart again.
  const theme = useApp((st) => st.theme);
  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const css = getComputedStyle(document.documentElement);
    const ink = css.getPropertyValue('--ink').trim() || '#222';
    const grid = css.getPropertyValue('--line').trim() || '#ddd';
    const colors = ['--accent', '--ok', '--warn', '--bad'].map(
      (v) => css.getPropertyValue(v).trim() || '#36c',
    );
    const axis = { stroke: ink, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } };
    const plot = new uPlot(
      {
        width: el.clientWidth || 480,
        height: props.height ?? 220,
        title: props.title,
        legend: { show: props.series.length > 1, live: false },
        scales: { x: { time: false } },
        axes: [
          { ...axis, label: props.xLabel },
          { ...axis, label: props.yLabel },
        ],
        series: [
          { label: props.xLabel },
          ...props.series.map((s, i): uPlot.Series => {
            const color = colors[i % colors.length] ?? '#36c';
            const bars = props.bars ? uPlot.paths.bars?.({ size: [0.8, 40] }) : undefined;
            return {
              label: s.label,
              stroke: color,
              width: 2,
              ...(bars ? { paths: bars, fill: `${color}55` } : {}),
            };
          }),
        ],
      },
      [props.x as number[], ...props.series.map((s) => s.values as number[])],
      el,
    );
    const resize = new ResizeObserver(() =>
      plot.setSize({ width: el.clientWidth, height: props.height ?? 220 }),
    );
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [theme, props.title, props.x, props.xLabel, props.yLabel, props.series, props.bars, props.height]);
  return <div className="chart" ref={host} />;
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
