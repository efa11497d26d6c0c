import type { Airlock } from '../airlock.js';
import type { tasksChannels } from '../contract/tasks.js';
import type { DomainHandlers } from './handler.js';

/** The task centre: long work of this engine run (runtime/tasks/registry.ts). */
export function tasksHandlers(airlock: Airlock): DomainHandlers<typeof tasksChannels> {
  const { tasks } = airlock;
  return {
    'tasks:list': async (_req, ctx) => tasks.list(ctx.actor),
    'tasks:clear': async (_req, ctx) => ({ cleared: tasks.clear(ctx.actor) }),
  };
}
