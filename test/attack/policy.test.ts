import { readFile, writeFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Airlock } from '../../runtime/airlock.js';
import { call, createHandlers } from '../../runtime/api/handlers.js';
import { decideTrust, matchPattern } from '../../runtime/admission/admit.js';
import { parsePublicKey } from '../../runtime/crypto/keys.js';
import {
  auditRows,
  ctx,
  environment,
  rawDb,
  publisher,
  readTar,
  signedBundle,
  type Env,
  type Publisher,
} from '../core/helpers.js';
import { fullSnapshot, policyFile, revocationFile } from './policy-helpers.js';
import { signBundle } from '../../runtime/bundle/writer.js';
import { sha256File } from '../../runtime/util/hash.js';
import { statementDigest } from '../../runtime/bundle/statement.js';

let env: Env;
let admin: Publisher;

beforeEach(async () => {
  env = await environment();
  admin = publisher();
  await call(
    env.handlers,
    'trust:add',
    { name: 'admin1', publicKeyPem: admin.publicKeyPem, role: 'admin' },
    ctx,
  );
});
afterEach(async () => env.close());

async function importOne(file: string) {
  const report = await call(env.handlers, 'models:import', { path: file }, ctx);
  return report.items[0]!;
}

/** Expects `work` to be refused with `code`, nothing but one audit record (with the reason) added. */
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

describe('decideTrust (pure)', () => {
  const keys = ['a', 'b', 'c'].map((name) => {
    const p = publisher();
    return { name, keyId: p.keyId, key: parsePublicKey(p.publicKeyPem), source: 'trust-store' as const };
  });
  it('matches glob patterns over the whole name', () => {
    expect(matchPattern('ppocr-*', 'ppocr-rec')).toBe(true);
    expect(matchPattern('ppocr-*', 'xppocr-rec')).toBe(false);
    expect(matchPattern('cls?', 'cls1')).toBe(true);
    expect(matchPattern('cls?', 'cls12')).toBe(false);
    expect(matchPattern('a.b', 'axb')).toBe(false);
  });
  it('default: every key, one signature; the first matching rule decides; revoked keys never count', () => {
    expect(decideTrust('m', null, keys, new Set()).keys.size).toBe(3);
    expect(decideTrust('m', null, keys, new Set()).threshold).toBe(1);
    // As the policy in force holds its rules: keys resolved to key ids when it was applied.
    const policy = {
      defaultThreshold: 1,
      rules: [
        { pattern: 'secret-*', keyIds: [keys[0]!.keyId, keys[1]!.keyId], threshold: 2 },
        { pattern: 'secret-x', keyIds: [keys[2]!.keyId], threshold: 1 },
      ],
    };
    const d = decideTrust('secret-x', policy, keys, new Set([keys[1]!.keyId]));
    expect(d.threshold).toBe(2);
    expect([...d.keys.values()].map((k) => k.name)).toEqual(['a']);
    expect(decideTrust('other', policy, keys, new Set()).rule).toBeNull();
  });
});

