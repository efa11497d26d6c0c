import type { Airlock } from '../airlock.js';
import type { hardwareChannels } from '../contract/hardware.js';
import { throwIfAborted } from '../errors.js';
import { probeHardware } from '../hardware/probe.js';
import type { DomainHandlers } from './handler.js';
import { tracked } from './tracked.js';

export function hardwareHandlers(airlock: Airlock): DomainHandlers<typeof hardwareChannels> {
  const { hardware, tuned, audit } = airlock;
  return {
    'hardware:probe': async (req, ctx) =>
      tracked(
        airlock,
        ctx,
        {
          operationId: req.operationId,
          kind: 'probe',
          title: 'Probe this machine’s hardware',
          link: { screen: 'settings', ref: 'hardware' },
        },
        async (signal, onProgress, id) => {
          const step = (done: number, message?: string) =>
            onProgress({
              operationId: id,
              phase: 'probe',
              done,
              total: 1,
              rate: null,
              unit: 'steps',
              ...(message ? { message } : {}),
            });
          step(0, 'probing CPU, GPUs and execution providers');
          const probed = await probeHardware({ signal, now: airlock.now });
          const stale = tuned.list({}, probed.fingerprint).filter((t) => t.stale);
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
          throwIfAborted(signal, 'The hardware probe');
          step(1);
          return audit.recorded(ctx.actor, () => {
            hardware.save(profile);
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
        },
        (profile) => ({
          summary: `${profile.cpu.brand}; ${profile.providers.filter((p) => p.works).length} working execution provider(s)`,
        }),
      ),
    'hardware:get': async () => hardware.latest(),
  };
}
