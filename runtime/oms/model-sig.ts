import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Envelope } from '../crypto/dsse.js';
import { IN_TOTO_PAYLOAD_TYPE } from '../crypto/dsse.js';
import { AirlockError } from '../errors.js';
import { jsonProblem, parserDetail } from '../util/json-problem.js';

/**
 * OpenSSF model signing (sigstore/model-transparency, signature format v1.0): `model.sig` is a
 * Sigstore bundle (media type v0.3) whose DSSE envelope signs one in-toto Statement v1 with
 * predicate type https://model_signing/signature/v1.0. `predicate.resources` lists every file of
 * the model folder (POSIX path, algorithm, hex digest); the single subject's sha256 is SHA-256
 * over the concatenated raw digests of the resources in name order; `predicate.serialization`
 * says how the files were hashed. This file parses and checks that structure; nothing here is
 * trusted until a signature over the envelope verifies (runtime/admission/gate.ts).
 */
export const OMS_BUNDLE_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
export const OMS_STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const OMS_PREDICATE_TYPE = 'https://model_signing/signature/v1.0';
/** A model.sig is a few KiB per thousand files; anything over this is refused unread. */
export const MAX_MODEL_SIG_BYTES = 16 * 1024 * 1024;
export const MAX_OMS_RESOURCES = 100_000;

const hex = z.string().regex(/^[0-9a-f]+$/i, 'a digest is hexadecimal');
const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'standard base64');

const bundleSchema = z.object({
  mediaType: z.string(),
  verificationMaterial: z
    .object({
      publicKey: z
        .object({ hint: z.string().max(200).optional() })
        .loose()
        .optional(),
      x509CertificateChain: z
        .object({
          certificates: z
            .array(z.object({ rawBytes: base64 }).loose())
            .min(1)
            .max(10),
        })
        .loose()
        .optional(),
      certificate: z.object({ rawBytes: base64 }).loose().optional(),
      tlogEntries: z.array(z.unknown()).max(64).optional(),
    })
    .loose(),
  dsseEnvelope: z.object({
    payload: base64,
    payloadType: z.string(),
    signatures: z.array(z.object({ sig: base64.min(1), keyid: z.string().max(200).optional() }).loose()),
  }),
});
export type OmsBundle = z.infer<typeof bundleSchema>;

const serializationSchema = z
  .object({
    method: z.string(),
    hash_type: z.string(),
    allow_symlinks: z.union([z.boolean(), z.string()]).optional(),
    ignore_paths: z.array(z.string().max(4096)).max(10_000).optional(),
    shard_size: z.number().optional(),
  })
  .loose();

const statementSchema = z.object({
  _type: z.literal(OMS_STATEMENT_TYPE),
  subject: z
    .array(
      z.object({ name: z.string().max(4096), digest: z.object({ sha256: hex.length(64) }).loose() }).loose(),
    )
    .length(1, 'a model-signing statement has exactly one subject'),
  predicateType: z.literal(OMS_PREDICATE_TYPE),
  predicate: z
    .object({
      serialization: serializationSchema,
      resources: z
        .array(z.object({ name: z.string().min(1).max(4096), algorithm: z.string(), digest: hex }).loose())
        .max(MAX_OMS_RESOURCES),
    })
    .loose(),
});
export type OmsStatement = z.infer<typeof statementSchema>;

/** How a signed model folder was hashed, as the signed statement says. */
export interface OmsManifest {
  readonly modelName: string;
  /** The subject's sha256: one digest that names the whole signed folder. */
  readonly rootDigest: string;
  /** Signed files by POSIX path: their sha256 (lower-case hex). */
  readonly files: ReadonlyMap<string, string>;
  /** Paths (files or folders) the signer left out on purpose. */
  readonly ignorePaths: readonly string[];
}

function invalid(message: string, details: Record<string, unknown> = {}): AirlockError {
  return new AirlockError('OMS_INVALID', message, { details });
}

