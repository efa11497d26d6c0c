import type { Airlock } from '../airlock.js';
import type { policyChannels } from '../contract/policy.js';
import { applyPolicy } from '../policy/apply.js';
import { allowDowngrade } from '../policy/downgrade.js';
import { importRevocations } from '../policy/revocations.js';
import type { DomainHandlers } from './handler.js';

/** The facility trust policy, downgrade allowances and revocation lists (contract/policy.ts). */
export function policyHandlers(airlock: Airlock): DomainHandlers<typeof policyChannels> {
  const { policy } = airlock;
  return {
    'policy:show': async () => ({ current: policy.current(), history: policy.history() }),
    'policy:apply': async (req, ctx) => applyPolicy(airlock, ctx.actor, req.path),
    'policy:allow-downgrade': async (req, ctx) => allowDowngrade(airlock, ctx.actor, req.name, req.version),
    'revocations:list': async () => policy.revocations(),
    'revocations:import': async (req, ctx) => importRevocations(airlock, ctx.actor, req.path),
  };
}
