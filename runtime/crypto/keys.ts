import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { AirlockError } from '../errors.js';
import { readRegularText } from '../util/read-file.js';

/** A PEM key file is well under 1 KiB; anything over this is no key and is refused unread. */
export const MAX_KEY_FILE_BYTES = 64 * 1024;

/**
 * Reads a key file a person named ("airlock trust add PUBFILE", "--key KEYFILE") through the one
 * checked reader: a regular file of at most MAX_KEY_FILE_BYTES (KEY_INVALID otherwise: a FIFO,
 * device or huge file is never read into memory), following a link the person chose.
 */
export async function readKeyFile(path: string, what: string): Promise<string> {
  return readRegularText(path, {
    maxBytes: MAX_KEY_FILE_BYTES,
    what,
    followLinks: true,
    missingCode: 'NOT_FOUND',
    invalidCode: 'KEY_INVALID',
  });
}

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
      `${source} is not a PEM public key: its "-----BEGIN PUBLIC KEY-----" block is missing or cannot be decoded. Use the .pub file written by "airlock keys generate".`,
      { cause, details: { parser: (cause as Error).message } },
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
      `${source} is not a PEM private key: its "-----BEGIN PRIVATE KEY-----" block is missing, encrypted or cannot be decoded. Use the .key file written by "airlock keys generate".`,
      { cause, details: { parser: (cause as Error).message } },
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
