import type { Airlock } from '../airlock.js';
import { allowDowngrade, applyPolicy, importRevocations } from '../policy/actions.js';
import type { Handler } from './handlers.js';

type PolicyChannel =
  'policy:show' | 'policy:apply' | 'policy:allow-downgrade' | 'revocations:list' | 'revocations:import';

/** Handlers of the facility trust policy channels (runtime/contract/policy.ts). */
export function createPolicyHandlers(airlock: Airlock): { [K in PolicyChannel]: Handler<K> } {
  return {
    'policy:show': async () => ({ current: airlock.policy.current(), history: airlock.policy.history() }),
    'policy:apply': async (req, ctx) => applyPolicy(airlock, ctx.actor, req.path),
    'policy:allow-downgrade': async (req, ctx) => allowDowngrade(airlock, ctx.actor, req.name, req.version),
    'revocations:list': async () => airlock.policy.revocations(),
    'revocations:import': async (req, ctx) => importRevocations(airlock, ctx.actor, req.path),
  };
}