describe('facility trust policy', () => {
  it('a rule requiring two signatures refuses one and accepts two; history is kept', async () => {
    const beta = publisher();
    const v1 = await policyFile(
      env.root,
      {
        version: 1,
        keys: [{ name: 'beta', publicKeyPem: beta.publicKeyPem }],
        rules: [{ pattern: 'classifier*', keys: ['acme', 'beta'], threshold: 2 }],
      },
      [admin],
    );
    const applied = await call(env.handlers, 'policy:apply', { path: v1 }, ctx);
    expect(applied).toMatchObject({ version: 1, signers: ['admin1'] });
    const bundle = await signedBundle(env.root, env.pub);
    const one = await importOne(bundle);
    expect(one.error?.code).toBe('THRESHOLD_NOT_MET');
    await signBundle(bundle, beta.privateKeyPem);
    const two = await importOne(bundle);
    expect(two.outcome).toBe('installed');
    expect([...(two.verification?.signers ?? [])].sort()).toEqual(['acme', 'beta']);
    const v2 = await policyFile(env.root, { version: 2 }, [admin]);
    await call(env.handlers, 'policy:apply', { path: v2 }, ctx);
    const view = await call(env.handlers, 'policy:show', {}, ctx);
    expect(view.current?.version).toBe(2);
    expect(view.history.map((h) => h.version)).toEqual([2, 1]);
    expect(auditRows(env).filter((r) => r.action === 'policy.apply' && r.outcome === 'success')).toHaveLength(
      2,
    );
  });

  it('key rotation: a new publisher key counts once a re-signed policy names it', async () => {
    const next = publisher();
    const bundle = await signedBundle(env.root, next);
    expect((await importOne(bundle)).error?.code).toBe('UNTRUSTED_SIGNER');
    await call(
      env.handlers,
      'policy:apply',
      {
        path: await policyFile(
          env.root,
          { version: 1, keys: [{ name: 'acme-2027', publicKeyPem: next.publicKeyPem }] },
          [admin],
        ),
      },
      ctx,
    );
    const item = await importOne(bundle);
    expect(item.outcome).toBe('installed');
    expect(item.verification?.signers).toEqual(['acme-2027']);
  });

  it('refuses a lower or equal policy version (POLICY_OUTDATED)', async () => {
    await call(
      env.handlers,
      'policy:apply',
      { path: await policyFile(env.root, { version: 5 }, [admin]) },
      ctx,
    );
    const v4 = await policyFile(env.root, { version: 4 }, [admin]);
    await expectRefused(
      () => call(env.handlers, 'policy:apply', { path: v4 }, ctx),
      'POLICY_OUTDATED',
      'policy.apply',
    );
    const v5 = await policyFile(env.root, { version: 5, defaultThreshold: 2 }, [admin]);
    await expectRefused(
      () => call(env.handlers, 'policy:apply', { path: v5 }, ctx),
      'POLICY_OUTDATED',
      'policy.apply',
    );
  });

  it('refuses a policy signed by a publisher key, unsigned, tampered, or short of the admin threshold', async () => {
    await expectRefused(
      async () =>
        call(
          env.handlers,
          'policy:apply',
          { path: await policyFile(env.root, { version: 1 }, [env.pub]) },
          ctx,
        ),
      'UNTRUSTED_SIGNER',
      'policy.apply',
    );
    await expectRefused(
      async () =>
        call(env.handlers, 'policy:apply', { path: await policyFile(env.root, { version: 1 }, []) }, ctx),
      'BUNDLE_UNSIGNED',
      'policy.apply',
    );
    const admin2 = publisher();
    await call(
      env.handlers,
      'trust:add',
      { name: 'admin2', publicKeyPem: admin2.publicKeyPem, role: 'admin' },
      ctx,
    );
    await call(
      env.handlers,
      'policy:apply',
      { path: await policyFile(env.root, { version: 1, adminThreshold: 2 }, [admin, admin2]) },
      ctx,
    );
    await expectRefused(
      async () =>
        call(
          env.handlers,
          'policy:apply',
          { path: await policyFile(env.root, { version: 2 }, [admin]) },
          ctx,
        ),
      'THRESHOLD_NOT_MET',
      'policy.apply',
    );
    // Tampered: the payload of a validly signed v2 replaced by another document.
    const good = await policyFile(env.root, { version: 2 }, [admin, admin2]);
    const envelope = JSON.parse(await readFile(good, 'utf8'));
    envelope.payload = Buffer.from(
      JSON.stringify({
        _type: 'https://airlock.invalid/trust-policy/v1',
        version: 2,
        issued: '2026-01-01T00:00:00Z',
        defaultThreshold: 1,
      }),
    ).toString('base64');
    await writeFile(good, JSON.stringify(envelope));
    await expectRefused(
      () => call(env.handlers, 'policy:apply', { path: good }, ctx),
      'SIGNATURE_INVALID',
      'policy.apply',
    );
  });

  it('refuses a document that is not a valid policy (POLICY_INVALID)', async () => {
    const bad = await policyFile(
      env.root,
      { version: 1, rules: [{ pattern: 'x*', keys: ['acme'], threshold: 3 }] },
      [admin],
    );
    await expectRefused(
      () => call(env.handlers, 'policy:apply', { path: bad }, ctx),
      'POLICY_INVALID',
      'policy.apply',
    );
    const revocations = await revocationFile(env.root, { keys: [{ keyId: env.pub.keyId, reason: '' }] }, [
      admin,
    ]);
    await expectRefused(
      () => call(env.handlers, 'policy:apply', { path: revocations }, ctx),
      'POLICY_INVALID',
      'policy.apply',
    );
  });
});

