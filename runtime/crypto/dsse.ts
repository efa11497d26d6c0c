import { sign, verify, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { keyIdOf, signatureHash } from './keys.js';

/** DSSE v1 envelope (https://github.com/secure-systems-lab/dsse). */
export const envelopeSchema = z.object({
  payloadType: z.string().min(1),
  payload: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'payload must be standard base64'),
  signatures: z.array(z.object({ keyid: z.string(), sig: z.string().min(1) })).max(64),
});
export type Envelope = z.infer<typeof envelopeSchema>;

export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

/** Pre-authentication encoding: "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body. */
export function pae(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `, 'utf8'),
    type,
    Buffer.from(` ${payload.length} `, 'utf8'),
    payload,
  ]);
}

export function signEnvelope(envelope: Envelope, privateKey: KeyObject, publicKey: KeyObject): Envelope {
  const payload = Buffer.from(envelope.payload, 'base64');
  const sig = sign(signatureHash(privateKey), pae(envelope.payloadType, payload), privateKey).toString(
    'base64',
  );
  const keyid = keyIdOf(publicKey);
  return {
    ...envelope,
    signatures: [...envelope.signatures.filter((s) => s.keyid !== keyid), { keyid, sig }],
  };
}

export function verifySignature(
  envelope: Envelope,
  signature: { sig: string },
  publicKey: KeyObject,
): boolean {
  try {
    const payload = Buffer.from(envelope.payload, 'base64');
    return verify(
      signatureHash(publicKey),
      pae(envelope.payloadType, payload),
      publicKey,
      Buffer.from(signature.sig, 'base64'),
    );
  } catch {
    return false;
  }
}
