/**
 * Issue 10, case 2: one local admin account against a policy that needs two admin signatures.
 * The facility has two admin keys (Alice's, and Mallory's own) and policy v1 with adminThreshold 2
 * and a rule that wants acme AND beta for classifier*. Mallory has the admin account and his own
 * admin private key, and tries to get around the second signature through the trust store.
 * Real keys, real signatures, real SQLite; every refusal changes nothing and is audited.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call } from '../../runtime/api/handlers.js';
import { signBundle } from '../../runtime/bundle/writer.js';
import {
  auditRows,
  ctx,
  environment,
  publisher,
  rawDb,
  signedBundle,
  type Env,
  type Publisher,
} from '../core/helpers.js';
import { fullSnapshot, policyFile, revocationFile } from './policy-helpers.js';

let env: Env;
let alice: Publisher; // admin key of another admin
let mallory: Publisher; // the lone admin's own admin key
let beta: Publisher; // publisher key the policy trusts
const rogue = [publisher(), publisher()]; // keys Mallory makes for himself

beforeEach(async () => {
  env = await environment(); // trusts env.pub as "acme"
  alice = publisher();
  mallory = publisher();
  beta = publisher();
  for (const [name, key] of [
    ['alice', alice],
    ['mallory', mallory],
  ] as const)
    await call(env.handlers, 'trust:add', { name, publicKeyPem: key.publicKeyPem, role: 'admin' }, ctx);
  const v1 = await policyFile(
    env.root,
    {
      version: 1,
      adminThreshold: 2,
      keys: [{ name: 'beta', publicKeyPem: beta.publicKeyPem }],
      rules: [{ pattern: 'classifier*', keys: ['acme', 'beta'], threshold: 2 }],
    },
    [alice, mallory],
  );
  await call(env.handlers, 'policy:apply', { path: v1 }, ctx);
});
afterEach(async () => env.close());

/** `work` is refused with `code`; nothing but one refused audit record (with the code) is added. */
async function expectRefused(work: () => Promise<unknown>, code: string, action: string): Promise<void> {
  const before = fullSnapshot(env);
  const audit = auditRows(env).length;
  await expect(work()).rejects.toMatchObject({ code });
  expect(fullSnapshot(env)).toEqual(before);
  const rows = auditRows(env);
  expect(rows).toHaveLength(audit + 1);
  expect(rows.at(-1)).toMatchObject({ action, outcome: 'refused' });
  expect(JSON.parse(rows.at(-1)!.details).error.code).toBe(code);
}

/** An import refused with `code`: nothing installed or changed, one bundle.reject record. */
async function expectImportRefused(file: string, code: string): Promise<void> {
  const before = fullSnapshot(env);
  const audit = auditRows(env).length;
  const report = await call(env.handlers, 'models:import', { path: file }, ctx);
  expect(report.items[0]).toMatchObject({ outcome: 'rejected', error: { code } });
  expect(fullSnapshot(env)).toEqual(before);
  const rows = auditRows(env);
  expect(rows).toHaveLength(audit + 1);
  expect(rows.at(-1)).toMatchObject({ action: 'bundle.reject', outcome: 'refused' });
  expect(JSON.parse(rows.at(-1)!.details).error.code).toBe(code);
}

const addKey = (name: string, key: Publisher, role: 'admin' | 'publisher') => () =>
  call(env.handlers, 'trust:add', { name, publicKeyPem: key.publicKeyPem, role }, ctx);

