import { createHash } from 'node:crypto';
import { z } from 'zod';
import { AirlockError } from '../errors.js';
import { IN_TOTO_PAYLOAD_TYPE, type Envelope } from '../crypto/dsse.js';
import { PREDICATE_TYPE, STATEMENT_TYPE } from './limits.js';

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 digest is 64 lower-case hex characters');

/** in-toto Statement v1 whose subjects are the payload files and whose predicate is the model card. */
export const statementSchema = z.object({
  _type: z.literal(STATEMENT_TYPE),
  subject: z
    .array(
      z.object({
        name: z.string().min(1),
        digest: z.object({ sha256: sha256Hex }).loose(),
        annotations: z.object({ size: z.number().int().nonnegative() }).loose(),
      }),
    )
    .min(1)
    .max(255),
  predicateType: z.literal(PREDICATE_TYPE),
  predicate: z.record(z.string(), z.unknown()),
});
export type Statement = z.infer<typeof statementSchema>;

/** Decodes the envelope's payload into a statement. The payload is not trusted yet: parse only. */
export function decodeStatement(envelope: Envelope): Statement {
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    throw new AirlockError(
      'ENVELOPE_INVALID',
      `The envelope's payloadType is "${envelope.payloadType}", expected "${IN_TOTO_PAYLOAD_TYPE}". This is not an Airlock bundle; ask the publisher for a bundle made with "airlock bundle create".`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8'));
  } catch (cause) {
    throw new AirlockError(
      'ENVELOPE_INVALID',
      'The envelope payload is not JSON. The bundle is damaged; ask the publisher for a new copy.',
      { cause },
    );
  }
  const parsed = statementSchema.safeParse(json);
  if (!parsed.success) {
    throw new AirlockError(
      'ENVELOPE_INVALID',
      `The envelope payload is not an Airlock in-toto statement: ${z.prettifyError(parsed.error)}. Ask the publisher for a bundle made with "airlock bundle create".`,
      { cause: parsed.error },
    );
  }
  const names = new Set<string>();
  for (const s of parsed.data.subject) {
    if (names.has(s.name))
      throw new AirlockError(
        'ENVELOPE_INVALID',
        `The statement lists "${s.name}" twice. The bundle is malformed; ask the publisher for a new one.`,
      );
    names.add(s.name);
  }
  return parsed.data;
}

export function encodeStatement(statement: Statement): string {
  return Buffer.from(JSON.stringify(statement), 'utf8').toString('base64');
}

/**
 * SHA-256 of a bundle's signed statement (the decoded DSSE payload). Unlike the file digest it
 * survives re-signing and repacking, so a revoked bundle stays revoked under either.
 */
export function statementDigest(envelope: Pick<Envelope, 'payload'>): string {
  return createHash('sha256').update(Buffer.from(envelope.payload, 'base64')).digest('hex');
}
