import type { Airlock } from '../airlock.js';
import { HardwareStore } from '../hardware/hardware-store.js';
import { probeHardware } from '../hardware/probe.js';
import { TunedStore } from '../tuning/tuned-store.js';
import type { Handler } from './handlers.js';
import { throwIfCancelled, withOperation } from './operation.js';

type HardwareChannel = 'hardware:probe' | 'hardware:get';

/** Handlers of the hardware channels (runtime/contract/hardware.ts). */
export function createHardwareHandlers(airlock: Airlock): { [K in HardwareChannel]: Handler<K> } {
  const store = new HardwareStore(airlock.db);
  return {
    'hardware:probe': async (req, ctx) =>
      withOperation(airlock, req.operationId, ctx, async (signal) => {
        ctx.onProgress?.({
          operationId: req.operationId ?? 'hardware',
          phase: 'probe',
          done: 0,
          total: 1,
          rate: null,
          unit: 'steps',
          message: 'probing CPU, GPUs and execution providers',
        });
        const probed = await probeHardware({ signal, now: airlock.now });
        const stale = new TunedStore(airlock.db).list({}, probed.fingerprint).filter((t) => t.stale);
        const models = [...new Set(stale.map((t) => `${t.model}@${t.version}`))];
        const profile =
          models.length === 0
            ? probed
            : {
                ...probed,
                warnings: [
                  ...probed.warnings,
                  `This machine's fingerprint differs from the one the tuned configs of ${models.join(', ')} were chosen on: they are stale and runs use onnxruntime defaults until "airlock bench" is run again for them.`,
                ],
              };
        throwIfCancelled(signal, 'The hardware probe');
        ctx.onProgress?.({
          operationId: req.operationId ?? 'hardware',
          phase: 'probe',
          done: 1,
          total: 1,
          rate: null,
          unit: 'steps',
        });
        return airlock.recorded(ctx.actor, () => {
          store.save(profile);
          return {
            result: profile,
            event: {
              action: 'hardware.probe',
              target: profile.fingerprint,
              outcome: 'success',
              details: {
                cpu: profile.cpu.brand,
                gpus: profile.gpus.map((g) => g.model),
                providers: Object.fromEntries(
                  profile.providers.map((p) => [p.name, p.works ? 'works' : 'fails']),
                ),
                warnings: profile.warnings,
              },
            },
          };
        });
      }),
    'hardware:get': async () => store.latest(),
  };
}
