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

/** The signing key kinds Airlock accepts: Ed25519 (its default) and ECDSA on the NIST curves (HSMs). */
export const KEY_TYPES = ['ed25519', 'ec-p256', 'ec-p384', 'ec-p521'] as const;
export type KeyType = (typeof KEY_TYPES)[number];

const CURVES: Readonly<Record<string, { type: KeyType; hash: 'sha256' | 'sha384' | 'sha512' }>> = {
  prime256v1: { type: 'ec-p256', hash: 'sha256' },
  secp384r1: { type: 'ec-p384', hash: 'sha384' },
  secp521r1: { type: 'ec-p521', hash: 'sha512' },
};
const CURVE_OF: Readonly<Record<Exclude<KeyType, 'ed25519'>, string>> = {
  'ec-p256': 'prime256v1',
  'ec-p384': 'secp384r1',
  'ec-p521': 'secp521r1',
};

/** The kind of a key, or null when Airlock does not sign or verify with keys of its kind. */
export function keyTypeOf(key: KeyObject): KeyType | null {
  if (key.asymmetricKeyType === 'ed25519') return 'ed25519';
  if (key.asymmetricKeyType !== 'ec') return null;
  return CURVES[key.asymmetricKeyDetails?.namedCurve ?? '']?.type ?? null;
}

/**
 * The digest a signature by this key is made over: none for Ed25519 (it hashes itself), and by
 * curve for ECDSA as in FIPS 186-5 and the OpenSSF model-signing spec (P-256 SHA-256, P-384
 * SHA-384, P-521 SHA-512); ECDSA signatures are DER-encoded.
 */
export function signatureHash(key: KeyObject): 'sha256' | 'sha384' | 'sha512' | null {
  if (key.asymmetricKeyType !== 'ec') return null;
  return CURVES[key.asymmetricKeyDetails?.namedCurve ?? '']?.hash ?? null;
}

export function generateSigningKey(type: KeyType = 'ed25519'): {
  privateKeyPem: string;
  publicKeyPem: string;
  keyId: string;
} {
  const { privateKey, publicKey } =
    type === 'ed25519'
      ? generateKeyPairSync('ed25519')
      : generateKeyPairSync('ec', { namedCurve: CURVE_OF[type] });
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    keyId: keyIdOf(publicKey),
  };
}

function kindName(key: KeyObject): string {
  if (key.asymmetricKeyType === 'ec')
    return `EC key on curve ${key.asymmetricKeyDetails?.namedCurve ?? 'unknown'}`;
  return `${key.asymmetricKeyType ?? 'unknown'} key`;
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
  if (keyTypeOf(key) === null) {
    throw new AirlockError(
      'KEY_INVALID',
      `${source} is an ${kindName(key)}; Airlock verifies Ed25519 keys and ECDSA keys on P-256, P-384 or P-521. Make one with "airlock keys generate".`,
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
  if (keyTypeOf(key) === null) {
    throw new AirlockError(
      'KEY_INVALID',
      `${source} is an ${kindName(key)}; Airlock signs with Ed25519 keys and ECDSA keys on P-256, P-384 or P-521. Make one with "airlock keys generate".`,
    );
  }
  return key;
}

/** Normalised PEM of a public key (so the same key always stores and compares the same). */
export function publicKeyPem(key: KeyObject): string {
  return key.export({ type: 'spki', format: 'pem' }).toString();
}
