import type { Airlock } from '../airlock.js';
import { dispatch, type Handlers } from './handlers.js';
import type { Actor } from '../audit/audit-log.js';
import type { ProgressEvent } from '../contract/channel.js';
import type { Result } from '../contract/errors.js';
import type { ChannelName, Response } from '../contract/index.js';
import type { TaskInfo } from '../contract/tasks.js';
import { toErrorInfo } from '../errors.js';

/**
 * One signed-in connection (an app window, a test client). It keeps the session token that
 * `auth:setup` / `auth:login` return, turns it into the Actor of every later call through the
 * SessionManager, and forgets it on `auth:logout` or when the session has expired. Before sign-in
 * calls carry an actor without a role, so only the public `auth:*` channels pass dispatch.
 *
 * Electron main makes one per window: `new SessionTransport(airlock, handlers, `app:${pid}`)` and
 * answers each IPC call with `transport.invoke(name, request)`.
 */
/** What the caller sees in place of the session token (the transport keeps the real one). */
export const REDACTED = '(kept by the transport)';

export class SessionTransport {
  private token: string | null = null;
  /** The account of the last call made with the token (for filtering events; no session touch). */
  private last: Actor | null = null;

  constructor(
    private readonly airlock: Airlock,
    private readonly handlers: Handlers,
    private readonly source: string,
  ) {}

  get signedIn(): boolean {
    return this.token !== null;
  }

  /**
   * Whether a `task:changed` event may go to this connection: the same rule as `tasks:list`
   * (admins every task, other accounts their own; nobody before sign-in). It asks nothing of the
   * session manager, so events do not keep an idle session alive.
   */
  sees(task: Pick<TaskInfo, 'startedBy'>): boolean {
    const actor = this.token === null ? null : this.last;
    return actor !== null && (actor.role === 'admin' || actor.name === task.startedBy);
  }

  private actor(): Actor {
    if (this.token === null) return { name: 'anonymous', source: this.source };
    return this.airlock.sessions.actorFor(this.token);
  }

  async invoke<K extends ChannelName>(
    name: K,
    request: unknown,
    options: { signal?: AbortSignal; onProgress?: (e: ProgressEvent) => void } = {},
  ): Promise<Result<Response<K>>> {
    let actor: Actor;
    try {
      actor = this.actor();
    } catch (error) {
      // Expired or unknown session: forget it, record it, and ask for sign-in again.
      this.token = null;
      this.last = null;
      const info = toErrorInfo(error);
      try {
        this.airlock.audit.append(
          { name: String(info.details?.['account'] ?? 'anonymous'), source: this.source },
          {
            action: 'auth.session',
            target: name,
            outcome: 'refused',
            details: { reason: info.details?.['reason'] ?? null },
          },
        );
      } catch (auditError) {
        return { ok: false, error: toErrorInfo(auditError) };
      }
      return { ok: false, error: info };
    }
    this.last = actor;
    const result = await dispatch(this.handlers, name, request, {
      actor,
      signal: options.signal,
      onProgress: options.onProgress,
    });
    if (result.ok && (name === 'auth:login' || name === 'auth:setup')) {
      const grant = result.value as Response<'auth:login'>;
      this.token = grant.token;
      this.last = this.airlock.sessions.actorFor(grant.token);
      // The secret stays here: the window gets the rest of the grant.
      return { ok: true, value: { ...grant, token: REDACTED } as Response<K> };
    }
    if (name === 'auth:logout' || name === 'auth:change-password') {
      if (result.ok) {
        this.token = null;
        this.last = null;
      }
    }
    return result;
  }
}
