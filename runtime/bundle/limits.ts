/** Bounds on what a bundle may claim, enforced while reading (before any byte is trusted). */
export interface BundleLimits {
  readonly maxEntries: number;
  readonly maxEnvelopeBytes: number;
  readonly maxFileBytes: number;
  readonly maxTotalBytes: number;
  readonly maxPathLength: number;
}

export const DEFAULT_LIMITS: BundleLimits = {
  maxEntries: 256,
  maxEnvelopeBytes: 4 * 1024 * 1024,
  maxFileBytes: 16 * 1024 ** 3,
  maxTotalBytes: 32 * 1024 ** 3,
  maxPathLength: 200,
};

export const ENVELOPE_NAME = 'envelope.json';
export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const PREDICATE_TYPE = 'https://airlock.invalid/model-card/v1';
export const BUNDLE_EXTENSION = '.airlock';
