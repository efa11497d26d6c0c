import { z } from 'zod';
import { channel } from './channel.js';

export type AuditOutcome = 'success' | 'failure' | 'refused';

export interface AuditRecord {
  readonly seq: number;
  /** UTC, ISO 8601 with milliseconds. */
  readonly ts: string;
  /** Who: the account (or OS user) that acted. */
  readonly actor: string;
  /** From where: `cli:<pid>`, `app:<pid>`, ... */
  readonly source: string;
  /** On which installation (its id). */
  readonly installation: string;
  readonly action: string;
  readonly target: string;
  readonly outcome: AuditOutcome;
  readonly details: Readonly<Record<string, unknown>>;
  readonly prevHash: string;
  readonly hash: string;
}

export interface AuditVerifyReport {
  readonly ok: boolean;
  readonly count: number;
  readonly headHash: string;
  /** The first record that breaks the chain, when one does. */
  readonly firstBroken: { readonly seq: number; readonly reason: string } | null;
}

export const auditChannels = {
  'audit:list': channel<AuditRecord[]>()(
    z.object({
      afterSeq: z.number().int().nonnegative().optional(),
      beforeSeq: z.number().int().positive().optional(),
      limit: z.number().int().positive().max(10_000).default(100),
      action: z.string().max(100).optional(),
      actor: z.string().max(200).optional(),
      target: z.string().max(4096).optional(),
      outcome: z.enum(['success', 'failure', 'refused']).optional(),
      from: z.iso.datetime({ offset: true }).optional(),
      to: z.iso.datetime({ offset: true }).optional(),
      order: z.enum(['asc', 'desc']).default('desc'),
    }),
  ),
  'audit:verify': channel<AuditVerifyReport>()(z.object({})),
};

/**
 * A signed statement about the log (issue 5): "the first `treeSize` records end in `headHash` and
 * their RFC 6962 Merkle tree has root `merkleRoot`". Signed with the installation's Ed25519 key
 * over the canonical JSON of `body` (keys sorted, no spaces).
 */
export interface CheckpointBody {
  readonly type: 'airlock.audit.checkpoint/v1';
  readonly installation: string;
  readonly treeSize: number;
  readonly headHash: string;
  readonly merkleRoot: string;
  readonly ts: string;
  /** SHA-256 of the installation public key's SPKI DER (the same key id as trust keys). */
  readonly keyId: string;
}

export interface SignedCheckpoint {
  readonly body: CheckpointBody;
  /** Ed25519 signature, base64. */
  readonly signature: string;
}

export interface AuditExportReport {
  readonly dir: string;
  /** Records exported: seq fromSeq..toSeq (count 0 when the range holds none). */
  readonly fromSeq: number;
  readonly toSeq: number;
  readonly count: number;
  readonly files: readonly { readonly name: string; readonly sha256: string; readonly bytes: number }[];
  readonly checkpoint: SignedCheckpoint;
}

export interface AuditSettings {
  /** A signed checkpoint is written after this many records (and at each export and close). */
  readonly checkpointEvery: number;
  /** Records older than this many days move to a sealed archive on `audit:archive`; null keeps everything in the database. */
  readonly retentionDays: number | null;
}

export interface AuditArchiveReport {
  /** False when no record was old enough. */
  readonly archived: boolean;
  readonly fromSeq: number;
  readonly toSeq: number;
  readonly count: number;
  /** The sealed archive (an export folder with its own verify.js). */
  readonly dir: string | null;
  readonly manifestSha256: string | null;
}

export interface InclusionProof {
  readonly seq: number;
  readonly treeSize: number;
  readonly leafHash: string;
  readonly path: readonly string[];
  readonly merkleRoot: string;
}

const isoTime = z.iso.datetime({ offset: true });

export const auditExportChannels = {
  /** Writes records, signed checkpoint, public key, manifest and verify.js to `out` (must be empty or absent). */
  'audit:export': channel<AuditExportReport>()(
    z.object({
      out: z.string().min(1).max(4096),
      from: isoTime.optional(),
      to: isoTime.optional(),
      operationId: z.string().min(1).max(100).optional(),
    }),
  ),
  /** Writes a signed checkpoint over the whole log now and returns it. */
  'audit:checkpoint': channel<SignedCheckpoint>()(z.object({})),
  'audit:prove': channel<InclusionProof>()(z.object({ seq: z.number().int().positive() })),
  'audit:settings': channel<AuditSettings>()(z.object({})),
  'audit:configure': channel<AuditSettings>()(
    z.object({
      checkpointEvery: z.number().int().min(10).max(1_000_000).optional(),
      retentionDays: z.number().int().min(1).max(36_500).nullable().optional(),
    }),
  ),
  /** Moves records older than the retention setting into a sealed archive under the data directory. */
  'audit:archive': channel<AuditArchiveReport>()(
    z.object({ olderThanDays: z.number().int().min(0).max(36_500).optional() }),
  ),
};
