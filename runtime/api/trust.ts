import type { Airlock } from '../airlock.js';
import type { trustChannels } from '../contract/trust.js';
import type { DomainHandlers } from './handler.js';

export function trustHandlers(airlock: Airlock): DomainHandlers<typeof trustChannels> {
  const { trust, audit } = airlock;
  return {
    'trust:list': async () => trust.list(),
    'trust:add': async (req, ctx) =>
      audit.recorded(ctx.actor, () => {
        const key = trust.add(req, ctx.actor.name, airlock.now());
        return {
          result: key,
          event: {
            action: 'trust.key.add',
            target: key.name,
            outcome: 'success',
            details: { keyId: key.keyId, role: key.role },
          },
        };
      }),
    'trust:remove': async (req, ctx) =>
      audit.recorded(ctx.actor, () => {
        const key = trust.remove(req.name);
        return {
          result: key,
          event: {
            action: 'trust.key.remove',
            target: key.name,
            outcome: 'success',
            details: { keyId: key.keyId, role: key.role },
          },
        };
      }),
  };
}
