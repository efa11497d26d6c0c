import type { Airlock } from '../airlock.js';
import type { ImportReport, modelsChannels } from '../contract/models.js';
import type { TaskOutcome } from '../tasks/registry.js';
import { importPath } from '../import/importer.js';
import { disableModel, enableModel, removeModel } from '../store/model-admin.js';
import type { DomainHandlers } from './handler.js';
import { tracked } from './tracked.js';

/** An import's task outcome: what was installed, or failed with the first rejection's error. */
export function importOutcome(path: string, report: ImportReport): TaskOutcome {
  const models = report.items.flatMap((i) => (i.model ? [`${i.model.name} ${i.model.version}`] : []));
  const title = models.length > 0 ? `Import ${models.join(', ')} from ${path}` : `Import from ${path}`;
  const installed = report.items.filter((i) => i.outcome === 'installed' && i.model);
  const first = installed[0]?.model;
  const link = first
    ? { screen: 'models' as const, ref: `${first.name}@${first.version}` }
    : { screen: 'models' as const };
  const already = report.items.length - report.installed - report.rejected;
  const parts = [
    installed.length === 1 && first
      ? `Installed ${first.name} ${first.version}`
      : `${report.installed} installed`,
    ...(already > 0 ? [`${already} already installed`] : []),
    ...(report.rejected > 0 ? [`${report.rejected} rejected`] : []),
  ];
  const rejected = report.items.find((i) => i.outcome === 'rejected');
  if (report.rejected > 0 && report.rejected === report.items.length && rejected?.error)
    return { title, summary: parts.join(', '), link, state: 'failed', error: rejected.error };
  return { title, summary: parts.join(', '), link };
}

export function modelsHandlers(airlock: Airlock): DomainHandlers<typeof modelsChannels> {
  return {
    'models:list': async (req) => airlock.registry.list().filter((m) => req.includeDisabled || m.enabled),
    'models:get': async (req) => airlock.registry.resolve(req.ref),
    'models:import': async (req, ctx) =>
      tracked(
        airlock,
        ctx,
        { operationId: req.operationId, kind: 'import', title: `Import from ${req.path}` },
        (signal, onProgress, id) =>
          importPath(airlock, ctx.actor, req.path, {
            signal,
            onProgress: (e) => onProgress({ ...e, operationId: id }),
          }),
        (report) => importOutcome(req.path, report),
      ),
    'models:disable': async (req, ctx) => disableModel(airlock, ctx.actor, req.ref, req.reason),
    'models:enable': async (req, ctx) => enableModel(airlock, ctx.actor, req.ref),
    'models:remove': async (req, ctx) => removeModel(airlock, ctx.actor, req.ref),
  };
}
