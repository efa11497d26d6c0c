import type { Actor, AuditLog } from '../audit/audit-log.js';
import type { Account } from '../contract/users.js';
import { AirlockError } from '../errors.js';
import { checkStrength, type Accounts } from './accounts.js';
import { checkPassword, hashPassword } from './passwords.js';

/** After this many wrong passwords in a row, the account is locked for LOCKOUT_MS. */
export const MAX_FAILED_LOGINS = 5;
export const LOCKOUT_MS = 15 * 60_000;

/**
 * Who is calling: peer authentication of an OS user for the CLI, the first admin of a new
 * installation, and password sign-in with lockout for the app. Every attempt is audited, in the
 * same transaction as what it changes; a sign-in that cannot be recorded does not happen (AU-5).
 */
export class SignIn {
  constructor(
    private readonly accounts: Accounts,
    private readonly audit: Pick<AuditLog, 'recorded'>,
    private readonly now: () => Date,
  ) {}

  /**
   * Peer authentication for the CLI. The OS user who creates a data directory (no account yet)
   * becomes its first admin; afterwards only OS users an admin mapped are let in. A refusal is
   * audited and throws AUTH_FAILED.
   */
  authenticateOsUser(os: Actor): Actor {
    const { accounts } = this;
    const actor = this.audit.recorded<Actor | null>(os, () => {
      const mapped = accounts.forOsUser(os.name);
      if (mapped) return { result: { name: mapped.name, source: os.source, role: mapped.role }, event: [] };
      if (accounts.count() === 0) {
        const name = accountNameFor(os.name);
        accounts.insert(name, 'admin', null, os.name);
        accounts.mapOsUser(os.name, name);
        const admin: Actor = { name, source: os.source, role: 'admin' };
        return {
          result: admin,
          actor: admin,
          event: {
            action: 'users.bootstrap',
            target: name,
            outcome: 'success',
            details: { osUser: os.name, role: 'admin', reason: 'first user of this data directory' },
          },
        };
      }
      return {
        result: null,
        actor: { name: os.name, source: os.source },
        event: {
          action: 'auth.os-user',
          target: os.name,
          outcome: 'refused',
          details: { reason: 'OS user not mapped to an Airlock account' },
        },
      };
    });
    if (!actor)
      throw new AirlockError(
        'AUTH_FAILED',
        `The operating-system user "${os.name}" has no Airlock account in this data directory. Ask an admin to run "airlock users map ${os.name} --account NAME". This attempt was recorded.`,
        { details: { osUser: os.name } },
      );
    return actor;
  }

  /** First start of the app: makes the first admin (with a password). */
  async setup(actor: Actor, name: string, password: string): Promise<Account> {
    checkStrength(password);
    const hash = await hashPassword(password);
    const account = this.audit.recorded(actor, () => {
      if (this.accounts.count() > 0)
        return {
          result: null,
          event: {
            action: 'users.setup',
            target: name,
            outcome: 'refused',
            details: { reason: 'accounts already exist' },
          },
        };
      this.accounts.insert(name, 'admin', hash, `${actor.source} (first start)`);
      return {
        result: this.accounts.get(name),
        actor: { ...actor, name, role: 'admin' },
        event: { action: 'users.setup', target: name, outcome: 'success', details: { role: 'admin' } },
      };
    });
    if (!account)
      throw new AirlockError(
        'PERMISSION_DENIED',
        'Airlock is already set up: an account exists. Sign in instead, or ask an admin for an account.',
      );
    return account;
  }

  /** Checks a password; counts failures, locks after MAX_FAILED_LOGINS; everything audited. */
  async login(source: string, name: string, password: string): Promise<Account> {
    const { accounts } = this;
    const row = accounts.row(name);
    const now = this.now();
    const who: Actor = { name, source };
    if (row?.locked_until && Date.parse(row.locked_until) > now.getTime()) {
      // Still hash, so a locked account answers in the same time as any other.
      await checkPassword(password, null);
      const lockedUntil = row.locked_until;
      this.audit.recorded(who, () => ({
        result: null,
        event: {
          action: 'auth.login',
          target: name,
          outcome: 'refused',
          details: { reason: 'account locked', lockedUntil },
        },
      }));
      throw new AirlockError(
        'ACCOUNT_LOCKED',
        `The account "${name}" is locked after repeated failed sign-ins until ${lockedUntil}. Wait, or ask an admin to reset its password.`,
        { details: { lockedUntil } },
      );
    }
    const ok = await checkPassword(password, row?.password ?? null);
    if (!row || !ok) {
      const lockedUntil = this.audit.recorded(who, () => {
        // Counted under the write lock: failures racing each other all count.
        const current = accounts.row(name);
        let locked: string | null = null;
        if (current) {
          const failed = current.failed_logins + 1;
          locked = failed >= MAX_FAILED_LOGINS ? new Date(now.getTime() + LOCKOUT_MS).toISOString() : null;
          accounts.setFailures(name, locked ? 0 : failed, locked);
        }
        const reason = current
          ? current.password
            ? 'wrong password'
            : 'account has no password'
          : 'no such account';
        return {
          result: locked,
          event: [
            { action: 'auth.login', target: name, outcome: 'failure', details: { reason } },
            ...(locked
              ? [
                  {
                    action: 'auth.lockout',
                    target: name,
                    outcome: 'success' as const,
                    details: { lockedUntil: locked, failures: MAX_FAILED_LOGINS },
                  },
                ]
              : []),
          ],
        };
      });
      if (lockedUntil)
        throw new AirlockError(
          'ACCOUNT_LOCKED',
          `Too many failed sign-ins: the account "${name}" is locked until ${lockedUntil}. Wait, or ask an admin to reset its password.`,
          { details: { lockedUntil } },
        );
      throw new AirlockError(
        'AUTH_FAILED',
        'Wrong account name or password. Check both and try again; repeated failures lock the account for a while.',
      );
    }
    return this.audit.recorded({ name, source, role: row.role }, () => {
      accounts.setFailures(name, 0, null);
      return {
        result: accounts.get(name),
        event: { action: 'auth.login', target: name, outcome: 'success', details: { role: row.role } },
      };
    });
  }
}

/** An Airlock account name for an OS user: its characters that are allowed, else "admin". */
export function accountNameFor(osUser: string): string {
  const base = osUser.split(/[\\/]/).pop() ?? osUser;
  const cleaned = base
    .replace(/[^A-Za-z0-9_.@-]/g, '_')
    .replace(/^[.@-]+/, '')
    .slice(0, 64);
  return cleaned || 'admin';
}
