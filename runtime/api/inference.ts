import type { Airlock } from '../airlock.js';
import type { inferenceChannels } from '../contract/inference.js';
import type { DomainHandlers } from './handler.js';

export function inferenceHandlers(airlock: Airlock): DomainHandlers<typeof inferenceChannels> {
  return {
    'inference:run': async (req, ctx) => {
      // An "image" is decoded as one whatever its name; a "file" is read by its name's extension.
      const given = req.file ?? req.image!;
      const kind = req.image ? ('image' as const) : undefined;
      const input = req.inputs
        ? { tensors: req.inputs }
        : given.bytes
          ? { file: { bytes: given.bytes, name: given.name ?? (kind ? 'image' : 'input'), kind } }
          : { path: given.path!, name: given.name, kind };
      return airlock.runner.run(ctx.actor, {
        model: req.model,
        input,
        config: req.config,
        batched: req.batched,
      });
    },
  };
}
