/**
 * The one door, as a table: every refusal admission can give for a bundle or a model, and the
 * allow paths, each from plain facts. A last check reads admit.ts and fails if it can refuse with
 * a code no row of this table exercises.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  admit,
  type AdmissionFacts,
  type BundleFacts,
  type InstalledFacts,
  type Revocations,
  type TrustPolicy,
} from './admit.js';

const hex = (c: string) => c.repeat(64);
const A = hex('a'); // acme, in the trust store
const B = hex('b'); // beta, in the trust store
const C = hex('c'); // rotated, added by the signed policy
const U = hex('e'); // a key nobody here trusts
const STATEMENT = hex('5');
const FILE = hex('f');
const NOW = Date.parse('2026-06-01T12:00:00Z');
const SKEW = 5 * 60_000;

const KEYS = [
  { name: 'acme', keyId: A, source: 'trust-store' as const },
  { name: 'beta', keyId: B, source: 'trust-store' as const },
  { name: 'rotated', keyId: C, source: 'policy' as const },
];

/** A policy in force as admission sees it: rules resolved to key ids when it was applied. */
const policy = (rules: TrustPolicy['rules'], defaultThreshold = 1): TrustPolicy => ({
  rules,
  defaultThreshold,
});

const none: Revocations = { keys: new Map(), bundles: new Map() };
const revoked = (keys: string[] = [], bundles: string[] = []): Revocations => ({
  keys: new Map(keys.map((k) => [k, { reason: 'key leaked', list: 3 }])),
  bundles: new Map(bundles.map((b) => [b, { reason: 'bad weights', list: 3 }])),
});

const fresh: InstalledFacts = { sameFile: null, sameVersion: null, highWater: null, downgradeAllowed: false };

interface Given {
  readonly purpose: AdmissionFacts['purpose'];
  readonly bundle?: Partial<BundleFacts>;
  readonly policy?: TrustPolicy | null;
  readonly revocations?: Revocations;
  readonly installed?: Partial<InstalledFacts>;
  readonly model?: { enabled: boolean; disabledReason: string | null };
  readonly keys?: typeof KEYS;
}

function facts(g: Given): AdmissionFacts {
  const common = {
    bundle: {
      name: 'classifier',
      version: '1.1.0',
      expires: null,
      statementSha256: STATEMENT,
      fileSha256: g.purpose === 'envelope' ? null : FILE,
      signatures: [{ keyId: A, valid: true }],
      ...g.bundle,
    },
    keys: g.keys ?? KEYS,
    policy: g.policy ?? null,
    revocations: g.revocations ?? none,
    now: NOW,
    clockSkewMs: SKEW,
  };
  if (g.purpose === 'install')
    return { ...common, purpose: 'install', installed: { ...fresh, ...g.installed } };
  if (g.purpose === 'run')
    return { ...common, purpose: 'run', model: g.model ?? { enabled: true, disabledReason: null } };
  return { ...common, purpose: g.purpose };
}

type Expect =
  | {
      allowed: true;
      outcome: 'install' | 'already-installed' | 'admitted';
      signers?: string[];
      downgrade?: string;
    }
  | { allowed: false; code: string; reason?: RegExp; message?: RegExp };

const two = [
  { keyId: A, valid: true },
  { keyId: B, valid: true },
];

