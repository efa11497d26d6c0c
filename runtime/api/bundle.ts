import type { Airlock } from '../airlock.js';
import type { bundleChannels } from '../contract/bundle.js';
import { inspectBundle, verifyBundle } from '../import/importer.js';
import type { DomainHandlers } from './handler.js';

export function bundleHandlers(airlock: Airlock): DomainHandlers<typeof bundleChannels> {
  return {
    'bundle:inspect': async (req) =>
      inspectBundle(req.path, (envelope) => airlock.admission.describe(envelope)),
    'bundle:verify': async (req, ctx) => verifyBundle(airlock, ctx.actor, req.path, { signal: ctx.signal }),
  };
}
