/**
 * Error codes that cross every boundary (IPC, CLI --json, tests). Match on `code`, never on
 * `instanceof` or message text. Each domain owns a block; add new codes to the block of the
 * domain that raises them.
 */
export const ERROR_CODES = [
  // generic
  'USAGE',
  'INTERNAL',
  'CANCELLED',
  'NOT_FOUND',
  'IO_ERROR',
  /** No space left on the device that holds the data directory or an output file. */
  'DISK_FULL',
  'PERMISSION_DENIED',
  // data directory and database
  /** The data directory cannot be created or used (a file where a folder should be, no access). */
  'DATA_DIR_INVALID',
  /**
   * The data directory or one of its entries is a link, is owned by another account, can be
   * written by others, or (through sudo) is not the service account's own: refused, untouched.
   */
  'DATA_DIR_UNSAFE',
  'DB_TOO_NEW',
  'DB_CORRUPT',
  // audit log
  'AUDIT_WRITE_FAILED',
  'AUDIT_CHAIN_BROKEN',
  'AUDIT_ROLLBACK',
  // keys and trust store
  'KEY_INVALID',
  'KEY_EXISTS',
  'KEY_NOT_FOUND',
  'TRUST_STORE_LOCKED',
  // bundle: tar layer (verification step 1)
  'TAR_INVALID',
  'TAR_TRUNCATED',
  'TAR_UNSAFE_PATH',
  'TAR_LINK_ENTRY',
  'TAR_SPECIAL_ENTRY',
  'TAR_DUPLICATE_ENTRY',
  'TAR_LIMIT_EXCEEDED',
  // bundle: envelope and signatures (step 2)
  'ENVELOPE_MISSING',
  'ENVELOPE_INVALID',
  'BUNDLE_UNSIGNED',
  'SIGNATURE_INVALID',
  'UNTRUSTED_SIGNER',
  'THRESHOLD_NOT_MET',
  // bundle: payload (step 3)
  'FILE_MISSING',
  'FILE_EXTRA',
  'SIZE_MISMATCH',
  'DIGEST_MISMATCH',
  // bundle: card and model (step 4)
  'CARD_INVALID',
  'MODEL_INVALID',
  'MODEL_IO_MISMATCH',
  'MODEL_EXTERNAL_DATA',
  // OpenSSF model signing (model.sig over a model folder)
  /** model.sig is not a Sigstore bundle holding one DSSE-signed model-signing statement v1.0. */
  'OMS_INVALID',
  /** A manifest kind Airlock does not verify (sharded serialization, a hash other than sha256). */
  'OMS_UNSUPPORTED',
  /** A symbolic link (or other non-regular entry) in a signed model folder. */
  'OMS_LINK',
  // policy at import
  'BUNDLE_EXPIRED',
  'ROLLBACK',
  'VERSION_CONFLICT',
  'REVOKED',
  'POLICY_INVALID',
  'POLICY_OUTDATED',
  // models and inference
  'MODEL_NOT_FOUND',
  'MODEL_DISABLED',
  'MODEL_TAMPERED',
  'INPUT_INVALID',
  'INPUT_NAME_MISMATCH',
  'INPUT_TYPE_MISMATCH',
  'INPUT_SHAPE_MISMATCH',
  'INFERENCE_FAILED',
  // accounts (issue 5)
  'AUTH_REQUIRED',
  'AUTH_FAILED',
  'ACCOUNT_LOCKED',
  'ROLE_FORBIDDEN',
  // media, hardware, bench, jobs
  'MEDIA_NOT_FOUND',
  'MEDIA_READ_FAILED',
  'PROVIDER_UNAVAILABLE',
  'JOB_NOT_FOUND',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** An error as data: what crosses IPC and what `--json` prints. */
export interface ErrorInfo {
  readonly code: ErrorCode;
  readonly message: string;
  /** Structured facts for UIs (expected vs given shapes, the failing file, ...). */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** Every call across the contract resolves to one of these (Signal's `wrapResult`). */
export type Result<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ErrorInfo };

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}
