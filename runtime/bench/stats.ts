import * as hdr from 'hdr-histogram-js';
import type { LatencyStats } from '../contract/bench.js';

/** Latencies recorded in an HDR histogram at microsecond resolution (3 significant digits), 1 µs to 1 h. */
export class LatencyRecorder {
  private readonly histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
  });

  record(ms: number): void {
    this.histogram.recordValue(Math.max(1, Math.round(ms * 1000)));
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  stats(): LatencyStats {
    const h = this.histogram;
    const ms = (us: number) => Math.round(us) / 1000;
    return {
      count: h.totalCount,
      meanMs: ms(h.mean),
      minMs: ms(h.totalCount ? h.minNonZeroValue : 0),
      maxMs: ms(h.maxValue),
      p50Ms: ms(h.getValueAtPercentile(50)),
      p90Ms: ms(h.getValueAtPercentile(90)),
      p99Ms: ms(h.getValueAtPercentile(99)),
      p999Ms: ms(h.getValueAtPercentile(99.9)),
    };
  }
}

/** Samples the process's resident set size while work runs; `peak` is the highest seen. */
export class RssSampler {
  private timer: NodeJS.Timeout | null = null;
  peak = process.memoryUsage.rss();

  start(intervalMs = 20): this {
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
    return this;
  }

  sample(): void {
    const rss = process.memoryUsage.rss();
    if (rss > this.peak) this.peak = rss;
  }

  stop(): number {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.sample();
    return this.peak;
  }
}
