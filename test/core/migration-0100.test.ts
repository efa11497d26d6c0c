/**
 * Migration 0100 binds a policy already in force to key ids, as the engine before it read the
 * policy on every decision (names looked up in the trust store and the policy's own keys).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Airlock } from '../../runtime/airlock.js';
import { call, createHandlers } from '../../runtime/api/handlers.js';
import { signBundle } from '../../runtime/bundle/writer.js';
import { POLICY_TYPE } from '../../runtime/contract/policy.js';
import { openDatabase } from '../../runtime/db/database.js';
import { MIGRATIONS } from '../../runtime/db/migrations/index.js';
import { ctx, publisher, signedBundle, tempDir } from './helpers.js';

let opened: Airlock | null = null;
afterEach(async () => {
  await opened?.close();
  opened = null;
});

describe('migration 0100: policies bound to key ids', () => {
  it('resolves the policy in force of an older database as it was read before, then locks the trust store', async () => {
    const root = await tempDir();
    const dataDir = join(root, 'data');
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const acme = publisher();
    const beta = publisher();
    const admin1 = publisher();
    // A database as Airlock wrote it before this migration: keys in the trust store, policy v1.
    const db = openDatabase(join(dataDir, 'airlock.db'), {
      migrations: MIGRATIONS.filter((m) => m.version < 100),
    });
    const key = db.prepare(
      "INSERT INTO trust_keys (name, key_id, public_key_pem, role, added_at, added_by) VALUES (?, ?, ?, ?, '2026-01-01T00:00:00.000Z', 'olga')",
    );
    key.run('acme', acme.keyId, acme.publicKeyPem, 'publisher');
    key.run('admin1', admin1.keyId, admin1.publicKeyPem, 'admin');
    const document = {
      _type: POLICY_TYPE,
      version: 1,
      issued: '2026-01-01T00:00:00Z',
      adminThreshold: 1,
      keys: [{ name: 'beta', publicKeyPem: beta.publicKeyPem }],
      rules: [
        { pattern: 'classifier*', keys: ['acme', 'beta'], threshold: 2 },
        { pattern: 'ghost-*', keys: ['ghost'], threshold: 1 },
        { pattern: 'any-*', keys: ['*'], threshold: 1 },
      ],
      defaultThreshold: 1,
    };
    db.prepare(
      "INSERT INTO trust_policy (version, issued, document, envelope, sha256, signers, applied_at, applied_by) VALUES (1, ?, ?, '{}', ?, '[\"admin1\"]', '2026-01-02T00:00:00.000Z', 'olga')",
    ).run(document.issued, JSON.stringify(document), 'ab'.repeat(32));
    db.close();

    opened = Airlock.open({ dataDir });
    const handlers = createHandlers(opened);
    const { current } = await call(handlers, 'policy:show', {}, ctx);
    expect(current?.resolved).toEqual({
      version: 1,
      adminThreshold: 1,
      defaultThreshold: 1,
      admins: [{ name: 'admin1', keyId: admin1.keyId, publicKeyPem: admin1.publicKeyPem }],
      publishers: [
        { name: 'acme', keyId: acme.keyId, publicKeyPem: acme.publicKeyPem, source: 'trust-store' },
        { name: 'beta', keyId: beta.keyId, publicKeyPem: beta.publicKeyPem, source: 'policy' },
      ],
      rules: [
        { pattern: 'classifier*', keyIds: [acme.keyId, beta.keyId], threshold: 2 },
        { pattern: 'ghost-*', keyIds: [], threshold: 1 },
        { pattern: 'any-*', keyIds: '*', threshold: 1 },
      ],
    });
    expect(opened.db.prepare('SELECT source FROM trust_policy_resolved').pluck().all()).toEqual([
      'migration',
    ]);
    expect(() => opened!.db.prepare('DELETE FROM trust_policy_resolved').run()).toThrow(/append-only/);
    expect(() => opened!.db.prepare("UPDATE trust_policy_resolved SET resolved = '{}'").run()).toThrow(
      /append-only/,
    );

    // Decisions as before: acme and beta for classifier*.
    const bundle = await signedBundle(root, acme);
    expect((await call(handlers, 'models:import', { path: bundle }, ctx)).items[0]!.error?.code).toBe(
      'THRESHOLD_NOT_MET',
    );
    await signBundle(bundle, beta.privateKeyPem);
    expect((await call(handlers, 'models:import', { path: bundle }, ctx)).installed).toBe(1);
    // And from now on the trust store is part of the policy.
    await expect(
      call(handlers, 'trust:add', { name: 'new', publicKeyPem: publisher().publicKeyPem }, ctx),
    ).rejects.toMatchObject({ code: 'TRUST_STORE_LOCKED' });
  });

  it('a database with no policy gets the table and nothing in it', async () => {
    const dataDir = join(await tempDir(), 'data');
    opened = Airlock.open({ dataDir });
    expect(opened.db.prepare('SELECT count(*) FROM trust_policy_resolved').pluck().get()).toBe(0);
  });
});
