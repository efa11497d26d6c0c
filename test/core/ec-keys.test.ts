/**
 * Airlock's own bundles signed with ECDSA keys (P-256, P-384, P-521: the keys HSMs hold), next to
 * Ed25519. Real keys (node:crypto and the openssl command), real bundles, real SQLite and
 * onnxruntime sessions. A signature is standard DER ECDSA over the DSSE pre-authentication
 * encoding with the curve's hash, so openssl verifies Airlock's and Airlock verifies one made with
 * a key openssl generated.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call } from '../../runtime/api/handlers.js';
import { pae } from '../../runtime/crypto/dsse.js';
import { generateSigningKey, keyIdOf, type KeyType } from '../../runtime/crypto/keys.js';
import { createPublicKey } from 'node:crypto';
import {
  auditRows,
  ctx,
  envelopeOf,
  environment,
  readTar,
  signedBundle,
  snapshot,
  withEnvelope,
  writeTar,
  type Env,
} from './helpers.js';

let env: Env;
beforeEach(async () => {
  env = await environment();
});
afterEach(async () => env.close());

const X = { x: { type: 'float32' as const, dims: [1, 4], data: Float32Array.from([1, 2, 3, 4]) } };

describe('ECDSA publisher keys', () => {
  for (const type of ['ec-p256', 'ec-p384', 'ec-p521'] as const satisfies readonly KeyType[]) {
    it(`${type}: trusted, signed, imported and run`, async () => {
      const key = generateSigningKey(type);
      const added = await call(
        env.handlers,
        'trust:add',
        { name: `hsm-${type}`, publicKeyPem: key.publicKeyPem, role: 'publisher' },
        ctx,
      );
      expect(added.keyId).toBe(key.keyId);
      const file = await signedBundle(env.root, key, { name: `m-${type}` });
      const verified = await call(env.handlers, 'bundle:verify', { path: file }, ctx);
      expect(verified).toMatchObject({ ok: true, signers: [`hsm-${type}`] });
      const report = await call(env.handlers, 'models:import', { path: file }, ctx);
      expect(report.installed).toBe(1);
      const result = await call(env.handlers, 'inference:run', { model: `m-${type}`, inputs: X }, ctx);
      expect(result.outputs['probabilities']!.dims).toEqual([1, 3]);
    });
  }

  it('interoperates with openssl: its key signs for Airlock, and it verifies Airlock’s signature', async () => {
    const sec1 = join(env.root, 'openssl.key');
    const pub = join(env.root, 'openssl.pub');
    // A SEC1 "EC PRIVATE KEY" as openssl writes it, not a PKCS#8 key from node:crypto.
    execFileSync('openssl', ['ecparam', '-name', 'secp384r1', '-genkey', '-noout', '-out', sec1]);
    execFileSync('openssl', ['ec', '-in', sec1, '-pubout', '-out', pub], { stdio: 'ignore' });
    const publicKeyPem = readFileSync(pub, 'utf8');
    const privateKeyPem = readFileSync(sec1, 'utf8');
    expect(privateKeyPem).toMatch(/BEGIN EC PRIVATE KEY/);
    await call(env.handlers, 'trust:add', { name: 'openssl-p384', publicKeyPem, role: 'publisher' }, ctx);
    const keyId = keyIdOf(createPublicKey(publicKeyPem));
    const file = await signedBundle(env.root, { privateKeyPem, publicKeyPem, keyId }, { name: 'ossl' });
    expect((await call(env.handlers, 'models:import', { path: file }, ctx)).installed).toBe(1);

    const envelope = envelopeOf(await readTar(file));
    const sig = envelope.signatures.find((s) => s.keyid === keyId)!;
    const data = join(env.root, 'pae.bin');
    const der = join(env.root, 'sig.der');
    writeFileSync(data, pae(envelope.payloadType, Buffer.from(envelope.payload, 'base64')));
    writeFileSync(der, Buffer.from(sig.sig, 'base64'));
    const out = execFileSync('openssl', ['dgst', '-sha384', '-verify', pub, '-signature', der, data]);
    expect(out.toString()).toMatch(/Verified OK/);
  });

  it('an ECDSA signature with one byte changed → SIGNATURE_INVALID, nothing installed', async () => {
    const key = generateSigningKey('ec-p256');
    await call(
      env.handlers,
      'trust:add',
      { name: 'hsm', publicKeyPem: key.publicKeyPem, role: 'publisher' },
      ctx,
    );
    const file = await signedBundle(env.root, key, { name: 'flipped' });
    const entries = await readTar(file);
    const envelope = envelopeOf(entries);
    const signatures = envelope.signatures.map((s) => {
      if (s.keyid !== key.keyId) return s;
      const raw = Buffer.from(s.sig, 'base64');
      raw[raw.length - 5]! ^= 0x01;
      return { ...s, sig: raw.toString('base64') };
    });
    await writeTar(file, withEnvelope(entries, { ...envelope, signatures }));
    const before = snapshot(env);
    const audit = auditRows(env).length;
    const report = await call(env.handlers, 'models:import', { path: file }, ctx);
    expect(report.installed).toBe(0);
    expect(report.items[0]!.error?.code).toBe('SIGNATURE_INVALID');
    expect(snapshot(env)).toEqual(before);
    expect(auditRows(env).length).toBe(audit + 1);
  });

  it('an EC key on a curve Airlock does not use (secp256k1) → KEY_INVALID, nothing changed', async () => {
    const pem = generateKeyPairSync('ec', { namedCurve: 'secp256k1' })
      .publicKey.export({ type: 'spki', format: 'pem' })
      .toString();
    const before = snapshot(env);
    const audit = auditRows(env).length;
    const error = await call(
      env.handlers,
      'trust:add',
      { name: 'k1', publicKeyPem: pem, role: 'publisher' },
      ctx,
    ).then(
      () => ({ code: 'none', message: 'accepted' }),
      (e: unknown) => e as Error & { code: string },
    );
    expect(error.code).toBe('KEY_INVALID');
    expect(error.message).toMatch(
      /EC key on curve secp256k1; Airlock verifies Ed25519 keys and ECDSA keys on P-256/,
    );
    expect(snapshot(env)).toEqual(before);
    expect(auditRows(env)).toHaveLength(audit);
  });
});
