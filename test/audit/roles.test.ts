import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call, dispatch } from '../../runtime/api/handlers.js';
import type { Actor } from '../../runtime/audit/audit-log.js';
import { LOCKOUT_MS, MAX_FAILED_LOGINS } from '../../runtime/auth/sign-in.js';
import { checkPassword, hashPassword, SCRYPT_PARAMS } from '../../runtime/auth/passwords.js';
import { accessFor, allowed, CHANNEL_ACCESS } from '../../runtime/auth/permissions.js';
import { REDACTED, SessionTransport } from '../../runtime/api/transport.js';
import { CHANNEL_NAMES, type ChannelName } from '../../runtime/contract/index.js';
import type { Role } from '../../runtime/contract/users.js';
import { generateSigningKey } from '../../runtime/crypto/keys.js';
import { auditEnv, SOURCE, type AuditEnv } from './helpers.js';

let env: AuditEnv;
beforeEach(async () => {
  env = await auditEnv();
});
afterEach(async () => env.close());

const lastRecord = () => env.airlock.audit.list({ limit: 1 })[0]!;
const trustRows = () => env.airlock.db.prepare('SELECT * FROM trust_keys ORDER BY name').all();

describe('the permission table', () => {
  it('gives every channel of the contract a rule; an unknown channel is admin only', () => {
    // Total over the contract (a missing row fails to compile); and no row for a channel that is not one.
    expect(CHANNEL_NAMES.filter((c) => !Object.hasOwn(CHANNEL_ACCESS, c))).toEqual([]);
    expect(Object.keys(CHANNEL_ACCESS).filter((c) => !(CHANNEL_NAMES as string[]).includes(c))).toEqual([]);
    for (const c of CHANNEL_NAMES) expect(accessFor(c)).toBeDefined();
    expect(accessFor('future:thing')).toEqual(['admin']);
    expect(allowed('future:thing', 'operator')).toBe(false);
    expect(allowed('future:thing', 'admin')).toBe(true);
    expect(allowed('auth:login', undefined)).toBe(true);
    expect(allowed('system:info', undefined)).toBe(false);
  });
});

describe('roles enforced in dispatch for every channel category', () => {
  // [channel, request, roles allowed]
  const cases: [ChannelName, unknown, Role[]][] = [
    ['trust:add', { name: 'k2', publicKeyPem: generateSigningKey().publicKeyPem }, ['admin']],
    ['trust:remove', { name: 'nobody' }, ['admin']],
    ['models:import', { path: '/nonexistent/stick' }, ['admin']],
    ['users:list', {}, ['admin']],
    ['users:add', { name: 'zed', role: 'operator' }, ['admin']],
    ['audit:configure', { checkpointEvery: 500 }, ['admin']],
    ['inference:run', { model: 'none', inputs: {} }, ['admin', 'operator']],
    ['bundle:verify', { path: '/nonexistent.airlock' }, ['admin', 'operator']],
    ['audit:list', { limit: 1 }, ['admin', 'auditor']],
    ['audit:verify', {}, ['admin', 'auditor']],
    ['audit:checkpoint', {}, ['admin', 'auditor']],
    ['models:list', {}, ['admin', 'operator', 'auditor']],
    ['trust:list', {}, ['admin', 'operator', 'auditor']],
    ['system:info', {}, ['admin', 'operator', 'auditor']],
  ];
  for (const role of ['admin', 'operator', 'auditor'] as const) {
    it(`${role}: allowed where the table says, refused (ROLE_FORBIDDEN, audited, nothing changed) elsewhere`, async () => {
      const actor = env.actorOf(role);
      for (const [channel, request, roles] of cases) {
        const before = trustRows();
        const beforeCount = env.airlock.audit.head().count;
        const result = await dispatch(env.handlers, channel, request, { actor });
        if (roles.includes(role)) {
          if (!result.ok) expect([channel, result.error.code]).not.toEqual([channel, 'ROLE_FORBIDDEN']);
        } else {
          expect(result.ok ? 'ok' : result.error.code, channel).toBe('ROLE_FORBIDDEN');
          expect(trustRows()).toEqual(before);
          expect(env.airlock.audit.head().count).toBe(beforeCount + 1);
          expect(lastRecord()).toMatchObject({
            action: 'auth.refused',
            target: channel,
            outcome: 'refused',
            actor: actor.name,
            details: { role, code: 'ROLE_FORBIDDEN' },
          });
        }
      }
    });
  }

  it('an actor without a role (not signed in) gets AUTH_REQUIRED everywhere but the public auth channels', async () => {
    const anonymous: Actor = { name: 'anonymous', source: SOURCE };
    const r = await dispatch(env.handlers, 'trust:list', {}, { actor: anonymous });
    expect(r.ok ? 'ok' : r.error.code).toBe('AUTH_REQUIRED');
    expect(lastRecord()).toMatchObject({ action: 'auth.refused', target: 'trust:list', outcome: 'refused' });
    const status = await call(env.handlers, 'auth:status', {}, { actor: anonymous });
    expect(status).toMatchObject({ needsSetup: false, account: null });
  });

  it('the refusal is checked before the request is parsed or the handler runs', async () => {
    const r = await dispatch(env.handlers, 'trust:add', { bogus: true }, { actor: env.actorOf('auditor') });
    expect(r.ok ? 'ok' : r.error.code).toBe('ROLE_FORBIDDEN');
  });
});

