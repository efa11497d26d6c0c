import type { ErrorCode, ErrorInfo } from '../../../../runtime/contract/index.js';
import './media.css';

/** What each engine error means, in words a user can act on; the engine's own text is the detail. */
const WORDS: Partial<Record<ErrorCode, string>> = {
  CANCELLED: 'Cancelled. Nothing was changed.',
  NOT_FOUND: 'That file or folder is not there.',
  IO_ERROR: 'The medium could not be read.',
  DISK_FULL: 'The disk of this computer is full.',
  PERMISSION_DENIED: 'This app is not allowed to read or write there.',
  MEDIA_NOT_FOUND: 'No medium was found there. Insert the stick again, or pick its folder.',
  MEDIA_READ_FAILED: 'The medium could not be read. Try it again or use another stick.',
  TAR_INVALID: 'The bundle file is damaged or not a bundle.',
  TAR_TRUNCATED: 'The bundle file is incomplete (cut short while copying?).',
  TAR_UNSAFE_PATH: 'The bundle contains an unsafe file name and was refused.',
  TAR_LINK_ENTRY: 'The bundle contains a link and was refused.',
  TAR_SPECIAL_ENTRY: 'The bundle contains a special file and was refused.',
  TAR_DUPLICATE_ENTRY: 'The bundle contains the same file twice and was refused.',
  TAR_LIMIT_EXCEEDED: 'The bundle is larger than this site allows.',
  ENVELOPE_MISSING: 'The bundle has no signature envelope.',
  ENVELOPE_INVALID: 'The bundle signature envelope is damaged.',
  BUNDLE_UNSIGNED: 'The bundle is not signed.',
  SIGNATURE_INVALID: 'A signature on the bundle is not valid: it was changed after signing.',
  UNTRUSTED_SIGNER: 'The bundle is signed by a key this site does not trust.',
  THRESHOLD_NOT_MET: 'Not enough trusted keys signed this bundle.',
  FILE_MISSING: 'A file listed in the bundle is missing.',
  FILE_EXTRA: 'The bundle contains a file that was not signed.',
  SIZE_MISMATCH: 'A file in the bundle has the wrong size: it was changed after signing.',
  DIGEST_MISMATCH: 'A file in the bundle was changed after it was signed.',
  CARD_INVALID: 'The model card in the bundle is not valid.',
  MODEL_INVALID: 'The model file in the bundle cannot be loaded.',
  MODEL_IO_MISMATCH: 'The model does not match what its card says.',
  MODEL_EXTERNAL_DATA: 'The model refers to data outside the bundle.',
  OMS_INVALID: 'The model signature (model.sig) is malformed.',
  OMS_UNSUPPORTED: 'The model was signed in a way Airlock does not verify (sharded or not sha256).',
  OMS_LINK: 'The signed model folder holds a link or a special file.',
  BUNDLE_EXPIRED: 'The bundle has expired.',
  ROLLBACK: 'This is an older version than one already installed (rollback refused).',
  VERSION_CONFLICT: 'A different bundle with the same version is already installed.',
  REVOKED: 'A key that signed the bundle has been revoked.',
  POLICY_INVALID: 'The site policy is not valid.',
  POLICY_OUTDATED: 'The site policy is older than the one in force.',
  AUTH_REQUIRED: 'Sign in first.',
  ROLE_FORBIDDEN: 'Your account is not allowed to do this.',
  PROVIDER_UNAVAILABLE: 'That execution provider does not work on this machine.',
  AUDIT_WRITE_FAILED: 'The audit log could not be written, so nothing was done.',
};

export function isCancelled(error: ErrorInfo | null | undefined): boolean {
  return error?.code === 'CANCELLED';
}

/** A short sentence for an engine error (never the raw library text). */
export function errorWords(error: ErrorInfo): string {
  return WORDS[error.code] ?? 'Something went wrong.';
}

/** The words, then the engine's full text and code behind "Details". */
export function ProblemText({ error, testId }: { error: ErrorInfo; testId?: string }) {
  return (
    <span className="problem" data-testid={testId}>
      <span>{errorWords(error)}</span>{' '}
      <details className="problem-details">
        <summary>Details</summary>
        <span className="problem-raw">{error.message}</span> <code className="code">{error.code}</code>
      </details>
    </span>
  );
}

/** An error where it happened; a cancel the user asked for is neutral, not red. */
export function ProblemNote({ error }: { error: ErrorInfo | null | undefined }) {
  if (!error) return null;
  if (isCancelled(error))
    return (
      <div className="note neutral" role="status" data-testid="cancelled">
        Cancelled. Nothing was changed.
      </div>
    );
  return (
    <div className="note error" role="alert" data-testid="error">
      <ProblemText error={error} />
    </div>
  );
}
