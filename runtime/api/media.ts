import type { Airlock } from '../airlock.js';
import type { MediaScanReport, mediaChannels } from '../contract/media.js';
import { AirlockError } from '../errors.js';
import { listMedia } from '../media/drives.js';
import { scanMedium } from '../media/scan.js';
import type { DomainHandlers } from './handler.js';
import { tracked } from './tracked.js';

/** Removable media: list the inserted drives, scan them for bundles and signed documents. */
export function mediaHandlers(airlock: Airlock): DomainHandlers<typeof mediaChannels> {
  return {
    'media:list': async () => listMedia(),
    'media:scan': async (req, ctx) =>
      tracked(
        airlock,
        ctx,
        {
          operationId: req.operationId,
          kind: 'scan',
          title: req.mountpoint ? `Scan ${req.mountpoint}` : 'Scan removable media',
          link: { screen: 'media', ...(req.mountpoint ? { ref: req.mountpoint } : {}) },
        },
        async (signal, onProgress, id) => {
          const mountpoints = req.mountpoint
            ? [req.mountpoint]
            : (await listMedia()).flatMap((m) => m.mountpoints.map((p) => p.path));
          if (mountpoints.length === 0) {
            throw new AirlockError(
              'MEDIA_NOT_FOUND',
              'No removable medium is mounted. Insert the USB stick (and mount it if the system does not), or give its folder.',
            );
          }
          const reports: MediaScanReport[] = [];
          for (const mountpoint of mountpoints) {
            reports.push(
              await scanMedium(airlock, mountpoint, {
                signal,
                onProgress: (e) => onProgress({ ...e, operationId: id, message: mountpoint }),
              }),
            );
          }
          // One record per scan (not per bundle): what was offered, and the verdicts.
          airlock.audit.append(ctx.actor, {
            action: 'media.scan',
            target: mountpoints.join(', '),
            outcome: 'success',
            details: {
              bundles: reports.flatMap((r) =>
                r.bundles.map((b) => ({
                  file: b.path,
                  sha256: b.sha256,
                  verdict: b.verdict,
                  code: b.error?.code ?? null,
                })),
              ),
            },
          });
          return reports;
        },
        (reports) => {
          const bundles = reports.reduce((n, r) => n + r.bundles.length, 0);
          const documents = reports.reduce((n, r) => n + r.documents.length, 0);
          return {
            summary: `${bundles} bundle${bundles === 1 ? '' : 's'}, ${documents} document${documents === 1 ? '' : 's'} on ${reports.map((r) => r.mountpoint).join(', ')}`,
          };
        },
      ),
  };
}
