import { generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call } from '../../runtime/api/handlers.js';
import { auditRows, ctx, environment, publisher, snapshot, type Env } from './helpers.js';

let env: Env;
beforeEach(async () => {
  env = await environment();
});
afterEach(async () => env.close());

describe('trust store', () => {
  it('adds and removes keys by name, each audited with the key id', async () => {
    const other = publisher();
    const added = await call(
      env.handlers,
      'trust:add',
      { name: 'partner', publicKeyPem: other.publicKeyPem },
      ctx,
    );
    expect(added).toMatchObject({
      name: 'partner',
      keyId: other.keyId,
      role: 'publisher',
      addedBy: 'tester',
    });
    expect((await call(env.handlers, 'trust:list', {}, ctx)).map((k) => k.name)).toEqual(['acme', 'partner']);
    await call(env.handlers, 'trust:remove', { name: 'partner' }, ctx);
    const audit = auditRows(env).slice(-2);
    expect(audit.map((a) => `${a.action} ${a.target}`)).toEqual([
      'trust.key.add partner',
      'trust.key.remove partner',
    ]);
    expect(JSON.parse(audit[0]!.details).keyId).toBe(other.keyId);
  });

  for (const [label, request, code] of [
    ['a name already used', { name: 'acme', publicKeyPem: publisher().publicKeyPem }, 'KEY_EXISTS'],
    ['a key already trusted under another name', null, 'KEY_EXISTS'],
    ['text that is not a key', { name: 'junk', publicKeyPem: 'hello' }, 'KEY_INVALID'],
    ['a non-Ed25519 key', { name: 'rsa', publicKeyPem: rsaPem() }, 'KEY_INVALID'],
  ] as const) {
    it(`refuses ${label} (${code}) and changes nothing`, async () => {
      const req = request ?? { name: 'again', publicKeyPem: env.pub.publicKeyPem };
      const before = snapshot(env);
      const audit = auditRows(env).length;
      await expect(call(env.handlers, 'trust:add', req, ctx)).rejects.toMatchObject({ code });
      expect(snapshot(env)).toEqual(before);
      expect(auditRows(env)).toHaveLength(audit);
    });
  }

  it('says what is wrong with text that is not a key in words, not the decoder error', async () => {
    const error = await call(env.handlers, 'trust:add', { name: 'junk', publicKeyPem: 'hello' }, ctx).then(
      () => new Error('accepted'),
      (e: unknown) => e as Error,
    );
    expect(error.message).toMatch(/BEGIN PUBLIC KEY-----" block is missing or cannot be decoded/);
    expect(error.message).not.toMatch(/DECODER|routines|error:/);
  });

  it('removing an unknown key → KEY_NOT_FOUND', async () => {
    await expect(call(env.handlers, 'trust:remove', { name: 'ghost' }, ctx)).rejects.toMatchObject({
      code: 'KEY_NOT_FOUND',
    });
  });
});

function rsaPem(): string {
  return generateKeyPairSync('rsa', { modulusLength: 1024 })
    .publicKey.export({ type: 'spki', format: 'pem' })
    .toString();
}
