import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { envelopeSchema, signEnvelope, verifySignature, type Envelope } from '../crypto/dsse.js';
import { parsePrivateKey } from '../crypto/keys.js';
import { AirlockError } from '../errors.js';
import { readRegularFile } from '../util/read-file.js';
import { tempNameBeside } from '../util/temp-name.js';
import { jsonProblem, parserDetail } from '../util/json-problem.js';

/** Policies and revocation lists are small JSON files; anything bigger is refused unread. */
export const MAX_SIGNED_DOCUMENT_BYTES = 4 * 1024 * 1024;

export interface SignedDocument<T> {
  readonly envelope: Envelope;
  readonly document: T;
  /** SHA-256 of the file's bytes. */
  readonly sha256: string;
}

/** Wraps a document (already validated) in an unsigned DSSE envelope. */
export function envelopeFor(payloadType: string, document: unknown): Envelope {
  return {
    payloadType,
    payload: Buffer.from(JSON.stringify(document), 'utf8').toString('base64'),
    signatures: [],
  };
}

export async function writeEnvelope(path: string, envelope: Envelope): Promise<void> {
  const tmp = tempNameBeside(path);
  try {
    await writeFile(tmp, JSON.stringify(envelope, null, 2) + '\n', { mode: 0o644, flag: 'wx' });
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

/**
 * Parses a signed document file: envelope shape, payload type, then the document schema. Read
 * through the one checked reader (util/read-file.ts): a regular file only, its size checked on
 * the open descriptor before reading and no more than the limit + 1 bytes read, so a link to
 * /dev/zero or a FIFO is refused at once (POLICY_INVALID) instead of growing or hanging. The path
 * is one a person named (a picker, "airlock trust policy apply FILE"), so a link is followed to
 * what it points at, which must itself pass those checks.
 */
export async function readSignedDocument<S extends z.ZodType>(
  path: string,
  payloadType: string,
  schema: S,
  what: string,
): Promise<SignedDocument<z.output<S>>> {
  const bytes = await readRegularFile(path, {
    maxBytes: MAX_SIGNED_DOCUMENT_BYTES,
    what,
    followLinks: true,
    missingCode: 'NOT_FOUND',
    invalidCode: 'POLICY_INVALID',
  });
  return parseSignedDocument(bytes, payloadType, schema, what);
}

export function parseSignedDocument<S extends z.ZodType>(
  bytes: Buffer,
  payloadType: string,
  schema: S,
  what: string,
): SignedDocument<z.output<S>> {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (cause) {
    throw new AirlockError(
      'POLICY_INVALID',
      `The ${what} is not JSON: ${jsonProblem(cause)}. Ask the facility admin for the signed file as written by Airlock.`,
      { cause, details: parserDetail(cause) },
    );
  }
  const envelope = envelopeSchema.safeParse(json);
  if (!envelope.success)
    throw new AirlockError(
      'POLICY_INVALID',
      `The ${what} is not a DSSE envelope: ${z.prettifyError(envelope.error)}.`,
      { cause: envelope.error },
    );
  if (envelope.data.payloadType !== payloadType) {
    throw new AirlockError(
      'POLICY_INVALID',
      `This file's payloadType is "${envelope.data.payloadType}", not a ${what} ("${payloadType}"). Check you picked the right file.`,
    );
  }
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(envelope.data.payload, 'base64').toString('utf8'));
  } catch (cause) {
    throw new AirlockError('POLICY_INVALID', `The ${what}'s payload is not JSON; the file is damaged.`, {
      cause,
    });
  }
  const document = schema.safeParse(payload);
  if (!document.success)
    throw new AirlockError(
      'POLICY_INVALID',
      `The ${what} is not valid: ${z.prettifyError(document.error)}.`,
      { cause: document.error },
    );
  return {
    envelope: envelope.data,
    document: document.data as z.output<S>,
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
}

/** Adds (or replaces) one signature by this private key; the payload is left byte for byte. */
export function signDocumentEnvelope(envelope: Envelope, privateKeyPem: string): Envelope {
  const key = parsePrivateKey(privateKeyPem);
  return signEnvelope(envelope, key, createPublicKey(key));
}

/**
 * Counts distinct admin keys (not revoked) with valid signatures; refuses below the threshold.
 * Returns the names of the keys that counted.
 */
export function checkAdminSignatures(
  envelope: Envelope,
  admins: ReadonlyMap<string, { readonly name: string; readonly key: KeyObject }>,
  revoked: ReadonlySet<string>,
  threshold: number,
  what: string,
): string[] {
  if (envelope.signatures.length === 0) {
    throw new AirlockError(
      'BUNDLE_UNSIGNED',
      `The ${what} carries no signature. A facility admin signs it with "airlock ${what === 'trust policy' ? 'trust policy' : 'revocations'} sign FILE --key ADMIN.key".`,
    );
  }
  const counted = new Map<string, string>();
  let invalid: string | null = null;
  for (const s of envelope.signatures) {
    const admin = admins.get(s.keyid);
    if (!admin || revoked.has(s.keyid)) continue;
    if (verifySignature(envelope, s, admin.key)) counted.set(s.keyid, admin.name);
    else invalid = admin.name;
  }
  const names = [...counted.values()];
  if (names.length >= threshold) return names;
  if (invalid) {
    throw new AirlockError(
      'SIGNATURE_INVALID',
      `The signature by admin key "${invalid}" does not match the ${what}: it was changed after signing. Do not apply it; ask the admin to sign it again.`,
      { details: { key: invalid } },
    );
  }
  if (names.length === 0) {
    throw new AirlockError(
      'UNTRUSTED_SIGNER',
      `No facility admin key of this installation signed the ${what}. Admin keys are added with "airlock trust add PUBFILE --name NAME --role admin"; publisher keys cannot sign a ${what}.`,
      {
        details: { keyIds: envelope.signatures.map((s) => s.keyid) },
      },
    );
  }
  throw new AirlockError(
    'THRESHOLD_NOT_MET',
    `The ${what} has ${names.length} admin signature(s) (${names.join(', ')}) but the current policy requires ${threshold}. Ask another admin to co-sign it.`,
    { details: { signers: names, threshold } },
  );
}
