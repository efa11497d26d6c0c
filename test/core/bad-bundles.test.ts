import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../runtime/contract/errors.js';
import {
  auditRows,
  ctx,
  envelopeOf,
  environment,
  publisher,
  readTar,
  resign,
  signedBundle,
  snapshot,
  statementOf,
  withEnvelope,
  writeTar,
  type Env,
  type TarEntry,
} from './helpers.js';

let env: Env;
let good: string;
let entries: TarEntry[];

beforeEach(async () => {
  env = await environment();
  good = await signedBundle(env.root, env.pub);
  entries = await readTar(good);
});
afterEach(async () => env.close());

/** Imports `file`, expects it refused with `code`, nothing changed, and the refusal audited. */
async function expectRefused(file: string, code: ErrorCode): Promise<void> {
  const before = snapshot(env);
  const auditBefore = auditRows(env).length;
  const report = await env.handlers['models:import']({ path: file }, ctx);
  expect(report.items).toHaveLength(1);
  expect(report.items[0]!.outcome).toBe('rejected');
  expect(report.items[0]!.error?.code).toBe(code);
  expect(report.installed).toBe(0);
  expect(snapshot(env)).toEqual(before);
  const audit = auditRows(env);
  expect(audit).toHaveLength(auditBefore + 1);
  expect(audit.at(-1)!.action).toBe('bundle.reject');
  expect(audit.at(-1)!.outcome).toBe('refused');
  expect(JSON.parse(audit.at(-1)!.details).error.code).toBe(code);
  // The same verdict from verify-only, which installs nothing either.
  const verdict = await env.handlers['bundle:verify']({ path: file }, ctx);
  expect(verdict.ok).toBe(false);
  expect(verdict.error?.code).toBe(code);
  expect(snapshot(env)).toEqual(before);
}

async function bad(name: string, list: TarEntry[]): Promise<string> {
  const file = join(env.root, `${name}.airlock`);
  await writeTar(file, list);
  return file;
}

const model = () => entries.find((e) => e.name === 'model.onnx')!;

describe('a good bundle', () => {
  it('verifies, installs once, and a second import is a no-op', async () => {
    const verdict = await env.handlers['bundle:verify']({ path: good }, ctx);
    expect(verdict).toMatchObject({ ok: true, signers: ['acme'], error: null });
    expect(verdict.card?.inputs).toEqual([{ name: 'x', type: 'float32', shape: ['batch', 4] }]);
    const first = await env.handlers['models:import']({ path: good }, ctx);
    expect(first.items[0]!.outcome).toBe('installed');
    const before = snapshot(env);
    const second = await env.handlers['models:import']({ path: good }, ctx);
    expect(second.items[0]!.outcome).toBe('already-installed');
    expect(snapshot(env)).toEqual(before);
    const models = await env.handlers['models:list']({ includeDisabled: true }, ctx);
    expect(models.map((m) => `${m.name}@${m.version}`)).toEqual(['classifier@1.0.0']);
    // Content-addressed: the model's blob is stored under its digest.
    const file = models[0]!.files.find((f) => f.path === 'model.onnx')!;
    expect(Object.keys(before.files)).toContain(join('store', 'sha256', file.sha256));
  });
});