/** Parses model.sig text into its bundle and the DSSE envelope it carries (nothing verified). */
export function parseModelSig(text: string, file = 'model.sig'): { bundle: OmsBundle; envelope: Envelope } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new AirlockError(
      'OMS_INVALID',
      `${file} is not a model signature: ${jsonProblem(cause)}. Ask the publisher for the model.sig written by "model_signing sign".`,
      { cause, details: { file, ...parserDetail(cause) } },
    );
  }
  const parsed = bundleSchema.safeParse(json);
  if (!parsed.success)
    throw invalid(
      `${file} is not a Sigstore bundle holding a DSSE envelope (${z.prettifyError(parsed.error).split('\n')[0]}). Ask the publisher for the model.sig written by "model_signing sign".`,
      { file },
    );
  const bundle = parsed.data;
  if (bundle.mediaType !== OMS_BUNDLE_MEDIA_TYPE)
    throw invalid(
      `${file} is a Sigstore bundle of media type "${bundle.mediaType}"; OpenSSF model signatures v1.0 are "${OMS_BUNDLE_MEDIA_TYPE}". Ask the publisher to sign with model_signing 1.0 or later.`,
      { file, mediaType: bundle.mediaType },
    );
  const { dsseEnvelope } = bundle;
  if (dsseEnvelope.signatures.length !== 1)
    throw invalid(
      `${file} carries ${dsseEnvelope.signatures.length} signatures; an OpenSSF model signature carries exactly one. Ask the publisher for a new model.sig.`,
      { file },
    );
  if (dsseEnvelope.payloadType !== IN_TOTO_PAYLOAD_TYPE)
    throw invalid(
      `${file} signs a payload of type "${dsseEnvelope.payloadType}", not an in-toto statement. Ask the publisher for a new model.sig.`,
      { file },
    );
  return {
    bundle,
    envelope: {
      payloadType: dsseEnvelope.payloadType,
      payload: dsseEnvelope.payload,
      signatures: dsseEnvelope.signatures.map((s) => ({ keyid: s.keyid ?? '', sig: s.sig })),
    },
  };
}

/**
 * The manifest the signed statement describes, checked for consistency: the predicate type, one
 * subject whose digest is SHA-256 over the raw resource digests in name order, resources sorted and
 * unique, each a relative POSIX path, and a serialization Airlock verifies ("files" with sha256;
 * anything else is OMS_UNSUPPORTED, never accepted unchecked).
 */
export function omsManifest(envelope: Envelope): OmsManifest {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8'));
  } catch (cause) {
    throw invalid(
      'The signed payload of model.sig is not JSON. Ask the publisher for a new model.sig.',
      parserDetail(cause),
    );
  }
  const parsed = statementSchema.safeParse(json);
  if (!parsed.success)
    throw invalid(
      `The signed payload of model.sig is not a model-signing statement v1.0 (${z.prettifyError(parsed.error).split('\n')[0]}). Ask the publisher to sign with model_signing 1.0 or later.`,
    );
  const { subject, predicate } = parsed.data;
  const { serialization } = predicate;
  if (serialization.method !== 'files' || serialization.hash_type !== 'sha256')
    throw new AirlockError(
      'OMS_UNSUPPORTED',
      `The model was signed with the "${serialization.method}" serialization and ${serialization.hash_type} hashes; Airlock verifies model signatures made file by file with sha256 ("model_signing sign --hash_type sha256", without sharding). It was not accepted; ask the publisher to sign it that way.`,
      { details: { method: serialization.method, hashType: serialization.hash_type } },
    );
  const files = new Map<string, string>();
  const hash = createHash('sha256');
  let previous: string | null = null;
  for (const r of predicate.resources) {
    if (r.algorithm !== 'sha256' || r.digest.length !== 64)
      throw new AirlockError(
        'OMS_UNSUPPORTED',
        `The signed file "${r.name}" is hashed with ${r.algorithm}; Airlock verifies sha256 digests only. Ask the publisher to sign with --hash_type sha256.`,
        { details: { file: r.name, algorithm: r.algorithm } },
      );
    if (!isSafeRelativePath(r.name))
      throw invalid(
        `The signed manifest names "${r.name}", which is not a relative path inside the model folder. The signature is malformed or hostile; do not use this model.`,
        { file: r.name },
      );
    if (previous !== null && !(previous < r.name))
      throw invalid(
        `The signed manifest lists "${r.name}" ${previous === r.name ? 'twice' : 'out of name order'}. The signature is malformed; ask the publisher for a new model.sig.`,
        { file: r.name },
      );
    previous = r.name;
    const digest = r.digest.toLowerCase();
    files.set(r.name, digest);
    hash.update(Buffer.from(digest, 'hex'));
  }
  const root = hash.digest('hex');
  const claimed = subject[0]!.digest.sha256.toLowerCase();
  if (root !== claimed)
    throw invalid(
      `The signed manifest is inconsistent: its subject digest ${claimed.slice(0, 16)}… is not the digest of its file list (${root.slice(0, 16)}…). The signature is malformed or was edited; do not use this model.`,
      { claimed, computed: root },
    );
  return {
    modelName: subject[0]!.name,
    rootDigest: root,
    files,
    ignorePaths: serialization.ignore_paths ?? [],
  };
}

/** A relative POSIX path of non-empty segments, none "." or "..", no backslash or NUL. */
export function isSafeRelativePath(path: string): boolean {
  if (path.startsWith('/') || path.includes('\\') || path.includes('\u0000')) return false;
  return path.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}

/**
 * The hint OpenSSF model signing puts into `verificationMaterial.publicKey.hint`: the lower-case
 * hex SHA-256 of the public key's PEM text (SubjectPublicKeyInfo, as PEM encoders write it).
 */
export function publicKeyHint(publicKeyPem: string): string {
  return createHash('sha256').update(publicKeyPem, 'utf8').digest('hex');
}