describe('accounts', () => {
  it('the last admin cannot be removed or demoted; changes are audited', async () => {
    const admin = env.actorOf('admin');
    await expect(
      call(env.handlers, 'users:remove', { name: admin.name }, { actor: admin }),
    ).rejects.toMatchObject({ code: 'USAGE' });
    await expect(
      call(env.handlers, 'users:set-role', { name: admin.name, role: 'operator' }, { actor: admin }),
    ).rejects.toMatchObject({ code: 'USAGE' });
    expect(env.airlock.accounts.get(admin.name).role).toBe('admin');
    const changed = await call(
      env.handlers,
      'users:set-role',
      { name: 'olga', role: 'auditor' },
      { actor: admin },
    );
    expect(changed.role).toBe('auditor');
    expect(lastRecord()).toMatchObject({
      action: 'users.set-role',
      target: 'olga',
      details: { from: 'operator', to: 'auditor' },
    });
    // The new role applies to the next call at once.
    const olga = env.airlock.signIn.authenticateOsUser({ name: 'olga-os', source: SOURCE });
    expect(olga.role).toBe('auditor');
  });

  it('maps OS users; an unmapped OS user is refused with AUTH_FAILED and the refusal audited', async () => {
    const admin = env.actorOf('admin');
    await expect(
      Promise.resolve().then(() =>
        env.airlock.signIn.authenticateOsUser({ name: 'mallory', source: SOURCE }),
      ),
    ).rejects.toMatchObject({ code: 'AUTH_FAILED' });
    expect(lastRecord()).toMatchObject({ action: 'auth.os-user', actor: 'mallory', outcome: 'refused' });
    await call(env.handlers, 'users:map', { osUser: 'mallory', account: 'aude' }, { actor: admin });
    expect(env.airlock.signIn.authenticateOsUser({ name: 'mallory', source: SOURCE })).toMatchObject({
      name: 'aude',
      role: 'auditor',
    });
    await call(env.handlers, 'users:unmap', { osUser: 'mallory' }, { actor: admin });
    expect(() => env.airlock.signIn.authenticateOsUser({ name: 'mallory', source: SOURCE })).toThrow(
      expect.objectContaining({ code: 'AUTH_FAILED' }),
    );
  });

  it('hashes passwords with scrypt at the stated parameters, salted', async () => {
    const a = await hashPassword('correct horse battery');
    const b = await hashPassword('correct horse battery');
    expect(a).not.toBe(b);
    expect(a).toMatch(
      new RegExp(`^scrypt\\$${SCRYPT_PARAMS.N}\\$${SCRYPT_PARAMS.r}\\$${SCRYPT_PARAMS.p}\\$`),
    );
    expect(Buffer.from(a.split('$')[4]!, 'base64')).toHaveLength(SCRYPT_PARAMS.saltBytes);
    expect(Buffer.from(a.split('$')[5]!, 'base64')).toHaveLength(SCRYPT_PARAMS.keylen);
    expect(await checkPassword('correct horse battery', a)).toBe(true);
    expect(await checkPassword('correct horse battery!', a)).toBe(false);
    expect(await checkPassword('anything', null)).toBe(false);
    const row = env.airlock.db.prepare("SELECT password FROM accounts WHERE name = 'olga'").pluck().get();
    expect(row).toBeNull();
  });
});

