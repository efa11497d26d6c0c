import cliProgress from 'cli-progress';
import type { ProgressEvent } from '../contract/channel.js';

function human(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

/** A progress bar on a terminal (cli-progress), nothing otherwise (pipes, --json, CI logs). */
export class ProgressReporter {
  private bar: cliProgress.SingleBar | null = null;
  private phase = '';

  constructor(private readonly enabled: boolean) {}

  update(event: ProgressEvent): void {
    if (!this.enabled) return;
    if (event.phase !== this.phase) {
      this.stop();
      this.phase = event.phase;
      this.bar = new cliProgress.SingleBar(
        {
          format: `${event.phase.padEnd(10)} [{bar}] {percentage}% | {shown} | {rate}`,
          hideCursor: true,
          stream: process.stderr,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(event.total ?? 1, 0, { shown: '', rate: '' });
    }
    const shown =
      event.unit === 'bytes'
        ? `${human(event.done)}${event.total ? ` / ${human(event.total)}` : ''}`
        : `${event.done}${event.total ? ` / ${event.total}` : ''}`;
    const rate = event.rate
      ? event.unit === 'bytes'
        ? `${human(event.rate)}/s`
        : `${event.rate.toFixed(1)}/s`
      : '';
    if (event.total) this.bar?.setTotal(event.total);
    this.bar?.update(event.done, { shown, rate });
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
    this.phase = '';
  }
}
