import type { Airlock } from '../airlock.js';
import type { systemChannels } from '../contract/system.js';
import { freeBytes } from '../db/disk.js';
import type { DomainHandlers } from './handler.js';

const VERSION = '0.1.0';

export function systemHandlers(airlock: Airlock): DomainHandlers<typeof systemChannels> {
  return {
    'system:info': async () => ({
      version: VERSION,
      dataDir: airlock.paths.root,
      installationId: airlock.installationId,
      platform: `${process.platform}-${process.arch}`,
      node: process.versions.node,
      dataDirFreeBytes: freeBytes(airlock.paths.root),
    }),
    'operation:cancel': async ({ operationId }) => ({ cancelled: airlock.operations.cancel(operationId) }),
  };
}
