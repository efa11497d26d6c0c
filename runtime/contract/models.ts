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

export const modelsChannels = {
  'models:list': channel<InstalledModel[]>()(z.object({ includeDisabled: z.boolean().default(true) })),
  'models:get': channel<InstalledModel>()(z.object({ ref: modelRefSchema })),
  'models:import': channel<ImportReport>()(
    z.object({ path: z.string().min(1), operationId: z.string().min(1).max(100).optional() }),
  ),
};
