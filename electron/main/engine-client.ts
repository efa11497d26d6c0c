/**
 * The main process's side of the engine connection: numbers each call, matches answers, relays
 * events, and fails every pending call plainly if the engine process stops. Pure (no electron
 * import): the transport is two functions, so it is tested with an in-process engine.
 */
import type { ErrorInfo, EventName, Events, Result } from '../../runtime/contract/index.js';

/**
 * Messages main sends to the engine process. `connection` names the window a call comes from:
 * the engine keeps one signed-in session per connection (issue 5's SessionTransport), so a
 * window's sign-in never leaks to another.
 */
export type ToEngine =
  | {
      readonly type: 'call';
      readonly id: number;
      readonly connection: number;
      readonly channel: string;
      readonly request: unknown;
    }
  | { readonly type: 'close'; readonly connection: number };

/** Messages the engine process sends back. */
export type FromEngine =
  | { readonly type: 'ready' }
  | { readonly type: 'fatal'; readonly error: ErrorInfo }
  | { readonly type: 'result'; readonly id: number; readonly result: Result<unknown> }
  | {
      readonly type: 'event';
      readonly event: EventName;
      readonly payload: Events[EventName];
      /** Only for this window (a call's progress, a task its account may see); absent: every window. */
      readonly connection?: number;
    };

export class EngineClient {
  private next = 1;
  private readonly pending = new Map<number, (result: Result<unknown>) => void>();
  private stopped: ErrorInfo | null = null;

  constructor(
    private readonly post: (message: ToEngine) => void,
    private readonly onEvent: (event: EventName, payload: Events[EventName], connection?: number) => void,
  ) {}

  call(channel: string, request: unknown, connection: number): Promise<Result<unknown>> {
    if (this.stopped) return Promise.resolve({ ok: false, error: this.stopped });
    const id = this.next++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      try {
        this.post({ type: 'call', id, connection, channel, request });
      } catch {
        this.pending.delete(id);
        resolve({
          ok: false,
          error: { code: 'INTERNAL', message: 'The engine process is not reachable. Restart Airlock.' },
        });
      }
    });
  }

  receive(message: FromEngine): void {
    if (message.type === 'result') {
      const resolve = this.pending.get(message.id);
      this.pending.delete(message.id);
      resolve?.(message.result);
    } else if (message.type === 'event') this.onEvent(message.event, message.payload, message.connection);
    else if (message.type === 'fatal') this.stop(message.error);
  }

  /** A window closed: the engine forgets its session. */
  close(connection: number): void {
    if (!this.stopped) this.post({ type: 'close', connection });
  }

  /** The engine process exited: every call in flight and every later call fails with this error. */
  stop(
    error: ErrorInfo = {
      code: 'INTERNAL',
      message:
        'The engine process stopped. Restart Airlock; your data is safe (every change is written in one transaction).',
    },
  ): void {
    this.stopped = error;
    for (const resolve of this.pending.values()) resolve({ ok: false, error });
    this.pending.clear();
  }

  get inFlight(): number {
    return this.pending.size;
  }
}
