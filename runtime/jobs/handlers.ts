import type { Airlock } from '../airlock.js';
import type { Handler } from '../api/handlers.js';
import { cancelJob, resumeJob, startJob } from './job-runner.js';
import { JobStore } from './job-store.js';

type JobsChannel = 'jobs:start' | 'jobs:list' | 'jobs:get' | 'jobs:resume' | 'jobs:cancel';

/** Handlers of the batch job channels (runtime/contract/jobs.ts). */
export function createJobsHandlers(airlock: Airlock): { [K in JobsChannel]: Handler<K> } {
  const store = new JobStore(airlock.db);
  return {
    'jobs:start': async (req, ctx) =>
      startJob(
        airlock,
        ctx.actor,
        { model: req.model, inputsDir: req.inputsDir, outFile: req.outFile, config: req.config },
        { signal: ctx.signal, onProgress: ctx.onProgress, operationId: req.operationId },
      ),
    'jobs:list': async () => store.list().map((j) => JobStore.info(j)),
    'jobs:get': async (req) => JobStore.info(store.get(req.id)),
    'jobs:resume': async (req, ctx) =>
      resumeJob(airlock, ctx.actor, req.id, {
        signal: ctx.signal,
        onProgress: ctx.onProgress,
        operationId: req.operationId,
      }),
    'jobs:cancel': async (req, ctx) => cancelJob(airlock, ctx.actor, req.id),
  };
}
