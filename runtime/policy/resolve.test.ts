import { describe, expect, it } from 'vitest';
import { POLICY_TYPE, policyDocumentSchema, type PolicyDocumentInput } from '../contract/policy.js';
import type { TrustKey } from '../contract/trust.js';
import { generateSigningKey } from '../crypto/keys.js';
import { resolvePolicy } from './resolve.js';

const acme = generateSigningKey();
const beta = generateSigningKey();
const admin1 = generateSigningKey();
const admin2 = generateSigningKey();
const mallory = generateSigningKey();

const stored = (name: string, k: typeof acme, role: TrustKey['role']): TrustKey => ({
  name,
  keyId: k.keyId,
  publicKeyPem: k.publicKeyPem,
  role,
  addedAt: '2026-01-01T00:00:00.000Z',
  addedBy: 'tester',
});
const TRUST = [stored('acme', acme, 'publisher'), stored('admin1', admin1, 'admin')];

const doc = (fields: Partial<PolicyDocumentInput> & { version: number }) =>
  policyDocumentSchema.parse({ _type: POLICY_TYPE, issued: '2026-01-01T00:00:00Z', ...fields });

const first = (fields: Partial<PolicyDocumentInput>, trustStore = TRUST, revoked = new Set<string>()) =>
  resolvePolicy(doc({ version: 1, ...fields }), { previous: null, trustStore, revoked });

describe('resolvePolicy: what a policy means here, by key id', () => {
  it('the first policy adopts the trust store; rule names become key ids', () => {
    const r = first({
      keys: [{ name: 'beta', publicKeyPem: beta.publicKeyPem }],
      rules: [
        { pattern: 'classifier*', keys: ['acme', 'beta'], threshold: 2 },
        { pattern: 'ocr-*', keys: [beta.keyId], threshold: 1 },
        { pattern: '*', keys: ['*'], threshold: 1 },
      ],
    });
    expect(r.admins.map((k) => [k.name, k.keyId])).toEqual([['admin1', admin1.keyId]]);
    expect(r.publishers.map((k) => [k.name, k.keyId, k.source])).toEqual([
      ['acme', acme.keyId, 'trust-store'],
      ['beta', beta.keyId, 'policy'],
    ]);
    expect(r.rules).toEqual([
      { pattern: 'classifier*', keyIds: [acme.keyId, beta.keyId], threshold: 2 },
      { pattern: 'ocr-*', keyIds: [beta.keyId], threshold: 1 },
      { pattern: '*', keyIds: '*', threshold: 1 },
    ]);
  });

  it('a later policy carries the adopted keys and admins over and never reads the trust store again', () => {
    const v1 = first({});
    const tampered = [...TRUST, stored('mallory', mallory, 'admin'), stored('beta', mallory, 'publisher')];
    const v2 = resolvePolicy(doc({ version: 2, rules: [{ pattern: 'x', keys: ['acme'], threshold: 1 }] }), {
      previous: v1,
      trustStore: tampered,
      revoked: new Set(),
    });
    expect(v2.admins).toEqual(v1.admins);
    expect(v2.publishers.map((k) => k.keyId)).toEqual([acme.keyId]);
    expect(v2.rules[0]!.keyIds).toEqual([acme.keyId]);
    expect(() =>
      resolvePolicy(doc({ version: 2, rules: [{ pattern: 'x', keys: ['beta'], threshold: 1 }] }), {
        previous: v1,
        trustStore: tampered,
        revoked: new Set(),
      }),
    ).toThrow(
      expect.objectContaining({ code: 'POLICY_INVALID', message: expect.stringContaining('"beta"') }),
    );
  });

  it('"admins" replaces the admin keys; omitted, they stay', () => {
    const v1 = first({
      admins: [
        { name: 'admin1', publicKeyPem: admin1.publicKeyPem },
        { name: 'admin2', publicKeyPem: admin2.publicKeyPem },
      ],
      adminThreshold: 2,
    });
    expect(v1.admins.map((k) => k.keyId)).toEqual([admin1.keyId, admin2.keyId]);
    const v2 = resolvePolicy(doc({ version: 2, adminThreshold: 2 }), {
      previous: v1,
      trustStore: [],
      revoked: new Set(),
    });
    expect(v2.admins).toEqual(v1.admins);
  });

  for (const [label, fields, revoked, message] of [
    [
      'a rule naming a key nobody holds',
      { rules: [{ pattern: 'x', keys: ['ghost'], threshold: 1 }] },
      [],
      /"ghost"/,
    ],
    [
      'a rule naming an admin key',
      { rules: [{ pattern: 'x', keys: ['admin1'], threshold: 1 }] },
      [],
      /admin key never counts/,
    ],
    [
      'a rule naming a key id nobody holds',
      { rules: [{ pattern: 'x', keys: [mallory.keyId], threshold: 1 }] },
      [],
      /key id/,
    ],
    [
      "a name that is two keys (the trust store's and the policy's)",
      {
        keys: [{ name: 'acme', publicKeyPem: mallory.publicKeyPem }],
        rules: [{ pattern: 'x', keys: ['acme'], threshold: 1 }],
      },
      [],
      /2 different keys/,
    ],
    [
      'a threshold above the distinct keys a name and its id give',
      { rules: [{ pattern: 'x', keys: ['acme', acme.keyId], threshold: 2 }] },
      [],
      /only 1 distinct/,
    ],
    [
      'a key both admin and publisher',
      { keys: [{ name: 'boss', publicKeyPem: admin1.publicKeyPem }] },
      [],
      /both an admin key and a publisher key/,
    ],
    [
      'the same admin key twice',
      {
        admins: [
          { name: 'a', publicKeyPem: admin1.publicKeyPem },
          { name: 'b', publicKeyPem: admin1.publicKeyPem },
        ],
      },
      [],
      /same admin key twice/,
    ],
    [
      'an admin threshold above the admin keys (lock-out)',
      { adminThreshold: 2 },
      [],
      /lock this facility out/,
    ],
    [
      'an admin threshold only revoked keys would meet',
      {
        admins: [
          { name: 'admin1', publicKeyPem: admin1.publicKeyPem },
          { name: 'admin2', publicKeyPem: admin2.publicKeyPem },
        ],
        adminThreshold: 2,
      },
      [admin2.keyId],
      /only 1 admin key/,
    ],
  ] as const) {
    it(`refuses ${label} (POLICY_INVALID)`, () => {
      expect(() => first(fields as Partial<PolicyDocumentInput>, TRUST, new Set(revoked))).toThrow(
        expect.objectContaining({ code: 'POLICY_INVALID', message: expect.stringMatching(message) }),
      );
    });
  }

  it('refuses an admin list shorter than its threshold already in the schema', () => {
    expect(
      policyDocumentSchema.safeParse({
        _type: POLICY_TYPE,
        version: 1,
        issued: '2026-01-01T00:00:00Z',
        adminThreshold: 2,
        admins: [{ name: 'admin1', publicKeyPem: admin1.publicKeyPem }],
      }).success,
    ).toBe(false);
  });

  it('refuses a key name that reads as a key id', () => {
    expect(
      policyDocumentSchema.safeParse({
        _type: POLICY_TYPE,
        version: 1,
        issued: '2026-01-01T00:00:00Z',
        keys: [{ name: 'a'.repeat(64), publicKeyPem: beta.publicKeyPem }],
      }).success,
    ).toBe(false);
  });
});
