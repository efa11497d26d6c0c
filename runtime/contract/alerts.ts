import { z } from 'zod';
import { channel } from './channel.js';

/**
 * Alerts: audit records that need a person's attention (refusals, failures, integrity findings)
 * until someone acknowledges them. The acknowledgement is itself an audit record (`alert.ack`,
 * naming the records), so who saw what, and when, is provable.
 */
export interface AlertInfo {
  /** The audit record's sequence number. */
  readonly seq: number;
  readonly ts: string;
  readonly actor: string;
  readonly action: string;
  readonly target: string;
  readonly outcome: string;
  /** One line for a person: what happened. */
  readonly message: string;
}

export const alertsChannels = {
  /** Unacknowledged alerts, newest first (at most `limit`), and how many there are in all. */
  'alerts:list': channel<{ alerts: AlertInfo[]; total: number }>()(
    z.object({ limit: z.number().int().min(1).max(500).default(50) }),
  ),
  /** Acknowledges these alerts (audited as one `alert.ack` record); unknown or already acknowledged ones are ignored. */
  'alerts:ack': channel<{ acknowledged: number }>()(
    z.object({ seqs: z.array(z.number().int().min(1)).min(1).max(500) }),
  ),
};
