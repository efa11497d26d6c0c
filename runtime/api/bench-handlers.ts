import type { Airlock } from '../airlock.js';
import { BenchStore } from '../bench/bench-store.js';
import { runBench } from '../bench/run-bench.js';
import { AirlockError } from '../errors.js';
import { currentMachine } from '../hardware/hardware-store.js';
import { TunedStore } from '../tuning/tuned-store.js';
import type { Handler } from './handlers.js';
import { withOperation } from './operation.js';

type BenchChannel = 'bench:run' | 'bench:results' | 'bench:report' | 'bench:tuned';

function splitRef(ref: string | undefined): { name?: string; version?: string } {
  if (!ref) return {};
  const at = ref.indexOf('@');
  return at < 0 ? { name: ref } : { name: ref.slice(0, at), version: ref.slice(at + 1) };
}

/** Handlers of the benchmark channels (runtime/contract/bench.ts). */
export function createBenchHandlers(airlock: Airlock): { [K in BenchChannel]: Handler<K> } {
  return {
    'bench:run': async (req, ctx) =>
      withOperation(airlock, req.operationId, ctx, (signal) =>
        runBench(airlock, ctx.actor, req, {
          signal,
          ...(ctx.onProgress ? { onProgress: ctx.onProgress } : {}),
        }),
      ),
    'bench:results': async (req) =>
      new BenchStore(airlock.db).list(
        { ...splitRef(req.model), limit: req.limit },
        (await currentMachine()).fingerprint,
      ),
    'bench:report': async (req) => {
      const report = new BenchStore(airlock.db).get(req.id);
      if (!report)
        throw new AirlockError(
          'NOT_FOUND',
          `No benchmark run ${req.id}. List runs with "airlock bench results".`,
        );
      return report;
    },
    'bench:tuned': async (req) =>
      new TunedStore(airlock.db).list(splitRef(req.model), (await currentMachine()).fingerprint),
  };
}
