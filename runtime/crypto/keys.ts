import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { AirlockError } from '../errors.js';

/** keyid: SHA-256 of the public key's SubjectPublicKeyInfo DER, lower-case hex. */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

export function generateSigningKey(): { privateKeyPem: string; publicKeyPem: string; keyId: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    keyId: keyIdOf(publicKey),
  };
}

export function parsePublicKey(pem: string, source = 'the public key'): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (cause) {
    throw new AirlockError(
      'KEY_INVALID',
      `${source} is not a PEM public key (${(cause as Error).message}). Use the .pub file written by "airlock keys generate".`,
      { cause },
    );
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new AirlockError(
      'KEY_INVALID',
      `${source} is a ${key.asymmetricKeyType ?? 'unknown'} key; Airlock uses Ed25519 keys. Make one with "airlock keys generate".`,
    );
  }
  return key;
}

export function parsePrivateKey(pem: string, source = 'the private key'): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (cause) {
    throw new AirlockError(
      'KEY_INVALID',
      `${source} is not a PEM private key (${(cause as Error).message}). Use the .key file written by "airlock keys generate".`,
      { cause },
    );
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new AirlockError(
      'KEY_INVALID',
      `${source} is a ${key.asymmetricKeyType ?? 'unknown'} key; Airlock signs with Ed25519. Make one with "airlock keys generate".`,
    );
  }
  return key;
}

/** Normalised PEM of a public key (so the same key always stores and compares the same). */
export function publicKeyPem(key: KeyObject): string {
  return key.export({ type: 'spki', format: 'pem' }).toString();
}
