import type { Account, Role } from '../contract/users.js';
import { PASSWORD_MIN_LENGTH } from '../contract/users.js';
import type { Actor, AuditEvent, AuditLog } from '../audit/audit-log.js';
import type { Db } from '../db/database.js';
import { AirlockError } from '../errors.js';
import { hashPassword } from './passwords.js';

export interface AccountRow {
  name: string;
  role: Role;
  password: string | null;
  created_at: string;
  created_by: string;
  failed_logins: number;
  locked_until: string | null;
}

/**
 * Local accounts with one role each, scrypt password hashes, and the OS-user map for the CLI: the
 * one module that writes these tables. Every change is audited in the same transaction as the
 * change itself (AuditLog.recorded); signing in is runtime/auth/sign-in.ts.
 */
export class Accounts {
  constructor(
    private readonly db: Db,
    private readonly audit: Pick<AuditLog, 'recorded'>,
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
    const name = this.mappedAccount(osUser);
    return name ? this.find(name) : null;
  }

  async add(
    actor: Actor,
    req: { name: string; role: Role; password?: string | undefined; osUsers: readonly string[] },
  ): Promise<Account> {
    if (req.password !== undefined) checkStrength(req.password);
    const hash = req.password === undefined ? null : await hashPassword(req.password);
    return this.change(actor, req.name, () => {
      if (this.row(req.name))
        throw new AirlockError(
          'USAGE',
          `An account "${req.name}" already exists. Choose another name or change its role with "airlock users set-role".`,
        );
      for (const os of req.osUsers) this.ensureUnmapped(os);
      this.insert(req.name, req.role, hash, actor.name);
      for (const os of req.osUsers) this.mapOsUser(os, req.name);
      return {
        action: 'users.add',
        target: req.name,
        details: { role: req.role, osUsers: req.osUsers, password: hash !== null },
      };
    });
  }

  remove(actor: Actor, name: string): Account {
    const before = this.get(name);
    return this.audit.recorded(actor, () => {
      this.ensureNotLastAdmin(before, 'remove');
      this.db.prepare('DELETE FROM accounts WHERE name = ?').run(name);
      return {
        result: before,
        event: {
          action: 'users.remove',
          target: name,
          outcome: 'success',
          details: { role: before.role, osUsers: before.osUsers },
        },
      };
    });
  }

  setRole(actor: Actor, name: string, role: Role): Account {
    return this.change(actor, name, () => {
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
    return this.change(actor, name, () => {
      this.db
        .prepare('UPDATE accounts SET password = ?, failed_logins = 0, locked_until = NULL WHERE name = ?')
        .run(hash, name);
      return { action, target: name, details: {} };
    });
  }

  /** Maps an OS user to an account (remapping an admin's OS user is allowed: the account stays). */
  map(actor: Actor, osUser: string, account: string): Account {
    return this.change(actor, account, () => {
      this.get(account);
      const previous = this.mappedAccount(osUser);
      this.mapOsUser(osUser, account);
      return { action: 'users.map', target: osUser, details: { account, previous } };
    });
  }

  unmap(actor: Actor, osUser: string): Account {
    const name = this.mappedAccount(osUser);
    if (!name) throw new AirlockError('NOT_FOUND', `The OS user "${osUser}" is not mapped to any account.`);
    return this.change(actor, name, () => {
      this.db.prepare('DELETE FROM os_users WHERE os_user = ?').run(osUser);
      return { action: 'users.unmap', target: osUser, details: { account: name } };
    });
  }

  // Row-level writes for sign-in (runtime/auth/sign-in.ts), inside its recorded transaction.

  row(name: string): AccountRow | undefined {
    return this.db.prepare('SELECT * FROM accounts WHERE name = ?').get(name) as AccountRow | undefined;
  }

  insert(name: string, role: Role, hash: string | null, by: string): void {
    this.db
      .prepare('INSERT INTO accounts (name, role, password, created_at, created_by) VALUES (?, ?, ?, ?, ?)')
      .run(name, role, hash, this.now().toISOString(), by);
  }

  mapOsUser(osUser: string, account: string): void {
    this.db
      .prepare(
        'INSERT INTO os_users (os_user, account) VALUES (?, ?) ON CONFLICT (os_user) DO UPDATE SET account = excluded.account',
      )
      .run(osUser, account);
  }

  /** Failed sign-ins in a row and the lock that follows them (0 and null clear both). */
  setFailures(name: string, failed: number, lockedUntil: string | null): void {
    this.db
      .prepare('UPDATE accounts SET failed_logins = ?, locked_until = ? WHERE name = ?')
      .run(failed, lockedUntil, name);
  }

  /** A change of one account and its audit record in one transaction; returns the account after. */
  private change(
    actor: Actor,
    accountName: string,
    fn: () => { action: string; target: string; details: Record<string, unknown> },
  ): Account {
    return this.audit.recorded(actor, () => {
      const { action, target, details } = fn();
      const event: AuditEvent = { action, target, outcome: 'success', details };
      return { result: this.get(accountName), event };
    });
  }

  private mappedAccount(osUser: string): string | null {
    return (
      (this.db.prepare('SELECT account FROM os_users WHERE os_user = ?').pluck().get(osUser) as
        string | undefined) ?? null
    );
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

  private ensureUnmapped(osUser: string): void {
    const current = this.mappedAccount(osUser);
    if (current)
      throw new AirlockError(
        'USAGE',
        `The OS user "${osUser}" is already mapped to "${current}". Use "airlock users map ${osUser} --account NAME" to move it.`,
      );
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

export function checkStrength(password: string): void {
  if ([...password].length < PASSWORD_MIN_LENGTH) {
    throw new AirlockError(
      'USAGE',
      `A password needs at least ${PASSWORD_MIN_LENGTH} characters. Choose a longer one (a few unrelated words work well).`,
    );
  }
}
