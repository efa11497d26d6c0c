/**
 * Long work in flight (import, benchmark, scan, export, batch job), each under the ids a caller
 * can cancel it by: the request's operationId (`operation:cancel`), a job's `job:ID`
 * (`jobs:cancel`). The one place work registers to be cancellable.
 */
export class Operations {
  private readonly running = new Map<string, AbortController>();

  /**
   * Runs `work` with a signal that fires when any of `ids` is cancelled, when `outer` (the
   * transport's own signal: a closed window, Ctrl-C) fires, or at close.
   */
  async run<T>(
    ids: readonly (string | undefined)[],
    outer: AbortSignal | undefined,
    work: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const controller = new AbortController();
    const onOuter = () => controller.abort(outer?.reason);
    if (outer?.aborted) controller.abort(outer.reason);
    outer?.addEventListener('abort', onOuter, { once: true });
    const mine = ids.filter((id): id is string => id !== undefined);
    for (const id of mine) this.running.set(id, controller);
    try {
      return await work(controller.signal);
    } finally {
      outer?.removeEventListener('abort', onOuter);
      for (const id of mine) if (this.running.get(id) === controller) this.running.delete(id);
    }
  }

  /** Cancels the work registered under `id`; false when none runs under it. */
  cancel(id: string): boolean {
    const controller = this.running.get(id);
    controller?.abort();
    return controller !== undefined;
  }

  /** At close: everything still running is cancelled. */
  cancelAll(): void {
    for (const controller of this.running.values()) controller.abort();
  }
}
