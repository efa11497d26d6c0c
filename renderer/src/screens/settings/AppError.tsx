import type { ErrorInfo } from '../../../../runtime/contract/index.js';
import { ErrorNote } from '../../components/ui.js';

/** What to do in the app, for refusals whose engine message names a CLI command. */
const APP_HINTS: Partial<Record<ErrorInfo['code'], string>> = {
  TRUST_STORE_LOCKED:
    'In the app: Settings › Policy and revocations › apply the next signed policy (or a revocation list) that makes this change.',
  KEY_NOT_FOUND: 'In the app: the key list under Settings › Keys shows the names of the trusted keys.',
  NOT_FOUND: 'In the app: the account list under Settings › Users shows every account.',
  USAGE:
    'In the app: change an existing account’s role with the Role menu in its row under Settings › Users.',
  UNTRUSTED_SIGNER:
    'In the app: an admin adds the publisher’s key under Settings › Keys, after checking its fingerprint.',
};

/** The hint for an error, when its message points at the command line. */
export function appHint(error: ErrorInfo | null | undefined): string | null {
  if (!error || !/["`]?airlock [a-z]/.test(error.message)) return null;
  return (
    APP_HINTS[error.code] ??
    'In the app: this is done from the Settings screen; the command named above is the CLI way.'
  );
}

/** The engine's refusal in its own words, and next to it what to do in the app when it names a CLI command. */
export function AppError({ error }: { error: ErrorInfo | null | undefined }) {
  const hint = appHint(error);
  return (
    <>
      <ErrorNote error={error} />
      {hint ? (
        <p className="muted small app-hint" data-testid="app-hint">
          {hint}
        </p>
      ) : null}
    </>
  );
}