describe('a lone admin against a policy of adminThreshold 2', () => {
  it('(a) cannot add admin keys of his own, nor sign policy v2 with them (TRUST_STORE_LOCKED, UNTRUSTED_SIGNER, THRESHOLD_NOT_MET)', async () => {
    await expectRefused(addKey('rogue1', rogue[0]!, 'admin'), 'TRUST_STORE_LOCKED', 'trust.key.add');
    await expectRefused(addKey('rogue2', rogue[1]!, 'admin'), 'TRUST_STORE_LOCKED', 'trust.key.add');
    // Policy v2 that would drop the second signature and trust his own publisher key.
    const v2 = {
      version: 2,
      adminThreshold: 1,
      keys: [{ name: 'beta', publicKeyPem: beta.publicKeyPem }],
      rules: [{ pattern: 'classifier*', keys: ['*'], threshold: 1 }],
    };
    await expectRefused(
      async () => call(env.handlers, 'policy:apply', { path: await policyFile(env.root, v2, rogue) }, ctx),
      'UNTRUSTED_SIGNER',
      'policy.apply',
    );
    await expectRefused(
      async () =>
        call(
          env.handlers,
          'policy:apply',
          { path: await policyFile(env.root, v2, [mallory, ...rogue]) },
          ctx,
        ),
      'THRESHOLD_NOT_MET',
      'policy.apply',
    );
    // Nor by writing his keys into the policy itself: the admins in force must sign it.
    const withRogueAdmins = {
      ...v2,
      admins: [
        { name: 'mallory', publicKeyPem: mallory.publicKeyPem },
        { name: 'rogue1', publicKeyPem: rogue[0]!.publicKeyPem },
      ],
    };
    await expectRefused(
      async () =>
        call(
          env.handlers,
          'policy:apply',
          { path: await policyFile(env.root, withRogueAdmins, [mallory, rogue[0]!]) },
          ctx,
        ),
      'THRESHOLD_NOT_MET',
      'policy.apply',
    );
    expect((await call(env.handlers, 'policy:show', {}, ctx)).current?.version).toBe(1);
  });

  it("(b) cannot remove another admin's key (TRUST_STORE_LOCKED), nor drop it by a policy only he signs (THRESHOLD_NOT_MET)", async () => {
    await expectRefused(
      () => call(env.handlers, 'trust:remove', { name: 'alice' }, ctx),
      'TRUST_STORE_LOCKED',
      'trust.key.remove',
    );
    const v2 = {
      version: 2,
      adminThreshold: 1,
      admins: [{ name: 'mallory', publicKeyPem: mallory.publicKeyPem }],
    };
    await expectRefused(
      async () =>
        call(env.handlers, 'policy:apply', { path: await policyFile(env.root, v2, [mallory]) }, ctx),
      'THRESHOLD_NOT_MET',
      'policy.apply',
    );
  });

  it('(c) cannot re-add his own publisher key under the name a rule trusts (TRUST_STORE_LOCKED), and the name would not count anyway (THRESHOLD_NOT_MET, UNTRUSTED_SIGNER)', async () => {
    const own = publisher();
    await expectRefused(
      () => call(env.handlers, 'trust:remove', { name: 'acme' }, ctx),
      'TRUST_STORE_LOCKED',
      'trust.key.remove',
    );
    // "beta" is a policy key, so the name is free in the trust store: still refused.
    await expectRefused(addKey('beta', own, 'publisher'), 'TRUST_STORE_LOCKED', 'trust.key.add');
    await expectRefused(addKey('other', own, 'publisher'), 'TRUST_STORE_LOCKED', 'trust.key.add');

    // Behind the engine's back (file access to the database), "acme" now names his key.
    const raw = rawDb(env.dataDir);
    raw
      .prepare("UPDATE trust_keys SET key_id = ?, public_key_pem = ? WHERE name = 'acme'")
      .run(own.keyId, own.publicKeyPem);
    raw.close();
    expect((await call(env.handlers, 'trust:list', {}, ctx)).find((k) => k.name === 'acme')?.keyId).toBe(
      own.keyId,
    );
    // The rule is bound to acme's key id: his signature under the name "acme" counts for nothing.
    const bundle = await signedBundle(env.root, own);
    await expectImportRefused(bundle, 'UNTRUSTED_SIGNER');
    await signBundle(bundle, beta.privateKeyPem);
    await expectImportRefused(bundle, 'THRESHOLD_NOT_MET');
    // The real acme key still counts with beta.
    await signBundle(bundle, env.pub.privateKeyPem);
    const report = await call(env.handlers, 'models:import', { path: bundle }, ctx);
    expect(report.items[0]!.outcome).toBe('installed');
    expect([...(report.items[0]!.verification?.signers ?? [])].sort()).toEqual(['acme', 'beta']);
  });

  it('a policy both admins sign does change the keys: admins, publishers and rules by key id', async () => {
    const v2 = await policyFile(
      env.root,
      {
        version: 2,
        adminThreshold: 2,
        admins: [
          { name: 'alice', publicKeyPem: alice.publicKeyPem },
          { name: 'mallory', publicKeyPem: mallory.publicKeyPem },
          { name: 'carol', publicKeyPem: rogue[0]!.publicKeyPem },
        ],
        keys: [{ name: 'beta', publicKeyPem: beta.publicKeyPem }],
        rules: [{ pattern: 'classifier*', keys: [env.pub.keyId, 'beta'], threshold: 2 }],
      },
      [alice, mallory],
    );
    await call(env.handlers, 'policy:apply', { path: v2 }, ctx);
    const { current } = await call(env.handlers, 'policy:show', {}, ctx);
    expect(current?.resolved.admins.map((k) => k.name)).toEqual(['alice', 'mallory', 'carol']);
    expect(current?.resolved.rules).toEqual([
      { pattern: 'classifier*', keyIds: [env.pub.keyId, beta.keyId], threshold: 2 },
    ]);
    const applied = auditRows(env).at(-1)!;
    expect(applied).toMatchObject({ action: 'policy.apply', outcome: 'success' });
    expect(JSON.parse(applied.details).resolved.admins.map((k: { keyId: string }) => k.keyId)).toEqual([
      alice.keyId,
      mallory.keyId,
      rogue[0]!.keyId,
    ]);
    // Carol's key now counts (it is in no trust store), and v3 needs two of the three.
    const v3 = await policyFile(env.root, { version: 3, adminThreshold: 2 }, [mallory, rogue[0]!]);
    expect(await call(env.handlers, 'policy:apply', { path: v3 }, ctx)).toMatchObject({
      version: 3,
      signers: ['mallory', 'carol'],
    });
  });

  it('revocation lists too need the admin keys in force: his rogue keys do not count', async () => {
    const list = await revocationFile(env.root, { keys: [{ keyId: alice.keyId, reason: 'x' }] }, [
      mallory,
      ...rogue,
    ]);
    await expectRefused(
      () => call(env.handlers, 'revocations:import', { path: list }, ctx),
      'THRESHOLD_NOT_MET',
      'revocations.import',
    );
  });
});
