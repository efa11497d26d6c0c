import { z } from 'zod';
import { channel } from './channel.js';
import type { ModelCard } from './card.js';
import type { ErrorInfo } from './errors.js';

export interface BundleFile {
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
}

export interface BundleSignature {
  readonly keyId: string;
  /** Name of the trust-store key with this id, or null when the key is not trusted here. */
  readonly trustedAs: string | null;
  /** Whether the signature verifies; null when the key is unknown (it cannot be checked). */
  readonly valid: boolean | null;
}

/** What `bundle inspect` shows: read from the envelope without a trust decision. */
export interface BundleInspection {
  readonly path: string;
  readonly size: number;
  /** SHA-256 of the whole bundle file. */
  readonly sha256: string;
  readonly card: ModelCard;
  readonly files: readonly BundleFile[];
  readonly signatures: readonly BundleSignature[];
}

/** A verification verdict: either every check held, or the first failure with its code. */
export interface VerificationReport {
  readonly path: string;
  readonly ok: boolean;
  readonly sha256: string | null;
  readonly size: number;
  readonly card: ModelCard | null;
  readonly files: readonly BundleFile[];
  readonly signatures: readonly BundleSignature[];
  /** Names of trusted keys whose valid signatures counted. */
  readonly signers: readonly string[];
  readonly error: ErrorInfo | null;
}

export const bundleChannels = {
  'bundle:inspect': channel<BundleInspection>()(z.object({ path: z.string().min(1) })),
  'bundle:verify': channel<VerificationReport>()(z.object({ path: z.string().min(1) })),
};
