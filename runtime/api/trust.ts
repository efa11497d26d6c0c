import type { Airlock } from '../airlock.js';
import type { trustChannels } from '../contract/trust.js';
import { addTrustedKey, removeTrustedKey } from '../policy/trust-change.js';
import type { DomainHandlers } from './handler.js';

/** The trust store: listed freely; changed only while no signed policy is in force (trust-change.ts). */
export function trustHandlers(airlock: Airlock): DomainHandlers<typeof trustChannels> {
  return {
    'trust:list': async () => airlock.trust.list(),
    'trust:add': async (req, ctx) => addTrustedKey(airlock, ctx.actor, req),
    'trust:remove': async (req, ctx) => removeTrustedKey(airlock, ctx.actor, req.name),
  };
}