describe('app sign-in over the session transport', () => {
  it('first start: needsSetup, auth:setup makes the first admin and signs it in; a second setup is refused', async () => {
    await env.close();
    const { Airlock } = await import('../../runtime/airlock.js');
    const { createHandlers } = await import('../../runtime/api/handlers.js');
    const { mkdtemp } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'airlock-first-'));
    const airlock = Airlock.open({ dataDir: join(dir, 'data') });
    try {
      const app = new SessionTransport(airlock, createHandlers(airlock), 'app:1');
      expect(await app.invoke('auth:status', {})).toMatchObject({
        ok: true,
        value: { needsSetup: true, account: null, passwordMinLength: 10 },
      });
      expect(await app.invoke('trust:list', {})).toMatchObject({
        ok: false,
        error: { code: 'AUTH_REQUIRED' },
      });
      expect(await app.invoke('auth:setup', { name: 'ada', password: 'short' })).toMatchObject({
        ok: false,
        error: { code: 'USAGE' },
      });
      expect(airlock.accounts.count()).toBe(0);
      const setup = await app.invoke('auth:setup', { name: 'ada', password: 'a long passphrase' });
      expect(setup).toMatchObject({
        ok: true,
        value: { token: REDACTED, account: { name: 'ada', role: 'admin', hasPassword: true } },
      });
      expect(app.signedIn).toBe(true);
      expect(await app.invoke('auth:status', {})).toMatchObject({
        ok: true,
        value: { needsSetup: false, account: { name: 'ada', role: 'admin' } },
      });
      expect(await app.invoke('trust:list', {})).toMatchObject({ ok: true });
      const other = new SessionTransport(airlock, createHandlers(airlock), 'app:2');
      expect(await other.invoke('auth:setup', { name: 'eve', password: 'a long passphrase' })).toMatchObject({
        ok: false,
        error: { code: 'PERMISSION_DENIED' },
      });
      expect(airlock.accounts.list().map((a) => a.name)).toEqual(['ada']);
      const records = airlock.audit.list({ order: 'asc', limit: 100 }).map((r) => [r.action, r.outcome]);
      expect(records).toContainEqual(['users.setup', 'success']);
      expect(records).toContainEqual(['users.setup', 'refused']);
      expect(await app.invoke('auth:logout', {})).toMatchObject({ ok: true, value: { loggedOut: true } });
      expect(await app.invoke('trust:list', {})).toMatchObject({
        ok: false,
        error: { code: 'AUTH_REQUIRED' },
      });
    } finally {
      await airlock.close();
    }
    env = await auditEnv();
  });

  it('locks an account after repeated failures, for a while; every failure audited', async () => {
    await call(
      env.handlers,
      'users:set-password',
      { name: 'olga', password: 'olga passphrase' },
      { actor: env.admin },
    );
    const app = new SessionTransport(env.airlock, env.handlers, 'app:1');
    for (let i = 1; i < MAX_FAILED_LOGINS; i++) {
      expect(await app.invoke('auth:login', { name: 'olga', password: `wrong ${i} guess` })).toMatchObject({
        ok: false,
        error: { code: 'AUTH_FAILED' },
      });
    }
    const locked = await app.invoke('auth:login', { name: 'olga', password: 'wrong again' });
    expect(locked).toMatchObject({ ok: false, error: { code: 'ACCOUNT_LOCKED' } });
    // Even the right password is refused while locked.
    expect(await app.invoke('auth:login', { name: 'olga', password: 'olga passphrase' })).toMatchObject({
      ok: false,
      error: { code: 'ACCOUNT_LOCKED' },
    });
    const logins = env.airlock.audit.list({ action: 'auth.login', limit: 100 });
    expect(logins.filter((r) => r.outcome === 'failure')).toHaveLength(MAX_FAILED_LOGINS);
    expect(logins[0]).toMatchObject({ outcome: 'refused', details: { reason: 'account locked' } });
    expect(env.airlock.audit.list({ action: 'auth.lockout', limit: 10 })).toHaveLength(1);
    expect(env.airlock.accounts.get('olga').lockedUntil).not.toBeNull();
    env.clock.advance(LOCKOUT_MS + 1000);
    expect(await app.invoke('auth:login', { name: 'olga', password: 'olga passphrase' })).toMatchObject({
      ok: true,
      value: { account: { name: 'olga', role: 'operator' } },
    });
    // An unknown account name fails the same way (no hint which part was wrong).
    expect(await app.invoke('auth:login', { name: 'ghost', password: 'whatever it is' })).toMatchObject({
      ok: false,
      error: {
        code: 'AUTH_FAILED',
        message:
          'Wrong account name or password. Check both and try again; repeated failures lock the account for a while.',
      },
    });
  });

  it('sessions expire when idle and at their maximum length; the expiry is audited', async () => {
    await call(
      env.handlers,
      'users:set-password',
      { name: 'aude', password: 'aude passphrase' },
      { actor: env.admin },
    );
    const app = new SessionTransport(env.airlock, env.handlers, 'app:1');
    expect(await app.invoke('auth:login', { name: 'aude', password: 'aude passphrase' })).toMatchObject({
      ok: true,
    });
    expect(await app.invoke('audit:verify', {})).toMatchObject({ ok: true });
    env.clock.advance(env.airlock.sessions.idleMs + 1);
    expect(await app.invoke('audit:verify', {})).toMatchObject({
      ok: false,
      error: { code: 'AUTH_REQUIRED', details: { reason: 'idle' } },
    });
    expect(app.signedIn).toBe(false);
    expect(env.airlock.audit.list({ limit: 1 })[0]).toMatchObject({
      action: 'auth.session',
      actor: 'aude',
      outcome: 'refused',
      details: { reason: 'idle' },
    });
    // Active all along, the session still ends at its maximum length.
    await app.invoke('auth:login', { name: 'aude', password: 'aude passphrase' });
    const step = env.airlock.sessions.idleMs / 2;
    let t = 0;
    while (t + step < env.airlock.sessions.maxMs) {
      env.clock.advance(step);
      t += step;
      expect(await app.invoke('audit:settings', {})).toMatchObject({ ok: true });
    }
    env.clock.advance(env.airlock.sessions.maxMs - t + 1);
    expect(await app.invoke('audit:settings', {})).toMatchObject({
      ok: false,
      error: { code: 'AUTH_REQUIRED', details: { reason: 'expired' } },
    });
  });

  it("a password reset or removal ends the account's sessions at once", async () => {
    await call(
      env.handlers,
      'users:set-password',
      { name: 'olga', password: 'olga passphrase' },
      { actor: env.admin },
    );
    const app = new SessionTransport(env.airlock, env.handlers, 'app:1');
    await app.invoke('auth:login', { name: 'olga', password: 'olga passphrase' });
    expect(await app.invoke('models:list', {})).toMatchObject({ ok: true });
    await call(env.handlers, 'users:remove', { name: 'olga' }, { actor: env.admin });
    expect(await app.invoke('models:list', {})).toMatchObject({
      ok: false,
      error: { code: 'AUTH_REQUIRED' },
    });
  });
});