describe('each bad input is refused with its own code and changes nothing', () => {
  it('flipped byte in the model → DIGEST_MISMATCH', async () => {
    const data = Buffer.from(model().data!);
    data[data.length - 5]! ^= 0xff;
    await expectRefused(
      await bad(
        'flip',
        entries.map((e) => (e.name === 'model.onnx' ? { ...e, data } : e)),
      ),
      'DIGEST_MISMATCH',
    );
  });

  it('edited card (payload changed after signing) → SIGNATURE_INVALID', async () => {
    const envelope = envelopeOf(entries);
    const statement = statementOf(envelope);
    statement.predicate['description'] = 'now with more accuracy';
    const edited = { ...envelope, payload: Buffer.from(JSON.stringify(statement)).toString('base64') };
    await expectRefused(await bad('edited-card', withEnvelope(entries, edited)), 'SIGNATURE_INVALID');
  });

  it('removed signature → BUNDLE_UNSIGNED', async () => {
    await expectRefused(
      await bad('unsigned', withEnvelope(entries, { ...envelopeOf(entries), signatures: [] })),
      'BUNDLE_UNSIGNED',
    );
  });

  it('untrusted signer → UNTRUSTED_SIGNER', async () => {
    const stranger = publisher();
    const file = await signedBundle(join(env.root), stranger, { name: 'stranger' });
    await expectRefused(file, 'UNTRUSTED_SIGNER');
  });

  it('extra file → FILE_EXTRA', async () => {
    await expectRefused(
      await bad('extra', [...entries, { name: 'backdoor.sh', data: Buffer.from('#!/bin/sh\n') }]),
      'FILE_EXTRA',
    );
  });

  it('missing file → FILE_MISSING', async () => {
    await expectRefused(
      await bad(
        'missing',
        entries.filter((e) => e.name !== 'model.onnx'),
      ),
      'FILE_MISSING',
    );
  });

  it('traversal entry → TAR_UNSAFE_PATH', async () => {
    await expectRefused(
      await bad('traversal', [...entries, { name: '../../etc/cron.d/evil', data: Buffer.from('x') }]),
      'TAR_UNSAFE_PATH',
    );
  });

  it('symlink entry → TAR_LINK_ENTRY', async () => {
    await expectRefused(
      await bad('symlink', [...entries, { name: 'labels.txt', type: 'symlink', linkname: '/etc/passwd' }]),
      'TAR_LINK_ENTRY',
    );
  });

  it('truncated tar → TAR_TRUNCATED', async () => {
    const full = await bad('whole', entries);
    const { readFile } = await import('node:fs/promises');
    const data = await readFile(full);
    const cut = join(env.root, 'truncated.airlock');
    await writeFile(cut, data.subarray(0, 512 * 3 + 100));
    await expectRefused(cut, 'TAR_TRUNCATED');
  });

  it('not a tar → TAR_INVALID', async () => {
    const file = join(env.root, 'not-a-tar.airlock');
    await writeFile(file, Buffer.from('PK\u0003\u0004 this is a zip file, not a tar '.repeat(40)));
    await expectRefused(file, 'TAR_INVALID');
  });

  it('garbage ONNX, correctly signed → MODEL_INVALID', async () => {
    const garbage = Buffer.from('this is not a protobuf model at all'.repeat(10));
    const { createHash } = await import('node:crypto');
    const envelope = envelopeOf(entries);
    const statement = statementOf(envelope);
    const subject = statement.subject.find((s) => s.name === 'model.onnx')!;
    subject.digest.sha256 = createHash('sha256').update(garbage).digest('hex');
    subject.annotations.size = garbage.length;
    const list = withEnvelope(entries, resign(envelope, statement, env.pub)).map((e) =>
      e.name === 'model.onnx' ? { ...e, data: garbage } : e,
    );
    await expectRefused(await bad('garbage-onnx', list), 'MODEL_INVALID');
  });

  it('card that lies about the graph, correctly signed → MODEL_IO_MISMATCH', async () => {
    const envelope = envelopeOf(entries);
    const statement = statementOf(envelope);
    statement.predicate['inputs'] = [{ name: 'x', type: 'float32', shape: ['batch', 8] }];
    await expectRefused(
      await bad('io-mismatch', withEnvelope(entries, resign(envelope, statement, env.pub))),
      'MODEL_IO_MISMATCH',
    );
  });

  it('invalid card, correctly signed → CARD_INVALID', async () => {
    const envelope = envelopeOf(entries);
    const statement = statementOf(envelope);
    statement.predicate['version'] = 'latest';
    await expectRefused(
      await bad('card-invalid', withEnvelope(entries, resign(envelope, statement, env.pub))),
      'CARD_INVALID',
    );
  });

  it('rollback below the highest version ever installed → ROLLBACK', async () => {
    const v2 = await signedBundle(env.root, env.pub, { version: '2.0.0' });
    expect((await env.handlers['models:import']({ path: v2 }, ctx)).installed).toBe(1);
    await expectRefused(good, 'ROLLBACK');
  });

  it('same version from a different bundle → VERSION_CONFLICT', async () => {
    expect((await env.handlers['models:import']({ path: good }, ctx)).installed).toBe(1);
    const other = await signedBundle(join(env.root), env.pub, {
      model: join(new URL('../fixtures/models/', import.meta.url).pathname, 'classifier.onnx'),
      version: '1.0.0',
      name: 'classifier',
      labels: new URL('./helpers.ts', import.meta.url).pathname,
    });
    await expectRefused(other, 'VERSION_CONFLICT');
  });

  it('expired bundle → BUNDLE_EXPIRED', async () => {
    const old = await signedBundle(env.root, env.pub, { name: 'old', expires: '2020-01-01T00:00:00Z' });
    await expectRefused(old, 'BUNDLE_EXPIRED');
  });

  it('envelope not first → ENVELOPE_MISSING', async () => {
    await expectRefused(await bad('reordered', [...entries].reverse()), 'ENVELOPE_MISSING');
  });

  it('duplicate entry → TAR_DUPLICATE_ENTRY', async () => {
    await expectRefused(await bad('duplicate', [...entries, model()]), 'TAR_DUPLICATE_ENTRY');
  });

  it('absolute path → TAR_UNSAFE_PATH', async () => {
    await expectRefused(
      await bad('absolute', [...entries, { name: '/etc/passwd', data: Buffer.from('x') }]),
      'TAR_UNSAFE_PATH',
    );
  });
});

describe('signature counting', () => {
  it('unknown keys are ignored, not counted; a trusted co-signature makes it pass', async () => {
    const stranger = publisher();
    const { signBundle } = await import('../../runtime/bundle/writer.js');
    const file = await signedBundle(env.root, stranger, { name: 'cosigned' });
    let verdict = await env.handlers['bundle:verify']({ path: file }, ctx);
    expect(verdict.error?.code).toBe('UNTRUSTED_SIGNER');
    expect(verdict.signatures).toEqual([{ keyId: stranger.keyId, trustedAs: null, valid: null }]);
    await signBundle(file, env.pub.privateKeyPem);
    verdict = await env.handlers['bundle:verify']({ path: file }, ctx);
    expect(verdict.ok).toBe(true);
    expect(verdict.signers).toEqual(['acme']);
    expect(verdict.signatures).toHaveLength(2);
  });
});
