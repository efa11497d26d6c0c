/**
 * Accounts, roles and sign-in (issue 5). The desktop app signs in with a password; the CLI is
 * signed in as the operating-system user that runs it (peer authentication, mapped by an admin).
 *
 * How a UI uses these channels:
 * 1. `auth:status` at start. `needsSetup: true` means the data directory has no account yet: show
 *    the first-start screen and call `auth:setup` with the admin's name and password.
 * 2. Otherwise show the sign-in screen and call `auth:login`. Both return a `SessionGrant`; the
 *    transport (Electron main, the test transport) keeps `token` and signs later calls with it.
 *    Errors: AUTH_FAILED (wrong name or password, same message for both), ACCOUNT_LOCKED (too many
 *    failures: `details.lockedUntil`), USAGE (password too short).
 * 3. Any call may answer AUTH_REQUIRED (no session, or it expired: `details.reason`); show sign-in.
 *    A call the account's role does not allow answers ROLE_FORBIDDEN (`details.required`); the
 *    refusal is in the audit log.
 * 4. `auth:logout` ends the session.
 */
import { z } from 'zod';
import { channel } from './channel.js';
import { NO_CONTROL_MESSAGE, SAFE_NAME } from './text.js';

/**
 * admin: trust keys, policy, imports, accounts (and everything an operator may do).
 * operator: run models, batch jobs, benchmarks.
 * auditor: read, verify and export the audit log; changes nothing else.
 */
export const ROLES = ['admin', 'operator', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

/** Passwords: at least this many characters, at most 1024. Hashed with scrypt (see docs/accounts.md). */
export const PASSWORD_MIN_LENGTH = 10;

export interface Account {
  readonly name: string;
  readonly role: Role;
  readonly createdAt: string;
  readonly createdBy: string;
  /** Operating-system accounts that sign in to the CLI as this account. */
  readonly osUsers: readonly string[];
  /** False for accounts made for the CLI only: they cannot sign in to the app until an admin sets one. */
  readonly hasPassword: boolean;
  /** Set while the account is locked after repeated failed sign-ins (UTC ISO). */
  readonly lockedUntil: string | null;
}

export interface SessionGrant {
  /**
   * Secret: kept by the transport (SessionTransport), never logged. Through SessionTransport the
   * caller receives "(kept by the transport)" here instead; the window never holds the token.
   */
  readonly token: string;
  readonly account: Account;
  /** The session ends at this time (UTC ISO) or after `idleMinutes` without a call, whichever is first. */
  readonly expiresAt: string;
  readonly idleMinutes: number;
}

export interface AuthStatus {
  /** True when the data directory has no account yet: the first start asks for the admin. */
  readonly needsSetup: boolean;
  /** The signed-in account of this connection, if any. */
  readonly account: { readonly name: string; readonly role: Role } | null;
  readonly passwordMinLength: number;
  readonly installationId: string;
  /**
   * The channels the signed-in account may call (the engine's permission table for its role;
   * empty when nobody is signed in). The UI hides or disables what is not here instead of trying
   * it, so visiting a screen never writes a refusal into the audit log.
   */
  readonly allowed: readonly string[];
}

export const accountName = z
  .string()
  .regex(
    /^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,63}$/,
    'an account name is 1-64 letters, digits, "_", ".", "@" or "-"',
  );
/**
 * OS account names differ per platform (DOMAIN\\user on Windows): any printable text up to 256
 * characters; no control, bidirectional-control or line-separator characters (text.ts), since the
 * name is shown in the audit log.
 */
export const osUserName = z
  .string()
  .min(1)
  .max(256)
  .regex(SAFE_NAME, `an OS user name has ${NO_CONTROL_MESSAGE}`);
export const password = z.string().min(1).max(1024);
export const roleSchema = z.enum(ROLES);

export const usersChannels = {
  /** Public: is this a first start, and who is signed in on this connection. */
  'auth:status': channel<AuthStatus>()(z.object({})),
  /** Public, first start only: makes the first admin and signs it in. PERMISSION_DENIED once any account exists. */
  'auth:setup': channel<SessionGrant>()(z.object({ name: accountName, password })),
  'auth:login': channel<SessionGrant>()(z.object({ name: accountName, password })),
  'auth:logout': channel<{ loggedOut: boolean }>()(z.object({})),
  /** Any signed-in account changes its own password. */
  'auth:change-password': channel<Account>()(z.object({ currentPassword: password, newPassword: password })),
  // Admin only from here.
  'users:list': channel<Account[]>()(z.object({})),
  'users:add': channel<Account>()(
    z.object({
      name: accountName,
      role: roleSchema,
      password: password.optional(),
      osUsers: z.array(osUserName).max(20).default([]),
    }),
  ),
  /** The last admin cannot be removed or demoted (nobody could manage accounts after). */
  'users:remove': channel<Account>()(z.object({ name: accountName })),
  'users:set-role': channel<Account>()(z.object({ name: accountName, role: roleSchema })),
  /** Sets (or resets) a password and clears a lockout; ends that account's sessions. */
  'users:set-password': channel<Account>()(z.object({ name: accountName, password })),
  /** Maps an OS account to an Airlock account for the CLI (peer authentication). */
  'users:map': channel<Account>()(z.object({ osUser: osUserName, account: accountName })),
  'users:unmap': channel<Account>()(z.object({ osUser: osUserName })),
};
