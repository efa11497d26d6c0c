import type { Airlock } from '../airlock.js';
import type { benchChannels } from '../contract/bench.js';
import { runBench } from '../bench/run-bench.js';
import { AirlockError } from '../errors.js';
import type { DomainHandlers } from './handler.js';
import { tracked } from './tracked.js';

function splitRef(ref: string | undefined): { name?: string; version?: string } {
  if (!ref) return {};
  const at = ref.indexOf('@');
  return at < 0 ? { name: ref } : { name: ref.slice(0, at), version: ref.slice(at + 1) };
}

export function benchHandlers(airlock: Airlock): DomainHandlers<typeof benchChannels> {
  const { benchResults, tuned } = airlock;
  return {
    'bench:run': async (req, ctx) =>
      tracked(
        airlock,
        ctx,
        {
          operationId: req.operationId,
          kind: 'benchmark',
          title: `Benchmark ${req.model}`,
          link: { screen: 'benchmark', ref: req.model },
        },
        (signal, onProgress) => runBench(airlock, ctx.actor, req, { signal, onProgress }),
        (report) => ({
          title: `Benchmark ${report.model.name}@${report.model.version}`,
          summary: `Benchmark ${report.id} of ${report.model.name} ${report.model.version} done`,
          link: { screen: 'benchmark', ref: report.id },
        }),
      ),
    'bench:results': async (req) =>
      benchResults.list({ ...splitRef(req.model), limit: req.limit }, (await airlock.machine()).fingerprint),
    'bench:report': async (req) => {
      const report = benchResults.get(req.id);
      if (!report)
        throw new AirlockError(
          'NOT_FOUND',
          `No benchmark run ${req.id}. List runs with "airlock bench results".`,
        );
      return report;
    },
    'bench:tuned': async (req) => tuned.list(splitRef(req.model), (await airlock.machine()).fingerprint),
  };
}
