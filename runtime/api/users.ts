import type { Airlock } from '../airlock.js';
import type { Account, SessionGrant, usersChannels } from '../contract/users.js';
import { PASSWORD_MIN_LENGTH } from '../contract/users.js';
import type { DomainHandlers } from './handler.js';
import { channelsAllowed } from '../auth/permissions.js';

/** Sign-in and account management (contract/users.ts); roles are checked in dispatch. */
export function usersHandlers(airlock: Airlock): DomainHandlers<typeof usersChannels> {
  const { accounts, sessions, signIn, audit } = airlock;
  const grant = (account: Account, source: string): SessionGrant => {
    const s = sessions.start(account, source);
    return {
      token: s.token,
      account,
      expiresAt: s.expiresAt,
      idleMinutes: Math.round(sessions.idleMs / 60_000),
    };
  };
  return {
    'auth:status': async (_req, ctx) => ({
      needsSetup: accounts.count() === 0,
      account: ctx.actor.role ? { name: ctx.actor.name, role: ctx.actor.role } : null,
      passwordMinLength: PASSWORD_MIN_LENGTH,
      installationId: airlock.installationId,
      allowed: ctx.actor.role ? channelsAllowed(ctx.actor.role) : [],
    }),
    'auth:setup': async (req, ctx) =>
      grant(await signIn.setup(ctx.actor, req.name, req.password), ctx.actor.source),
    'auth:login': async (req, ctx) =>
      grant(await signIn.login(ctx.actor.source, req.name, req.password), ctx.actor.source),
    'auth:logout': async (_req, ctx) => {
      const loggedOut = sessions.end(ctx.actor.session);
      if (loggedOut)
        audit.append(ctx.actor, { action: 'auth.logout', target: ctx.actor.name, outcome: 'success' });
      return { loggedOut };
    },
    'auth:change-password': async (req, ctx) => {
      await signIn.login(ctx.actor.source, ctx.actor.name, req.currentPassword);
      const account = await accounts.setPassword(
        ctx.actor,
        ctx.actor.name,
        req.newPassword,
        'auth.change-password',
      );
      // Every session of the account ends, this one too: the app signs in again with the new password.
      sessions.endAll(ctx.actor.name);
      return account;
    },
    'users:list': async () => accounts.list(),
    'users:add': async (req, ctx) => accounts.add(ctx.actor, req),
    'users:remove': async (req, ctx) => {
      const removed = accounts.remove(ctx.actor, req.name);
      sessions.endAll(req.name);
      return removed;
    },
    'users:set-role': async (req, ctx) => accounts.setRole(ctx.actor, req.name, req.role),
    'users:set-password': async (req, ctx) => {
      const account = await accounts.setPassword(ctx.actor, req.name, req.password);
      sessions.endAll(req.name);
      return account;
    },
    'users:map': async (req, ctx) => accounts.map(ctx.actor, req.osUser, req.account),
    'users:unmap': async (req, ctx) => accounts.unmap(ctx.actor, req.osUser),
  };
}
