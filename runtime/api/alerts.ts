import type { Airlock } from '../airlock.js';
import type { alertsChannels } from '../contract/alerts.js';
import type { DomainHandlers } from './handler.js';

/** Alerts: refusals, failures and integrity findings no one has acknowledged (runtime/audit/alerts.ts). */
export function alertsHandlers(airlock: Airlock): DomainHandlers<typeof alertsChannels> {
  const { alerts } = airlock;
  return {
    'alerts:list': async (req) => alerts.list(req.limit),
    'alerts:ack': async (req, ctx) => ({ acknowledged: alerts.ack(ctx.actor, req.seqs) }),
  };
}
