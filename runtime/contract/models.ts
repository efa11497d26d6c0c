import { z } from 'zod';
import { channel } from './channel.js';
import type { BundleFile, VerificationReport } from './bundle.js';
import type { ModelCard } from './card.js';
import type { ErrorInfo } from './errors.js';

export interface InstalledModel {
  readonly name: string;
  readonly version: string;
  readonly card: ModelCard;
  /** SHA-256 of the bundle file it came from. */
  readonly bundleSha256: string;
  readonly files: readonly BundleFile[];
  readonly signers: readonly string[];
  readonly installedAt: string;
  readonly installedBy: string;
  readonly enabled: boolean;
  /** Why the model is disabled (revoked key, admin), when it is. */
  readonly disabledReason: string | null;
}

export interface ImportItem {
  readonly path: string;
  readonly outcome: 'installed' | 'already-installed' | 'rejected';
  readonly model: { readonly name: string; readonly version: string } | null;
  readonly error: ErrorInfo | null;
  readonly verification: VerificationReport | null;
}

export interface ImportReport {
  readonly items: readonly ImportItem[];
  readonly installed: number;
  readonly rejected: number;
}

export const modelRefSchema = z.string().min(1).max(200).describe('NAME or NAME@VERSION');

/** What `models:remove` did. */
export interface RemovedModel {
  readonly name: string;
  readonly version: string;
  readonly bundleSha256: string;
  /** Store blobs deleted (files no other installed model shares). */
  readonly blobsRemoved: number;
  readonly bytesFreed: number;
  /** The version high-water mark, which removal keeps (rollback protection). */
  readonly highWater: string | null;
}

export const exactModelRefSchema = z
  .string()
  .min(3)
  .max(200)
  .regex(/^[^@]+@[^@]+$/, 'name the exact version: NAME@VERSION')
  .describe('NAME@VERSION');

export const modelsChannels = {
  'models:list': channel<InstalledModel[]>()(z.object({ includeDisabled: z.boolean().default(true) })),
  'models:get': channel<InstalledModel>()(z.object({ ref: modelRefSchema })),
  'models:import': channel<ImportReport>()(
    z.object({ path: z.string().min(1), operationId: z.string().min(1).max(100).optional() }),
  ),
  /** Admin: stop a version from running (kept installed, audited with the reason). */
  'models:disable': channel<InstalledModel>()(
    z.object({ ref: exactModelRefSchema, reason: z.string().trim().min(1).max(500) }),
  ),
  /** Admin: allow a disabled version to run again, after re-checking it against today's trust. */
  'models:enable': channel<InstalledModel>()(z.object({ ref: exactModelRefSchema })),
  /** Admin: uninstall a version; its files leave the store, the high-water mark stays. */
  'models:remove': channel<RemovedModel>()(z.object({ ref: exactModelRefSchema })),
};
