import type { Airlock } from '../airlock.js';
import type { modelsChannels } from '../contract/models.js';
import { importPath } from '../import/importer.js';
import { disableModel, enableModel, removeModel } from '../store/model-admin.js';
import type { DomainHandlers } from './handler.js';

export function modelsHandlers(airlock: Airlock): DomainHandlers<typeof modelsChannels> {
  return {
    'models:list': async (req) => airlock.registry.list().filter((m) => req.includeDisabled || m.enabled),
    'models:get': async (req) => airlock.registry.resolve(req.ref),
    'models:import': async (req, ctx) =>
      airlock.operations.run([req.operationId], ctx.signal, (signal) =>
        importPath(airlock, ctx.actor, req.path, {
          signal,
          onProgress: (e) => ctx.onProgress?.({ ...e, operationId: req.operationId ?? 'import' }),
        }),
      ),
    'models:disable': async (req, ctx) => disableModel(airlock, ctx.actor, req.ref, req.reason),
    'models:enable': async (req, ctx) => enableModel(airlock, ctx.actor, req.ref),
    'models:remove': async (req, ctx) => removeModel(airlock, ctx.actor, req.ref),
  };
}
