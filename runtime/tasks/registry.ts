import type { Actor } from '../audit/audit-log.js';
import type { ProgressEvent } from '../contract/channel.js';
import type { ErrorInfo } from '../contract/errors.js';
import type { TaskInfo, TaskKind, TaskLink, TaskState } from '../contract/tasks.js';
import { toErrorInfo } from '../errors.js';

/** What a task is when it starts. */
export interface TaskStart {
  /** The operationId (or `job:ID`) it can be cancelled by. */
  readonly id: string;
  readonly kind: TaskKind;
  readonly title: string;
  readonly actor: Actor;
  readonly link?: TaskLink | null;
  /** The work's signal: an abort the user asked for ends the task cancelled, not failed. */
  readonly signal?: AbortSignal | undefined;
}

/**
 * How a task ended when its work returned: completed unless said otherwise (a job stopped by a
 * cancel returns, cancelled; an import whose every bundle was rejected returns, failed).
 */
export interface TaskOutcome {
  readonly summary: string;
  readonly title?: string;
  readonly link?: TaskLink | null;
  readonly state?: Exclude<TaskState, 'running'>;
  readonly error?: ErrorInfo | null;
}

export type TaskListener = (task: TaskInfo) => void;

interface Entry {
  info: TaskInfo;
  owner: string;
  started: number;
  lastEmit: number;
}

/** Progress changes of one task are pushed at most this often; state changes always. */
export const PROGRESS_INTERVAL_MS = 250;
const DEFAULT_CAP = 100;

/** Seconds left from progress so far: done/total at the reported rate, else at the mean rate. */
export function estimateEta(progress: ProgressEvent | null, elapsedSeconds: number): number | null {
  if (!progress || progress.total === null || progress.total <= 0) return null;
  const left = progress.total - progress.done;
  if (left <= 0) return 0;
  const rate =
    progress.rate !== null && progress.rate > 0
      ? progress.rate
      : progress.done > 0 && elapsedSeconds > 0
        ? progress.done / elapsedSeconds
        : null;
  return rate === null ? null : Math.round(left / rate);
}

/**
 * The task centre: every long operation of this engine run (scans, imports, batch jobs,
 * benchmarks, probes, exports) with its latest progress and outcome, kept in memory for the
 * engine's lifetime (the newest `cap` finished ones), so a reloaded window still sees them.
 * Transports subscribe and push each change as the `task:changed` event.
 */
export class TaskRegistry {
  private readonly tasks = new Map<string, Entry>();
  private readonly listeners = new Set<TaskListener>();
  private counter = 0;

  constructor(
    private readonly now: () => Date = () => new Date(),
    private readonly cap = DEFAULT_CAP,
  ) {}