const TABLE: [string, Given, Expect][] = [
  // install (import, verify, media scan): the allow paths
  [
    'install: a new bundle signed by a trusted key',
    { purpose: 'install' },
    { allowed: true, outcome: 'install', signers: ['acme'] },
  ],
  [
    'install: the same file again is nothing to do',
    { purpose: 'install', installed: { sameFile: { name: 'classifier', version: '1.1.0' } } },
    { allowed: true, outcome: 'already-installed' },
  ],
  [
    'install: above the high-water mark',
    { purpose: 'install', installed: { highWater: '1.0.0' } },
    { allowed: true, outcome: 'install' },
  ],
  [
    'install: below it on a one-time allowance',
    { purpose: 'install', installed: { highWater: '2.0.0', downgradeAllowed: true } },
    { allowed: true, outcome: 'install', downgrade: '2.0.0' },
  ],
  [
    'install: a key the signed policy adds counts',
    { purpose: 'install', bundle: { signatures: [{ keyId: C, valid: true }] } },
    { allowed: true, outcome: 'install', signers: ['rotated'] },
  ],
  [
    'install: two of two under a rule',
    {
      purpose: 'install',
      bundle: { signatures: two },
      policy: policy([{ pattern: 'class*', keyIds: [A, B], threshold: 2 }]),
    },
    { allowed: true, outcome: 'install', signers: ['acme', 'beta'] },
  ],
  [
    'install: a bad signature is outvoted when the threshold is met without it',
    {
      purpose: 'install',
      bundle: {
        signatures: [
          { keyId: A, valid: true },
          { keyId: B, valid: false },
        ],
      },
    },
    { allowed: true, outcome: 'install', signers: ['acme'] },
  ],
  [
    'install: a revoked signer is not needed when the others meet the threshold',
    { purpose: 'install', bundle: { signatures: two }, revocations: revoked([B]) },
    { allowed: true, outcome: 'install', signers: ['acme'] },
  ],
  [
    'install: expired, but within the clock-skew allowance',
    { purpose: 'install', bundle: { expires: new Date(NOW - SKEW + 60_000).toISOString() } },
    { allowed: true, outcome: 'install' },
  ],
  // install: every refusal
  [
    'install: no signature',
    { purpose: 'install', bundle: { signatures: [] } },
    { allowed: false, code: 'BUNDLE_UNSIGNED' },
  ],
  [
    'install: the only trusted signature does not verify',
    { purpose: 'install', bundle: { signatures: [{ keyId: A, valid: false }] } },
    { allowed: false, code: 'SIGNATURE_INVALID', message: /"acme" does not match/ },
  ],
  [
    'install: signed by a key nobody here trusts',
    { purpose: 'install', bundle: { signatures: [{ keyId: U, valid: null }] } },
    { allowed: false, code: 'UNTRUSTED_SIGNER' },
  ],
  [
    'install: the rule for this name does not count the signer',
    { purpose: 'install', policy: policy([{ pattern: 'classifier', keyIds: [B], threshold: 1 }]) },
    { allowed: false, code: 'UNTRUSTED_SIGNER' },
  ],
  [
    'install: a key with the name the rule was written with, but another key id, does not count',
    {
      purpose: 'install',
      keys: [{ name: 'acme', keyId: U, source: 'trust-store' }],
      bundle: { signatures: [{ keyId: U, valid: true }] },
      policy: policy([{ pattern: 'classifier', keyIds: [A], threshold: 1 }]),
    },
    { allowed: false, code: 'UNTRUSTED_SIGNER' },
  ],
  [
    'install: a rule of two key ids is not met by one of them signing twice under two names',
    {
      purpose: 'install',
      keys: [
        { name: 'acme', keyId: A, source: 'trust-store' },
        { name: 'acme-again', keyId: A, source: 'policy' },
      ],
      bundle: {
        signatures: [
          { keyId: A, valid: true },
          { keyId: A, valid: true },
        ],
      },
      policy: policy([{ pattern: 'classifier', keyIds: [A, B], threshold: 2 }]),
    },
    { allowed: false, code: 'THRESHOLD_NOT_MET' },
  ],
  [
    'install: one signature where the rule wants two',
    { purpose: 'install', policy: policy([{ pattern: '*', keyIds: '*', threshold: 2 }]) },
    { allowed: false, code: 'THRESHOLD_NOT_MET', message: /requires 2/ },
  ],
  [
    'install: one signature where the default wants two',
    { purpose: 'install', policy: policy([], 2) },
    { allowed: false, code: 'THRESHOLD_NOT_MET' },
  ],
  [
    'install: the only signer was revoked',
    { purpose: 'install', revocations: revoked([A]) },
    { allowed: false, code: 'REVOKED', message: /revoked/ },
  ],
  [
    'install: the signed statement was revoked',
    { purpose: 'install', revocations: revoked([], [STATEMENT]) },
    { allowed: false, code: 'REVOKED', message: /signed statement/ },
  ],
  [
    'install: the bundle file was revoked',
    { purpose: 'install', revocations: revoked([], [FILE]) },
    { allowed: false, code: 'REVOKED', message: /bad weights/ },
  ],
  [
    'install: expired beyond the allowance',
    { purpose: 'install', bundle: { expires: new Date(NOW - SKEW - 60_000).toISOString() } },
    { allowed: false, code: 'BUNDLE_EXPIRED' },
  ],
  [
    'install: the version is installed from another file',
    { purpose: 'install', installed: { sameVersion: { version: '1.1.0', bundleSha256: hex('9') } } },
    { allowed: false, code: 'VERSION_CONFLICT', message: /already installed from a different bundle/ },
  ],
  [
    'install: 1.1.0+build beside the installed 1.1.0 (equal precedence)',
    {
      purpose: 'install',
      bundle: { version: '1.1.0+build.7' },
      installed: { sameVersion: { version: '1.1.0', bundleSha256: hex('9') } },
    },
    {
      allowed: false,
      code: 'VERSION_CONFLICT',
      reason: /same version as the installed 1\.1\.0 \(build metadata/,
    },
  ],
  [
    'install: 1.1.0 beside the installed 1.1.0+build',
    { purpose: 'install', installed: { sameVersion: { version: '1.1.0+build.7', bundleSha256: hex('9') } } },
    { allowed: false, code: 'VERSION_CONFLICT', message: /classifier@1\.1\.0\+build\.7/ },
  ],
  [
    'install: a pre-release is another version (precedence differs)',
    { purpose: 'install', bundle: { version: '1.2.0-rc.1' }, installed: { highWater: '1.1.0' } },
    { allowed: true, outcome: 'install' },
  ],
  [
    'install: build metadata above the high-water mark is no rollback',
    { purpose: 'install', bundle: { version: '1.1.0+build.2' }, installed: { highWater: '1.1.0+build.1' } },
    { allowed: true, outcome: 'install' },
  ],
  [
    'install: below the high-water mark without an allowance',
    { purpose: 'install', installed: { highWater: '2.0.0' } },
    { allowed: false, code: 'ROLLBACK', message: /2\.0\.0/ },
  ],
  // the envelope look, before any payload byte is used
  [
    'envelope: trusted signature',
    { purpose: 'envelope' },
    { allowed: true, outcome: 'admitted', signers: ['acme'] },
  ],
  [
    'envelope: untrusted stops the read there',
    { purpose: 'envelope', bundle: { signatures: [{ keyId: U, valid: null }] } },
    { allowed: false, code: 'UNTRUSTED_SIGNER' },
  ],
  [
    'envelope: a revoked statement stops the read there',
    { purpose: 'envelope', revocations: revoked([], [STATEMENT]) },
    { allowed: false, code: 'REVOKED' },
  ],
  [
    'envelope: expiry waits for the whole bundle',
    { purpose: 'envelope', bundle: { expires: '2000-01-01T00:00:00Z' } },
    { allowed: true, outcome: 'admitted' },
  ],
  // enable: today's keys, policy and revocations
  ['enable: still trusted', { purpose: 'enable' }, { allowed: true, outcome: 'admitted' }],
  [
    'enable: its key was removed from the trust store',
    { purpose: 'enable', keys: KEYS.filter((k) => k.name !== 'acme') },
    { allowed: false, code: 'UNTRUSTED_SIGNER', message: /cannot be enabled/ },
  ],
  [
    'enable: the policy now wants two',
    { purpose: 'enable', policy: policy([], 2) },
    { allowed: false, code: 'THRESHOLD_NOT_MET', message: /cannot be enabled/ },
  ],
  [
    'enable: its bundle was revoked',
    { purpose: 'enable', revocations: revoked([], [FILE]) },
    { allowed: false, code: 'REVOKED', message: /cannot be enabled/ },
  ],
  // the revocation re-check (start, after a list): revocations only
  ['recheck: nothing revoked', { purpose: 'recheck' }, { allowed: true, outcome: 'admitted' }],
  [
    'recheck: a removed key does not disable (enable judges that)',
    { purpose: 'recheck', keys: [] },
    { allowed: true, outcome: 'admitted' },
  ],
  [
    'recheck: a revoked signer it can do without',
    { purpose: 'recheck', bundle: { signatures: two }, revocations: revoked([B]) },
    { allowed: true, outcome: 'admitted' },
  ],
  [
    'recheck: a revoked signer it needs',
    { purpose: 'recheck', revocations: revoked([A]) },
    { allowed: false, code: 'REVOKED', reason: /^signed by revoked key a{16}… \(revocation list #3\)/ },
  ],
  [
    'recheck: its bundle file was revoked',
    { purpose: 'recheck', revocations: revoked([], [FILE]) },
    { allowed: false, code: 'REVOKED', reason: /^bundle f{16}… revoked by revocation list #3: bad weights$/ },
  ],
  [
    'recheck: its statement was revoked',
    { purpose: 'recheck', revocations: revoked([], [STATEMENT]) },
    { allowed: false, code: 'REVOKED', reason: /statement/ },
  ],
  // run
  ['run: enabled and admitted', { purpose: 'run' }, { allowed: true, outcome: 'admitted' }],
  [
    'run: disabled by an admin',
    { purpose: 'run', model: { enabled: false, disabledReason: 'by olga: recalibrate' } },
    { allowed: false, code: 'MODEL_DISABLED', message: /recalibrate.*cannot run/ },
  ],
  [
    'run: revoked since it was enabled',
    { purpose: 'run', revocations: revoked([A]) },
    { allowed: false, code: 'REVOKED' },
  ],
];

describe('admit (the one door)', () => {
  it.each(TABLE)('%s', (_name, given, want) => {
    const got = admit(facts(given));
    if (want.allowed) {
      expect(got).toMatchObject({ allowed: true, outcome: want.outcome });
      if (want.signers && got.allowed) expect([...got.signers].sort()).toEqual(want.signers);
      if (got.allowed) expect(got.downgrade).toEqual(want.downgrade ? { highWater: want.downgrade } : null);
    } else {
      expect(got).toMatchObject({ allowed: false, code: want.code });
      if (!got.allowed) {
        expect(got.message.length).toBeGreaterThan(20);
        expect(got.reason.length).toBeGreaterThan(5);
        if (want.reason) expect(got.reason).toMatch(want.reason);
        if (want.message) expect(got.message).toMatch(want.message);
      }
    }
  });

  it('is pure: the same facts give the same verdict, and the facts are not changed', () => {
    const f = facts({ purpose: 'install', revocations: revoked([A]) });
    const copy = JSON.stringify(f, (_k, v: unknown) => (v instanceof Map ? [...v] : v));
    expect(admit(f)).toEqual(admit(f));
    expect(JSON.stringify(f, (_k, v: unknown) => (v instanceof Map ? [...v] : v))).toBe(copy);
  });

  it('the table exercises every code admit.ts can refuse with', () => {
    const source = readFileSync(new URL('./admit.ts', import.meta.url), 'utf8');
    const codes = new Set([...source.matchAll(/refuse\(\s*'([A-Z_]+)'/g)].map((m) => m[1]!));
    expect(codes.size).toBeGreaterThanOrEqual(9);
    const tested = new Set(TABLE.flatMap(([, , want]) => (want.allowed ? [] : [want.code])));
    expect([...codes].filter((c) => !tested.has(c))).toEqual([]);
  });
});