describe('revocation lists', () => {
  it('revoking a key disables models that needed it, at once and audited; its signatures stop counting', async () => {
    const bundle = await signedBundle(env.root, env.pub);
    expect((await importOne(bundle)).outcome).toBe('installed');
    const list = await revocationFile(env.root, { keys: [{ keyId: env.pub.keyId, reason: 'key leaked' }] }, [
      admin,
    ]);
    const result = await call(env.handlers, 'revocations:import', { path: list }, ctx);
    expect(result.added).toBe(1);
    expect(result.disabled).toEqual([
      { name: 'classifier', version: '1.0.0', reason: expect.stringContaining('revoked key') },
    ]);
    const model = await call(env.handlers, 'models:get', { ref: 'classifier@1.0.0' }, ctx);
    expect(model.enabled).toBe(false);
    expect(model.disabledReason).toContain('revoked');
    const audit = auditRows(env).at(-1)!;
    expect(audit.action).toBe('revocations.import');
    expect(JSON.parse(audit.details).disabled).toHaveLength(1);
    await expect(
      call(
        env.handlers,
        'inference:run',
        { model: 'classifier@1.0.0', inputs: { x: { type: 'float32', dims: [1, 4], data: [1, 2, 3, 4] } } },
        ctx,
      ),
    ).rejects.toMatchObject({ code: 'MODEL_DISABLED' });
    const v2 = await signedBundle(env.root, env.pub, { version: '2.0.0' });
    expect((await importOne(v2)).error?.code).toBe('REVOKED');
    // Importing the same list again adds nothing.
    expect((await call(env.handlers, 'revocations:import', { path: list }, ctx)).added).toBe(0);
  });

  it('revoking a bundle digest disables that model and refuses the bundle afterwards', async () => {
    const bundle = await signedBundle(env.root, env.pub);
    await importOne(bundle);
    const { sha256 } = await sha256File(bundle);
    const result = await call(
      env.handlers,
      'revocations:import',
      { path: await revocationFile(env.root, { bundles: [{ sha256, reason: 'bad weights' }] }, [admin]) },
      ctx,
    );
    expect(result.disabled.map((d) => d.name)).toEqual(['classifier']);
    const again = await importOne(bundle);
    expect(again.error?.code).toBe('REVOKED');
  });

  it('revoking a signed statement catches re-signed and repacked copies of the bundle', async () => {
    const bundle = await signedBundle(env.root, env.pub);
    await importOne(bundle);
    const envelope = JSON.parse(
      (await readTar(bundle)).find((e) => e.name === 'envelope.json')!.data!.toString('utf8'),
    );
    const result = await call(
      env.handlers,
      'revocations:import',
      {
        path: await revocationFile(
          env.root,
          { bundles: [{ sha256: statementDigest(envelope), reason: 'recalled' }] },
          [admin],
        ),
      },
      ctx,
    );
    expect(result.disabled.map((d) => d.name)).toEqual(['classifier']);
    const before = (await sha256File(bundle)).sha256;
    await signBundle(bundle, publisher().privateKeyPem);
    expect((await sha256File(bundle)).sha256).not.toBe(before);
    const again = await importOne(bundle);
    expect(again.error?.code).toBe('REVOKED');
  });

  it('admission re-checks at run time and at every start: a revoked model flipped back on in the database neither runs nor stays enabled', async () => {
    const bundle = await signedBundle(env.root, env.pub);
    await importOne(bundle);
    const { sha256 } = await sha256File(bundle);
    const list = await revocationFile(env.root, { bundles: [{ sha256, reason: 'bad weights' }] }, [admin]);
    await call(env.handlers, 'revocations:import', { path: list }, ctx);
    // Someone with file access (or an older version) turns the row back on behind the engine's back.
    const raw = rawDb(env.dataDir);
    raw.prepare("UPDATE models SET enabled = 1, disabled_reason = NULL WHERE name = 'classifier'").run();
    raw.close();
    const input = { x: { type: 'float32', dims: [1, 4], data: [1, 2, 3, 4] } };
    await expect(
      call(env.handlers, 'inference:run', { model: 'classifier@1.0.0', inputs: input }, ctx),
    ).rejects.toMatchObject({ code: 'REVOKED' });
    expect(auditRows(env).at(-1)).toMatchObject({ action: 'inference.run', outcome: 'failure' });

    await env.airlock.close();
    const reopened = Airlock.open({ dataDir: env.dataDir });
    try {
      const model = reopened.registry.find('classifier', '1.0.0')!;
      expect(model.enabled).toBe(false);
      expect(model.disabledReason).toMatch(
        /^bundle [0-9a-f]{16}… revoked by revocation list #1: bad weights$/,
      );
      const record = reopened.audit.list({ limit: 5 }).find((r) => r.action === 'model.disable')!;
      expect(record).toMatchObject({ actor: 'airlock', target: 'classifier@1.0.0', outcome: 'success' });
      expect(record.details).toMatchObject({ by: 'revocation re-check at start' });
    } finally {
      await reopened.close();
    }
    // Nothing left to re-check: a further start writes nothing.
    const counted = rawDb(env.dataDir);
    const records = counted.prepare('SELECT count(*) FROM audit_log').pluck().get();
    counted.close();
    const again = Airlock.open({ dataDir: env.dataDir });
    try {
      expect(again.audit.head().count).toBe(records);
    } finally {
      await again.close();
    }
  });

  it('a revoked admin key can no longer sign a policy or a revocation list', async () => {
    const admin2 = publisher();
    await call(
      env.handlers,
      'trust:add',
      { name: 'admin2', publicKeyPem: admin2.publicKeyPem, role: 'admin' },
      ctx,
    );
    await call(
      env.handlers,
      'revocations:import',
      {
        path: await revocationFile(env.root, { keys: [{ keyId: admin2.keyId, reason: 'laptop stolen' }] }, [
          admin,
        ]),
      },
      ctx,
    );
    await expectRefused(
      async () =>
        call(
          env.handlers,
          'policy:apply',
          { path: await policyFile(env.root, { version: 1 }, [admin2]) },
          ctx,
        ),
      'UNTRUSTED_SIGNER',
      'policy.apply',
    );
    const list = await revocationFile(env.root, { number: 2, keys: [{ keyId: admin.keyId, reason: '' }] }, [
      admin2,
    ]);
    await expectRefused(
      () => call(env.handlers, 'revocations:import', { path: list }, ctx),
      'UNTRUSTED_SIGNER',
      'revocations.import',
    );
  });

  it('refuses a list not signed by an admin key, changing nothing', async () => {
    const list = await revocationFile(env.root, { keys: [{ keyId: env.pub.keyId, reason: '' }] }, [env.pub]);
    await expectRefused(
      () => call(env.handlers, 'revocations:import', { path: list }, ctx),
      'UNTRUSTED_SIGNER',
      'revocations.import',
    );
  });
});

