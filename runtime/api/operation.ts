import type { Airlock } from '../airlock.js';
import { CancelledError } from '../errors.js';
import type { CallContext } from './context.js';

/**
 * Runs long work with an AbortController registered under the caller's operationId (so
 * `operation:cancel` reaches it) and tied to the transport's own signal.
 */
export async function withOperation<T>(
  airlock: Airlock,
  operationId: string | undefined,
  ctx: CallContext,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const onOuter = () => controller.abort(ctx.signal?.reason);
  if (ctx.signal?.aborted) controller.abort(ctx.signal.reason);
  ctx.signal?.addEventListener('abort', onOuter, { once: true });
  if (operationId) airlock.operations.set(operationId, controller);
  try {
    return await work(controller.signal);
  } finally {
    ctx.signal?.removeEventListener('abort', onOuter);
    if (operationId) airlock.operations.delete(operationId);
  }
}

/** Throws CANCELLED when the signal has fired. */
export function throwIfCancelled(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new CancelledError(what);
}
