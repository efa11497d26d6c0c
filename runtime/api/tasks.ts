import type { Airlock } from '../airlock.js';
import type { tasksChannels } from '../contract/tasks.js';
import { AirlockError } from '../errors.js';
import type { DomainHandlers } from './handler.js';

// Placeholder while the task centre engine is built on a branch (issue 11); replaced there.
const notYet = (): never => {
  throw new AirlockError('INTERNAL', 'The task centre is not built yet.');
};

export function tasksHandlers(_airlock: Airlock): DomainHandlers<typeof tasksChannels> {
  return { 'tasks:list': async () => notYet(), 'tasks:clear': async () => notYet() };
}
