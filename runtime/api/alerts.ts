import type { Airlock } from '../airlock.js';
import type { alertsChannels } from '../contract/alerts.js';
import { AirlockError } from '../errors.js';
import type { DomainHandlers } from './handler.js';

// Placeholder while alerts are built on a branch (issue 11); replaced there.
const notYet = (): never => {
  throw new AirlockError('INTERNAL', 'Alerts are not built yet.');
};

export function alertsHandlers(_airlock: Airlock): DomainHandlers<typeof alertsChannels> {
  return { 'alerts:list': async () => notYet(), 'alerts:ack': async () => notYet() };
}
