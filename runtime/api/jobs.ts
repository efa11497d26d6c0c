import type { Airlock } from '../airlock.js';
import type { jobsChannels } from '../contract/jobs.js';
import { jobFailures } from '../jobs/job-failures.js';
import { JobStore } from '../jobs/job-store.js';
import type { DomainHandlers } from './handler.js';

export function jobsHandlers(airlock: Airlock): DomainHandlers<typeof jobsChannels> {
  const { jobs, jobStore } = airlock;
  return {
    'jobs:start': async (req, ctx) =>
      jobs.start(
        ctx.actor,
        { model: req.model, inputsDir: req.inputsDir, outFile: req.outFile, config: req.config },
        { signal: ctx.signal, onProgress: ctx.onProgress, operationId: req.operationId },
      ),
    'jobs:list': async () => jobStore.list().map((j) => JobStore.info(j)),
    'jobs:get': async (req) => {
      const record = jobStore.get(req.id);
      const failures =
        record.failed > 0 ? await jobFailures(record.outFile, record.format, record.committedBytes) : [];
      return { ...JobStore.info(record), failures };
    },
    'jobs:resume': async (req, ctx) =>
      jobs.resume(ctx.actor, req.id, {
        signal: ctx.signal,
        onProgress: ctx.onProgress,
        operationId: req.operationId,
      }),
    'jobs:cancel': async (req, ctx) => jobs.cancel(ctx.actor, req.id),
  };
}
