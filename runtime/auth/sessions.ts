import { createHash, randomBytes } from 'node:crypto';
import type { Actor } from '../audit/audit-log.js';
import type { Account } from '../contract/users.js';
import { AirlockError } from '../errors.js';
import type { Accounts } from './accounts.js';

export interface SessionOptions {
  /** A session ends after this long without a call (default 30 minutes). */
  readonly idleMs?: number;
  /** ... and at the latest this long after sign-in (default 12 hours). */
  readonly maxMs?: number;
}

interface Session {
  readonly id: string;
  readonly account: string;
  readonly source: string;
  readonly startedAt: number;
  lastSeen: number;
}

/**
 * App sessions, in memory only (a restart signs everyone out). The token is a 256-bit random
 * secret held by the transport; only its SHA-256 is kept here. Each call turns the token into an
 * Actor with the account's current role, so a role change or removal takes effect at once.
 */
export class SessionManager {
  readonly idleMs: number;
  readonly maxMs: number;
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly accounts: Accounts,
    private readonly now: () => Date,
    options: SessionOptions = {},
  ) {
    this.idleMs = options.idleMs ?? 30 * 60_000;
    this.maxMs = options.maxMs ?? 12 * 60 * 60_000;
  }

  start(account: Account, source: string): { token: string; id: string; expiresAt: string } {
    const token = randomBytes(32).toString('base64url');
    const id = idOf(token);
    const t = this.now().getTime();
    this.sessions.set(id, { id, account: account.name, source, startedAt: t, lastSeen: t });
    return { token, id, expiresAt: new Date(t + this.maxMs).toISOString() };
  }

  /** The actor for a token; AUTH_REQUIRED when unknown, expired, or the account is gone. */
  actorFor(token: string): Actor {
    const id = idOf(token);
    const session = this.sessions.get(id);
    const t = this.now().getTime();
    if (!session)
      throw new AirlockError(
        'AUTH_REQUIRED',
        'You are not signed in (or Airlock restarted). Sign in again.',
        { details: { reason: 'no-session' } },
      );
    if (t - session.lastSeen > this.idleMs || t - session.startedAt > this.maxMs) {
      this.sessions.delete(id);
      const reason = t - session.startedAt > this.maxMs ? 'expired' : 'idle';
      throw new AirlockError(
        'AUTH_REQUIRED',
        `Your session ${reason === 'idle' ? `was idle for more than ${Math.round(this.idleMs / 60_000)} minutes` : 'reached its maximum length'} and has ended. Sign in again.`,
        { details: { reason, account: session.account } },
      );
    }
    const account = this.accounts.find(session.account);
    if (!account) {
      this.sessions.delete(id);
      throw new AirlockError(
        'AUTH_REQUIRED',
        `The account "${session.account}" no longer exists. Sign in with another account.`,
        { details: { reason: 'account-removed' } },
      );
    }
    session.lastSeen = t;
    return { name: account.name, role: account.role, source: session.source, session: id };
  }

  end(id: string | undefined): boolean {
    return id !== undefined && this.sessions.delete(id);
  }

  /** Ends every session of an account (password reset, removal). */
  endAll(account: string): number {
    let n = 0;
    for (const [id, s] of this.sessions) if (s.account === account && this.sessions.delete(id)) n++;
    return n;
  }

  get size(): number {
    return this.sessions.size;
  }
}

function idOf(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 32);
}