describe('rollback and the downgrade allowance', () => {
  it('refuses a lower version even after removal; one audited allowance lets exactly one import through', async () => {
    await importOne(await signedBundle(env.root, env.pub, { version: '2.0.0' }));
    const old = await signedBundle(env.root, env.pub, { version: '1.0.0' });
    expect((await importOne(old)).error?.code).toBe('ROLLBACK');
    await expect(
      call(env.handlers, 'policy:allow-downgrade', { name: 'classifier', version: '3.0.0' }, ctx),
    ).rejects.toMatchObject({ code: 'USAGE' });
    const allowance = await call(
      env.handlers,
      'policy:allow-downgrade',
      { name: 'classifier', version: '1.0.0' },
      ctx,
    );
    expect(allowance).toMatchObject({ grantedBy: 'tester', usedAt: null });
    expect(auditRows(env).at(-1)).toMatchObject({
      action: 'model.downgrade.allow',
      target: 'classifier@1.0.0',
    });
    const item = await importOne(old);
    expect(item.outcome).toBe('installed');
    const install = auditRows(env).find(
      (r) => r.action === 'model.install' && r.target === 'classifier@1.0.0',
    )!;
    expect(JSON.parse(install.details).downgrade).toMatchObject({ grantedBy: 'tester', highWater: '2.0.0' });
    expect(env.airlock.registry.highWater('classifier')).toBe('2.0.0');
    // Used up: a second, different 1.x below the mark is refused again.
    const other = await signedBundle(env.root, env.pub, { version: '1.5.0' });
    expect((await importOne(other)).error?.code).toBe('ROLLBACK');
  });
});

describe('expiry and the clock-skew allowance', () => {
  it('accepts a bundle expired less than 5 minutes ago by this clock, refuses one expired 10 minutes ago', async () => {
    const dataDir = join(env.root, 'clocked');
    const clocked = Airlock.open({ dataDir, now: () => new Date('2027-06-01T00:00:00Z') });
    try {
      const handlers = createHandlers(clocked);
      await call(handlers, 'trust:add', { name: 'acme', publicKeyPem: env.pub.publicKeyPem }, ctx);
      const fresh = await signedBundle(env.root, env.pub, {
        version: '1.0.0',
        expires: '2027-05-31T23:57:00Z',
      });
      const stale = await signedBundle(env.root, env.pub, {
        version: '1.1.0',
        expires: '2027-05-31T23:50:00Z',
      });
      expect((await call(handlers, 'models:import', { path: fresh }, ctx)).installed).toBe(1);
      const before = fullSnapshot({ dataDir, airlock: clocked });
      const refused = (await call(handlers, 'models:import', { path: stale }, ctx)).items[0]!;
      expect(refused.error?.code).toBe('BUNDLE_EXPIRED');
      expect(refused.error?.message).toContain('5 minutes of clock skew');
      expect(fullSnapshot({ dataDir, airlock: clocked })).toEqual(before);
    } finally {
      await clocked.close();
    }
  });
});
