import type { MediaChangedEvent, Medium } from '../contract/media.js';
import { listMedia, mediumKey } from './drives.js';

export interface MediaWatcherOptions {
  /** Poll interval; drivelist has no change notifications, so insertion is found by polling. */
  readonly intervalMs?: number;
  readonly list?: () => Promise<Medium[]>;
  readonly onChange: (event: MediaChangedEvent) => void;
  /** A failed poll (the OS tool hung or failed); polling goes on. */
  readonly onError?: (error: unknown) => void;
}

/**
 * Watches for media insertion and removal by polling, and reports each change once (the payload
 * of the contract's `media:changed` event). Polls never overlap; `stop()` ends it.
 */
export class MediaWatcher {
  private timer: NodeJS.Timeout | null = null;
  private known = new Map<string, Medium>();
  private polling = false;
  private stopped = true;

  constructor(private readonly options: MediaWatcherOptions) {}

  /** The media as of the last poll. */
  current(): Medium[] {
    return [...this.known.values()];
  }

  /** Starts polling; the first poll runs now and reports what is already inserted as added. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.poll();
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.poll().finally(() => this.schedule());
    }, this.options.intervalMs ?? 2000);
    this.timer.unref();
  }

  /** One poll: compares with the last and reports a change, if any. */
  async poll(): Promise<MediaChangedEvent | null> {
    if (this.polling) return null;
    this.polling = true;
    try {
      const media = await (this.options.list ?? (() => listMedia()))();
      const next = new Map(media.map((m) => [mediumKey(m), m]));
      const added = media.filter((m) => !this.known.has(mediumKey(m)));
      const removed = [...this.known.entries()].filter(([k]) => !next.has(k)).map(([, m]) => m);
      this.known = next;
      if (added.length === 0 && removed.length === 0) return null;
      const event = { media, added, removed };
      this.options.onChange(event);
      return event;
    } catch (error) {
      this.options.onError?.(error);
      return null;
    } finally {
      this.polling = false;
    }
  }
}
