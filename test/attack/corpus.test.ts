/**
 * The hostile corpus of issue 3: each bundle is imported into a facility set up as the corpus
 * expects (trusted keys, signed policy, revocation list, classifier 2.0.0 installed) and must be
 * refused with its own error code, leaving the store and every table untouched apart from the
 * audit record of the refusal, which names the reason.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Airlock } from '../../runtime/airlock.js';
import { call, createHandlers, type Handlers } from '../../runtime/api/handlers.js';
import { auditRows, ctx } from '../core/helpers.js';
import { makeAttackCorpus, type AttackCorpus } from '../fixtures/make-attack-corpus.js';
import { fullSnapshot } from './policy-helpers.js';

let root: string;
let corpus: AttackCorpus;
let airlock: Airlock;
let handlers: Handlers;
let env: { dataDir: string; airlock: Airlock };

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'airlock-attack-'));
  corpus = await makeAttackCorpus(join(root, 'corpus'));
  const dataDir = join(root, 'data');
  airlock = Airlock.open({ dataDir });
  handlers = createHandlers(airlock);
  env = { dataDir, airlock };
  for (const [name, role] of [
    ['acme', 'publisher'],
    ['old', 'publisher'],
    ['admin', 'admin'],
  ] as const) {
    await call(handlers, 'trust:add', { name, publicKeyPem: corpus.keys[name].publicKeyPem, role }, ctx);
  }
  await call(handlers, 'policy:apply', { path: corpus.policy }, ctx);
  await call(handlers, 'revocations:import', { path: corpus.revocations }, ctx);
  const first = await call(handlers, 'models:import', { path: corpus.installFirst }, ctx);
  expect(first.installed).toBe(1);
});
afterAll(async () => {
  await airlock?.close();
  await rm(root, { recursive: true, force: true });
});

describe('attack corpus', () => {
  it('covers every case issue 3 names', () => {
    expect(corpus.cases.map((c) => c.name).sort()).toEqual(
      [
        'absolute-path',
        'byte-flip',
        'card-lies-about-inputs',
        'device',
        'dotdot-path',
        'duplicate-entry',
        'expired',
        'extra-file',
        'hardlink',
        'huge-size-header',
        'longer-than-declared',
        'missing-file',
        'mix-and-match-envelope',
        'mix-and-match-file',
        'not-onnx',
        'one-of-two-signatures',
        'revoked-digest',
        'revoked-key',
        'rollback',
        'symlink',
        'truncated',
        'untrusted-signer',
      ].sort(),
    );
  });

  it('the untouched base bundle of the corpus is accepted by verify (the cases fail for their defect only)', async () => {
    const verdict = await call(handlers, 'bundle:verify', { path: corpus.good }, ctx);
    expect(verdict.error).toBeNull();
  });

  it.each([
    'untrusted-signer',
    'one-of-two-signatures',
    'expired',
    'rollback',
    'revoked-key',
    'revoked-digest',
    'mix-and-match-file',
    'mix-and-match-envelope',
    'byte-flip',
    'extra-file',
    'missing-file',
    'dotdot-path',
    'absolute-path',
    'symlink',
    'hardlink',
    'device',
    'duplicate-entry',
    'truncated',
    'longer-than-declared',
    'huge-size-header',
    'card-lies-about-inputs',
    'not-onnx',
  ])('%s is refused with its own code; only the refusal is recorded', async (name) => {
    const c = corpus.cases.find((x) => x.name === name)!;
    const before = fullSnapshot(env);
    const audit = auditRows(env).length;
    const report = await call(handlers, 'models:import', { path: c.file }, ctx);
    expect(report.items).toHaveLength(1);
    expect(report.items[0]!.outcome, c.why).toBe('rejected');
    expect(report.items[0]!.error?.code, `${c.why}: ${report.items[0]!.error?.message}`).toBe(c.code);
    expect(fullSnapshot(env)).toEqual(before);
    const rows = auditRows(env);
    expect(rows).toHaveLength(audit + 1);
    const refusal = rows.at(-1)!;
    expect(refusal).toMatchObject({ action: 'bundle.reject', outcome: 'refused' });
    const details = JSON.parse(refusal.details) as { file: string; error: { code: string; message: string } };
    expect(details.file).toBe(c.file);
    expect(details.error.code).toBe(c.code);
    expect(details.error.message.length).toBeGreaterThan(20);
    expect(await call(handlers, 'models:list', {}, ctx)).toHaveLength(1);
    // Verify-only reaches the same verdict and installs nothing either.
    const verdict = await call(handlers, 'bundle:verify', { path: c.file }, ctx);
    expect(verdict.ok).toBe(false);
    expect(verdict.error?.code).toBe(c.code);
    expect(fullSnapshot(env)).toEqual(before);
  });
});
