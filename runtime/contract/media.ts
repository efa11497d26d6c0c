import { z } from 'zod';
import { channel } from './channel.js';
import type { ModelCard } from './card.js';
import type { BundleSignature } from './bundle.js';
import type { ErrorInfo } from './errors.js';

/** A removable medium (USB stick, SD card) with at least one mounted file system. */
export interface Medium {
  /** OS device: /dev/sdb, \\.\PHYSICALDRIVE2, /dev/disk4. */
  readonly device: string;
  readonly description: string;
  /** Bytes, when the OS says. */
  readonly size: number | null;
  readonly mountpoints: readonly { readonly path: string; readonly label: string | null }[];
  readonly isReadOnly: boolean;
  readonly bus: 'usb' | 'card' | 'other';
}

/** What a scan says about one bundle on a medium, before anything is installed. */
export interface ScannedBundle {
  readonly path: string;
  readonly size: number;
  readonly sha256: string | null;
  readonly name: string | null;
  readonly version: string | null;
  readonly publisher: string | null;
  /** Trusted keys whose valid signatures counted (empty when refused). */
  readonly signers: readonly string[];
  readonly signatures: readonly BundleSignature[];
  readonly card: ModelCard | null;
  /** installable: every check holds; already-installed: this exact bundle is; refused: see error. */
  readonly verdict: 'installable' | 'already-installed' | 'refused';
  readonly error: ErrorInfo | null;
}

/** A signed facility policy or revocation list found on a medium (judged, not applied). */
export interface ScannedDocument {
  readonly path: string;
  readonly kind: 'policy' | 'revocations';
  /** Policy version or revocation list number (0 when unreadable). */
  readonly number: number;
  readonly signers: readonly string[];
  /** applicable: "trust policy apply" / "revocations import" would accept it now. */
  readonly verdict: 'applicable' | 'already-applied' | 'refused';
  readonly error: ErrorInfo | null;
}

export interface MediaScanReport {
  readonly mountpoint: string;
  readonly bundles: readonly ScannedBundle[];
  readonly documents: readonly ScannedDocument[];
}

export interface MediaChangedEvent {
  readonly media: readonly Medium[];
  readonly added: readonly Medium[];
  readonly removed: readonly Medium[];
}

export const mediaChannels = {
  'media:list': channel<Medium[]>()(z.object({})),
  /** Scans one mount point (or every removable medium) for bundles, read-only; installs nothing. */
  'media:scan': channel<MediaScanReport[]>()(
    z.object({
      mountpoint: z.string().min(1).max(4096).optional(),
      operationId: z.string().min(1).max(100).optional(),
    }),
  ),
};
