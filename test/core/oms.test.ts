/**
 * OpenSSF model signing, key method: model.sig files made by a signer written from the spec
 * (test/fixtures/oms-sign.ts) with real EC keys, over real model folders; the manifest is checked
 * against digests computed by hand here. Each refusal asserts its code.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifySignature } from '../../runtime/crypto/dsse.js';
import { generateSigningKey, parsePublicKey } from '../../runtime/crypto/keys.js';
import { checkModelFolder, keyMethodEnvelope } from '../../runtime/oms/model-folder.js';
import { omsManifest, parseModelSig, publicKeyHint } from '../../runtime/oms/model-sig.js';
import { omsSignWithKey } from '../fixtures/oms-sign.js';
import { model, tempDir } from './helpers.js';
import { rm } from 'node:fs/promises';

let root: string;
let dir: string;
const publisher = generateSigningKey('ec-p256');
const candidates = [{ keyId: publisher.keyId, publicKeyPem: publisher.publicKeyPem }];

beforeEach(async () => {
  root = await tempDir('airlock-oms-');
  dir = join(root, 'classifier');
  mkdirSync(join(dir, 'extra'), { recursive: true });
  cpSync(model('classifier.onnx'), join(dir, 'model.onnx'));
  writeFileSync(join(dir, 'extra', 'labels.txt'), 'cat\ndog\nbird\n');
});
afterEach(async () => rm(root, { recursive: true, force: true }));

async function verifyFolder(signal?: AbortSignal) {
  const { bundle, envelope } = parseModelSig(readFileSync(join(dir, 'model.sig'), 'utf8'));
  const manifest = omsManifest(envelope);
  const files = await checkModelFolder(dir, manifest, {
    signatureName: 'model.sig',
    ...(signal ? { signal } : {}),
  });
  const attributed = keyMethodEnvelope(bundle, envelope, candidates);
  const valid = verifySignature(
    attributed,
    attributed.signatures[0]!,
    parsePublicKey(publisher.publicKeyPem),
  );
  return { manifest, files, attributed, valid };
}

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest();

describe('OpenSSF model signing, key method', () => {
  it('verifies a signed folder; the subject digest is the hand-computed one', async () => {
    omsSignWithKey(dir, publisher.privateKeyPem);
    const { manifest, files, attributed, valid } = await verifyFolder();
    const labels = sha('cat\ndog\nbird\n');
    const onnx = sha(readFileSync(join(dir, 'model.onnx')));
    // Sorted by name: "extra/labels.txt" < "model.onnx".
    expect(manifest.rootDigest).toBe(createHash('sha256').update(labels).update(onnx).digest('hex'));
    expect(files.map((f) => f.path)).toEqual(['extra/labels.txt', 'model.onnx']);
    expect(files[0]!.sha256).toBe(labels.toString('hex'));
    expect(attributed.signatures[0]!.keyid).toBe(publisher.keyId);
    expect(valid).toBe(true);
    expect(publicKeyHint(publisher.publicKeyPem)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('a flipped byte in a signed file → DIGEST_MISMATCH', async () => {
    omsSignWithKey(dir, publisher.privateKeyPem);
    const onnx = readFileSync(join(dir, 'model.onnx'));
    onnx[onnx.length - 1]! ^= 1;
    writeFileSync(join(dir, 'model.onnx'), onnx);
    await expect(verifyFolder()).rejects.toMatchObject({
      code: 'DIGEST_MISMATCH',
      details: { file: 'model.onnx' },
    });
  });

  it('an extra file → FILE_EXTRA; one under a signed ignore path is left alone', async () => {
    omsSignWithKey(dir, publisher.privateKeyPem, { ignorePaths: ['.git'] });
    mkdirSync(join(dir, '.git'));
    writeFileSync(join(dir, '.git', 'HEAD'), 'ref: main\n');
    await expect(verifyFolder()).resolves.toMatchObject({ valid: true });
    writeFileSync(join(dir, 'extra', 'new.txt'), 'x');
    await expect(verifyFolder()).rejects.toMatchObject({
      code: 'FILE_EXTRA',
      details: { file: 'extra/new.txt' },
    });
  });

  it('a missing file → FILE_MISSING', async () => {
    omsSignWithKey(dir, publisher.privateKeyPem);
    await rm(join(dir, 'extra', 'labels.txt'));
    await expect(verifyFolder()).rejects.toMatchObject({
      code: 'FILE_MISSING',
      details: { files: ['extra/labels.txt'] },
    });
  });

  it('a symbolic link or a FIFO in the folder → OMS_LINK, never followed', async () => {
    omsSignWithKey(dir, publisher.privateKeyPem);
    symlinkSync('/etc/passwd', join(dir, 'extra', 'link'));
    await expect(verifyFolder()).rejects.toMatchObject({ code: 'OMS_LINK', details: { file: 'extra/link' } });
    await rm(join(dir, 'extra', 'link'));
    execFileSync('mkfifo', [join(dir, 'pipe')]);
    await expect(verifyFolder()).rejects.toMatchObject({ code: 'OMS_LINK', details: { file: 'pipe' } });
  });

  it('another key: the hint names no candidate, so the signature is nobody’s here', async () => {
    const other = generateSigningKey('ec-p384');
    omsSignWithKey(dir, other.privateKeyPem);
    const { attributed } = await verifyFolder();
    expect(attributed.signatures[0]!.keyid).toMatch(/^oms-key-hint:/);
    expect(candidates.some((c) => c.keyId === attributed.signatures[0]!.keyid)).toBe(false);
  });

  it('an edited statement: the signature no longer verifies', async () => {
    const bundle = omsSignWithKey(dir, publisher.privateKeyPem) as { dsseEnvelope: { payload: string } };
    const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8'));
    statement.subject[0].name = 'renamed';
    bundle.dsseEnvelope.payload = Buffer.from(JSON.stringify(statement)).toString('base64');
    writeFileSync(join(dir, 'model.sig'), JSON.stringify(bundle));
    await expect(verifyFolder()).resolves.toMatchObject({ valid: false });
  });

  it('a statement whose subject digest disagrees with its file list → OMS_INVALID', async () => {
    omsSignWithKey(dir, publisher.privateKeyPem, {
      edit: (s) => {
        (s['subject'] as { digest: { sha256: string } }[])[0]!.digest.sha256 = '0'.repeat(64);
      },
    });
    await expect(verifyFolder()).rejects.toMatchObject({ code: 'OMS_INVALID' });
  });

  it('a sharded manifest → OMS_UNSUPPORTED, never accepted unchecked', async () => {
    omsSignWithKey(dir, publisher.privateKeyPem, {
      serialization: { method: 'shards', hash_type: 'sha256', shard_size: 1_000_000, allow_symlinks: false },
    });
    await expect(verifyFolder()).rejects.toMatchObject({ code: 'OMS_UNSUPPORTED' });
  });

  it('not a model signature: JSON errors in words, another media type, two signatures → OMS_INVALID', async () => {
    writeFileSync(join(dir, 'model.sig'), '{"mediaType": ');
    await expect(verifyFolder()).rejects.toMatchObject({
      code: 'OMS_INVALID',
      message: /ends before the JSON is complete/,
    });
    const bundle = omsSignWithKey(dir, publisher.privateKeyPem) as Record<string, unknown> & {
      dsseEnvelope: { signatures: unknown[] };
    };
    writeFileSync(
      join(dir, 'model.sig'),
      JSON.stringify({ ...bundle, mediaType: 'application/vnd.dev.sigstore.bundle+json;version=0.1' }),
    );
    await expect(verifyFolder()).rejects.toMatchObject({ code: 'OMS_INVALID', message: /media type/ });
    bundle.dsseEnvelope.signatures.push(bundle.dsseEnvelope.signatures[0]);
    writeFileSync(join(dir, 'model.sig'), JSON.stringify(bundle));
    await expect(verifyFolder()).rejects.toMatchObject({ code: 'OMS_INVALID', message: /exactly one/ });
  });

  it('a manifest path that leaves the folder → OMS_INVALID', async () => {
    omsSignWithKey(dir, publisher.privateKeyPem, {
      edit: (s) => {
        const p = s['predicate'] as { resources: { name: string }[] };
        p.resources[0]!.name = '../escape';
      },
    });
    await expect(verifyFolder()).rejects.toMatchObject({
      code: 'OMS_INVALID',
      message: /not a relative path/,
    });
  });
});
