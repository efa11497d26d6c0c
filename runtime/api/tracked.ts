import type { Airlock } from '../airlock.js';
import type { ProgressEvent } from '../contract/channel.js';
import type { TaskKind, TaskLink } from '../contract/tasks.js';
import type { TaskOutcome } from '../tasks/registry.js';
import type { CallContext } from './context.js';

export interface TrackedWork {
  /** The request's operationId; one is made when the caller gave none. */
  readonly operationId: string | undefined;
  readonly kind: TaskKind;
  readonly title: string;
  readonly link?: TaskLink | null;
}

/**
 * Long work a handler runs: cancellable under its operationId (`Operations`) and a task of the
 * task centre, which sees the same progress the caller does.
 */
export async function tracked<T>(
  airlock: Pick<Airlock, 'operations' | 'tasks'>,
  ctx: CallContext,
  work: TrackedWork,
  run: (signal: AbortSignal, onProgress: (event: ProgressEvent) => void, id: string) => Promise<T>,
  outcome: (result: T) => TaskOutcome,
): Promise<T> {
  const id = work.operationId ?? airlock.tasks.newId(work.kind);
  return airlock.operations.run([id], ctx.signal, (signal) =>
    airlock.tasks.track(
      { id, kind: work.kind, title: work.title, actor: ctx.actor, link: work.link ?? null, signal },
      ctx.onProgress,
      (onProgress) => run(signal, onProgress, id),
      outcome,
    ),
  );
}