  /** Calls `listener` with every change; returns the unsubscribe. */
  subscribe(listener: TaskListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** An id for work started without an operationId (it is still cancellable by it). */
  newId(kind: TaskKind): string {
    this.counter += 1;
    return `${kind}:${this.now().getTime().toString(36)}-${this.counter}`;
  }

  /**
   * Runs `work` as a task: `onProgress` (the caller's) is wrapped so the registry sees the same
   * progress; the task ends completed (`outcome` of the result), cancelled (an abort the user
   * asked for) or failed (the error as data). The work's result or error passes through.
   */
  async track<T>(
    start: TaskStart,
    onProgress: ((event: ProgressEvent) => void) | undefined,
    work: (onProgress: (event: ProgressEvent) => void) => Promise<T>,
    outcome: (result: T) => TaskOutcome,
  ): Promise<T> {
    this.begin(start);
    const report = (event: ProgressEvent) => {
      this.progress(start.id, event);
      onProgress?.(event);
    };
    let result: T;
    try {
      result = await work(report);
    } catch (error) {
      this.fail(start.id, start.signal?.aborted ? { name: 'AbortError' } : error);
      throw error;
    }
    try {
      const ended = outcome(result);
      this.finish(start.id, start.signal?.aborted ? { ...ended, state: 'cancelled', error: null } : ended);
    } catch (error) {
      this.fail(start.id, error);
    }
    return result;
  }

  begin(start: TaskStart): void {
    const started = this.now();
    const previous = this.tasks.get(start.id);
    if (previous?.info.state === 'running') this.fail(start.id, new Error('superseded'));
    this.tasks.delete(start.id);
    const info: TaskInfo = {
      id: start.id,
      kind: start.kind,
      title: start.title,
      startedBy: start.actor.name,
      startedAt: started.toISOString(),
      finishedAt: null,
      state: 'running',
      progress: null,
      etaSeconds: null,
      error: null,
      summary: null,
      link: start.link ?? null,
    };
    this.tasks.set(start.id, { info, owner: start.actor.name, started: started.getTime(), lastEmit: 0 });
    this.emit(start.id, true);
  }

  progress(id: string, event: ProgressEvent): void {
    const entry = this.tasks.get(id);
    if (!entry || entry.info.state !== 'running') return;
    const elapsed = (this.now().getTime() - entry.started) / 1000;
    entry.info = { ...entry.info, progress: event, etaSeconds: estimateEta(event, elapsed) };
    this.emit(id, false);
  }

  finish(id: string, outcome: TaskOutcome): void {
    this.end(id, {
      state: outcome.state ?? 'completed',
      summary: outcome.summary,
      error: outcome.error ?? null,
      ...(outcome.title === undefined ? {} : { title: outcome.title }),
      ...(outcome.link === undefined ? {} : { link: outcome.link }),
    });
  }

  fail(id: string, error: unknown): void {
    const info =
      (error as { name?: unknown } | null)?.name === 'AbortError'
        ? { code: 'CANCELLED' as const, message: 'Cancelled' }
        : toErrorInfo(error);
    const cancelled = info.code === 'CANCELLED';
    this.end(id, {
      state: cancelled ? 'cancelled' : 'failed',
      error: cancelled ? null : info,
      summary: cancelled ? 'Cancelled' : info.message,
    });
  }

  /** Newest first: admins see every task, other accounts their own. */
  list(actor: Actor): TaskInfo[] {
    return [...this.tasks.values()]
      .filter((e) => this.visible(e, actor))
      .map((e) => e.info)
      .reverse();
  }

  /** Forgets the finished tasks `actor` may see; running ones stay. */
  clear(actor: Actor): number {
    let cleared = 0;
    for (const [id, entry] of this.tasks) {
      if (entry.info.state !== 'running' && this.visible(entry, actor)) {
        this.tasks.delete(id);
        cleared += 1;
      }
    }
    return cleared;
  }

  private visible(entry: Entry, actor: Actor): boolean {
    return actor.role === 'admin' || entry.owner === actor.name;
  }

  private end(id: string, change: Partial<TaskInfo>): void {
    const entry = this.tasks.get(id);
    if (!entry || entry.info.state !== 'running') return;
    entry.info = {
      ...entry.info,
      ...change,
      etaSeconds: null,
      finishedAt: this.now().toISOString(),
    };
    // The oldest finished tasks beyond the cap are forgotten.
    this.prune();
    this.emit(id, true);
  }

  private prune(): void {
    const finished = [...this.tasks.values()].filter((e) => e.info.state !== 'running');
    for (const entry of finished.slice(0, Math.max(0, finished.length - this.cap)))
      this.tasks.delete(entry.info.id);
  }

  private emit(id: string, always: boolean): void {
    const entry = this.tasks.get(id);
    if (!entry) return;
    const at = Date.now();
    if (!always && at - entry.lastEmit < PROGRESS_INTERVAL_MS) return;
    entry.lastEmit = at;
    for (const listener of this.listeners) {
      try {
        listener(entry.info);
      } catch {
        // A transport that cannot deliver does not stop the work.
      }
    }
  }
}
