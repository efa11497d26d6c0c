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
      order: z.enum(['asc', 'desc']).default('desc'),
    }),
  ),
  'audit:verify': channel<AuditVerifyReport>()(z.object({})),
};
