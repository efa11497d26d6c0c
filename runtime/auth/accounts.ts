import type { Account, Role } from '../contract/users.js';
import { PASSWORD_MIN_LENGTH } from '../contract/users.js';
import type { Actor, AuditLog } from '../audit/audit-log.js';
import type { Db } from '../db/database.js';
import { AirlockError, AuditWriteError } from '../errors.js';
import { checkPassword, hashPassword } from './passwords.js';

/** After this many wrong passwords in a row, the account is locked for LOCKOUT_MS. */
export const MAX_FAILED_LOGINS = 5;
export const LOCKOUT_MS = 15 * 60_000;

interface AccountRow {
  name: string;
  role: Role;
  password: string | null;
  created_at: string;
  created_by: string;
  failed_logins: number;
  locked_until: string | null;
}

/**
 * Local accounts with one role each, scrypt password hashes, lockout after repeated failures,
 * and the OS-user map for the CLI. Every change and every failed or refused sign-in is audited
 * in the same transaction as the change itself.
 */
export class Accounts {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly now: () => Date,
  ) {}

  count(): number {
    return this.db.prepare('SELECT count(*) FROM accounts').pluck().get() as number;
  }

  list(): Account[] {
    return (this.db.prepare('SELECT * FROM accounts ORDER BY name').all() as AccountRow[]).map((r) =>
      this.toAccount(r),
    );
  }

  find(name: string): Account | null {
    const row = this.row(name);
    return row ? this.toAccount(row) : null;
  }

  get(name: string): Account {
    const account = this.find(name);
    if (!account)
      throw new AirlockError(
        'NOT_FOUND',
        `There is no account "${name}". List accounts with "airlock users list".`,
      );
    return account;
  }

  /** The account an OS user signs in as, or null when unmapped. */
  forOsUser(osUser: string): Account | null {
    const name = this.db.prepare('SELECT account FROM os_users WHERE os_user = ?').pluck().get(osUser) as
      string | undefined;
    return name ? this.find(name) : null;
  }

  /**
   * Peer authentication for the CLI. The OS user who creates a data directory (no account yet)
   * becomes its first admin; afterwards only OS users an admin mapped are let in. A refusal is
   * audited and throws AUTH_FAILED.
   */
  authenticateOsUser(os: Actor): Actor {
    let result: { actor: Actor } | { refused: true };
    try {
      result = this.db
        .transaction((): { actor: Actor } | { refused: true } => {
          const mapped = this.forOsUser(os.name);
          if (mapped) return { actor: { name: mapped.name, source: os.source, role: mapped.role } };
          if (this.count() === 0) {
            const name = accountNameFor(os.name);
            this.insert(name, 'admin', null, os.name);
            this.db.prepare('INSERT INTO os_users (os_user, account) VALUES (?, ?)').run(os.name, name);
            const actor: Actor = { name, source: os.source, role: 'admin' };
            this.audit.append(actor, {
              action: 'users.bootstrap',
              target: name,
              outcome: 'success',
              details: { osUser: os.name, role: 'admin', reason: 'first user of this data directory' },
            });
            return { actor };
          }
          this.audit.append(
            { name: os.name, source: os.source },
            {
              action: 'auth.os-user',
              target: os.name,
              outcome: 'refused',
              details: { reason: 'OS user not mapped to an Airlock account' },
            },
          );
          return { refused: true };
        })
        .immediate();
    } catch (error) {
      if (error instanceof AirlockError) throw error;
      // A sign-in that cannot be recorded does not happen (AU-5).
      throw new AuditWriteError(
        `The sign-in could not be recorded (${(error as Error).message}); nothing was done. Close other Airlock processes holding the database, or free disk space, then try again.`,
        { cause: error },
      );
    }
    if ('refused' in result) {
      throw new AirlockError(
        'AUTH_FAILED',
        `The operating-system user "${os.name}" has no Airlock account in this data directory. Ask an admin to run "airlock users map ${os.name} --account NAME". This attempt was recorded.`,
        { details: { osUser: os.name } },
      );
    }
    return result.actor;
  }

  /** First start of the app: makes the first admin (with a password). */
  async setup(actor: Actor, name: string, password: string): Promise<Account> {
    checkStrength(password);
    const hash = await hashPassword(password);
    return (
      this.db
        .transaction(() => {
          if (this.count() > 0) {
            this.audit.append(actor, {
              action: 'users.setup',
              target: name,
              outcome: 'refused',
              details: { reason: 'accounts already exist' },
            });
            return null;
          }
          this.insert(name, 'admin', hash, `${actor.source} (first start)`);
          this.audit.append(
            { ...actor, name, role: 'admin' },
            { action: 'users.setup', target: name, outcome: 'success', details: { role: 'admin' } },
          );
          return this.get(name);
        })
        .immediate() ?? refuseSetup()
    );
  }

  /** Checks a password; counts failures, locks after MAX_FAILED_LOGINS; everything audited. */
  async login(source: string, name: string, password: string): Promise<Account> {
    const row = this.row(name);
    const now = this.now();
    const who: Actor = { name, source };
    if (row?.locked_until && Date.parse(row.locked_until) > now.getTime()) {
      // Still hash, so a locked account answers in the same time as any other.
      await checkPassword(password, null);
      this.audit.append(who, {
        action: 'auth.login',
        target: name,
        outcome: 'refused',
        details: { reason: 'account locked', lockedUntil: row.locked_until },
      });
      throw new AirlockError(
        'ACCOUNT_LOCKED',
        `The account "${name}" is locked after repeated failed sign-ins until ${row.locked_until}. Wait, or ask an admin to reset its password.`,
        { details: { lockedUntil: row.locked_until } },
      );
    }
    const ok = await checkPassword(password, row?.password ?? null);
    if (!row || !ok) {
      let lockedUntil: string | null = null;
      this.db
        .transaction(() => {
          if (row) {
            const failed = row.failed_logins + 1;
            lockedUntil =
              failed >= MAX_FAILED_LOGINS ? new Date(now.getTime() + LOCKOUT_MS).toISOString() : null;
            this.db
              .prepare('UPDATE accounts SET failed_logins = ?, locked_until = ? WHERE name = ?')
              .run(lockedUntil ? 0 : failed, lockedUntil, name);
          }
          this.audit.append(who, {
            action: 'auth.login',
            target: name,
            outcome: 'failure',
            details: {
              reason: row ? (row.password ? 'wrong password' : 'account has no password') : 'no such account',
            },
          });
          if (lockedUntil)
            this.audit.append(who, {
              action: 'auth.lockout',
              target: name,
              outcome: 'success',
              details: { lockedUntil, failures: MAX_FAILED_LOGINS },
            });
        })
        .immediate();
      if (lockedUntil) {
        throw new AirlockError(
          'ACCOUNT_LOCKED',
          `Too many failed sign-ins: the account "${name}" is locked until ${lockedUntil}. Wait, or ask an admin to reset its password.`,
          { details: { lockedUntil } },
        );
      }
      throw new AirlockError(
        'AUTH_FAILED',
        'Wrong account name or password. Check both and try again; repeated failures lock the account for a while.',
      );
    }
    this.db
      .transaction(() => {
        this.db
          .prepare('UPDATE accounts SET failed_logins = 0, locked_until = NULL WHERE name = ?')
          .run(name);
        this.audit.append(
          { name, source, role: row.role },
          { action: 'auth.login', target: name, outcome: 'success', details: { role: row.role } },
        );
      })
      .immediate();
    return this.get(name);
  }

  async add(
    actor: Actor,
    req: { name: string; role: Role; password?: string | undefined; osUsers: readonly string[] },
  ): Promise<Account> {
    if (req.password !== undefined) checkStrength(req.password);
    const hash = req.password === undefined ? null : await hashPassword(req.password);
    return this.change(actor, () => {
      if (this.row(req.name))
        throw new AirlockError(
          'USAGE',
          `An account "${req.name}" already exists. Choose another name or change its role with "airlock users set-role".`,
        );
      for (const os of req.osUsers) this.ensureUnmapped(os);
      this.insert(req.name, req.role, hash, actor.name);
      for (const os of req.osUsers)
        this.db.prepare('INSERT INTO os_users (os_user, account) VALUES (?, ?)').run(os, req.name);
      return {
        action: 'users.add',
        target: req.name,
        details: { role: req.role, osUsers: req.osUsers, password: hash !== null },
      };
    });
  }

  remove(actor: Actor, name: string): Account {
    const before = this.get(name);
    this.change(
      actor,
      () => {
        this.ensureNotLastAdmin(before, 'remove');
        this.db.prepare('DELETE FROM accounts WHERE name = ?').run(name);
        return {
          action: 'users.remove',
          target: name,
          details: { role: before.role, osUsers: before.osUsers },
        };
      },
      false,
    );
    return before;
  }

  setRole(actor: Actor, name: string, role: Role): Account {
    return this.change(actor, () => {
      const before = this.get(name);
      if (role !== 'admin') this.ensureNotLastAdmin(before, 'demote');
      this.db.prepare('UPDATE accounts SET role = ? WHERE name = ?').run(role, name);
      return { action: 'users.set-role', target: name, details: { from: before.role, to: role } };
    });
  }

  async setPassword(
    actor: Actor,
    name: string,
    password: string,
    action = 'users.set-password',
  ): Promise<Account> {
    checkStrength(password);
    this.get(name);
    const hash = await hashPassword(password);
    return this.change(actor, () => {
      this.db
        .prepare('UPDATE accounts SET password = ?, failed_logins = 0, locked_until = NULL WHERE name = ?')
        .run(hash, name);
      return { action, target: name, details: {} };
    });
  }

  map(actor: Actor, osUser: string, account: string): Account {
    return this.change(
      actor,
      () => {
        this.get(account);
        const current = this.db
          .prepare('SELECT account FROM os_users WHERE os_user = ?')
          .pluck()
          .get(osUser) as string | undefined;
        if (current) {
          const was = this.get(current);
          if (was.role === 'admin' && current !== account) this.ensureNotLastAdminMapping(was);
        }
        this.db
          .prepare(
            'INSERT INTO os_users (os_user, account) VALUES (?, ?) ON CONFLICT (os_user) DO UPDATE SET account = excluded.account',
          )
          .run(osUser, account);
        return { action: 'users.map', target: osUser, details: { account, previous: current ?? null } };
      },
      true,
      account,
    );
  }

  unmap(actor: Actor, osUser: string): Account {
    const name = this.db.prepare('SELECT account FROM os_users WHERE os_user = ?').pluck().get(osUser) as
      string | undefined;
    if (!name) throw new AirlockError('NOT_FOUND', `The OS user "${osUser}" is not mapped to any account.`);
    return this.change(
      actor,
      () => {
        this.db.prepare('DELETE FROM os_users WHERE os_user = ?').run(osUser);
        return { action: 'users.unmap', target: osUser, details: { account: name } };
      },
      true,
      name,
    );
  }

  /** A change and its audit record in one transaction. */
  private change(
    actor: Actor,
    fn: () => { action: string; target: string; details: Record<string, unknown> },
    returnAccount = true,
    accountName?: string,
  ): Account {
    return this.db
      .transaction(() => {
        const event = fn();
        this.audit.append(actor, {
          action: event.action,
          target: event.target,
          outcome: 'success',
          details: event.details,
        });
        return returnAccount ? this.get(accountName ?? event.target) : (null as unknown as Account);
      })
      .immediate();
  }

  private ensureNotLastAdmin(account: Account, what: string): void {
    if (account.role !== 'admin') return;
    const admins = this.db
      .prepare("SELECT count(*) FROM accounts WHERE role = 'admin'")
      .pluck()
      .get() as number;
    if (admins <= 1)
      throw new AirlockError(
        'USAGE',
        `Cannot ${what} "${account.name}": it is the last admin, and nobody could manage accounts after. Make another admin first.`,
      );
  }

  private ensureNotLastAdminMapping(_account: Account): void {
    // Remapping an admin's OS user is allowed: the admin account still exists and keeps its password.
  }

  private ensureUnmapped(osUser: string): void {
    const current = this.db.prepare('SELECT account FROM os_users WHERE os_user = ?').pluck().get(osUser) as
      string | undefined;
    if (current)
      throw new AirlockError(
        'USAGE',
        `The OS user "${osUser}" is already mapped to "${current}". Use "airlock users map ${osUser} --account NAME" to move it.`,
      );
  }

  private insert(name: string, role: Role, hash: string | null, by: string): void {
    this.db
      .prepare('INSERT INTO accounts (name, role, password, created_at, created_by) VALUES (?, ?, ?, ?, ?)')
      .run(name, role, hash, this.now().toISOString(), by);
  }

  private row(name: string): AccountRow | undefined {
    return this.db.prepare('SELECT * FROM accounts WHERE name = ?').get(name) as AccountRow | undefined;
  }

  private toAccount(r: AccountRow): Account {
    const osUsers = this.db
      .prepare('SELECT os_user FROM os_users WHERE account = ? ORDER BY os_user')
      .pluck()
      .all(r.name) as string[];
    const locked =
      r.locked_until && Date.parse(r.locked_until) > this.now().getTime() ? r.locked_until : null;
    return {
      name: r.name,
      role: r.role,
      createdAt: r.created_at,
      createdBy: r.created_by,
      osUsers,
      hasPassword: r.password !== null,
      lockedUntil: locked,
    };
  }
}

function checkStrength(password: string): void {
  if ([...password].length < PASSWORD_MIN_LENGTH) {
    throw new AirlockError(
      'USAGE',
      `A password needs at least ${PASSWORD_MIN_LENGTH} characters. Choose a longer one (a few unrelated words work well).`,
    );
  }
}

function refuseSetup(): never {
  throw new AirlockError(
    'PERMISSION_DENIED',
    'Airlock is already set up: an account exists. Sign in instead, or ask an admin for an account.',
  );
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
