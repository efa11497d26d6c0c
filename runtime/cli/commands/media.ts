import { call } from '../../api/handlers.js';
import type { MediaScanReport } from '../../contract/media.js';
import { listMedia } from '../../media/drives.js';
import type { Command } from '../command.js';

function human(bytes: number | null): string {
  if (bytes === null) return '?';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

function describeScan(reports: readonly MediaScanReport[]): string {
  const lines: string[] = [];
  for (const r of reports) {
    lines.push(
      `${r.mountpoint}: ${r.bundles.length === 0 ? 'no bundles (looked at the top level and airlock/)' : `${r.bundles.length} bundle(s)`}`,
    );
    for (const b of r.bundles) {
      const what = b.name ? `${b.name}@${b.version} from ${b.publisher}` : '(unreadable card)';
      const verdict =
        b.verdict === 'refused'
          ? `REFUSED [${b.error?.code}] ${b.error?.message}`
          : `${b.verdict === 'installable' ? 'INSTALLABLE' : 'INSTALLED  '} signed by ${b.signers.join(', ')}`;
      lines.push(
        `  ${b.path}\n    ${what}, ${human(b.size)}; signatures ${b.signatures.map((s) => s.trustedAs ?? `${s.keyId.slice(0, 16)}…`).join(', ') || 'none'}\n    ${verdict}`,
      );
    }
    for (const d of r.documents) {
      const what = d.kind === 'policy' ? `trust policy v${d.number}` : `revocation list #${d.number}`;
      const verdict =
        d.verdict === 'refused'
          ? `REFUSED [${d.error?.code}] ${d.error?.message}`
          : d.verdict === 'applicable'
            ? `APPLICABLE signed by ${d.signers.join(', ')} (${d.kind === 'policy' ? 'airlock trust policy apply' : 'airlock revocations import'} ${d.path})`
            : 'ALREADY APPLIED';
      lines.push(`  ${d.path}\n    ${what}\n    ${verdict}`);
    }
  }
  return lines.join('\n');
}

export const mediaCommands: Command[] = [
  {
    name: 'media list',
    args: '',
    summary:
      'List removable media (USB sticks, cards) and their mount points; system disks are never listed.',
    positionals: [0, 0],
    dataDir: false,
    async run() {
      const media = await listMedia();
      const text =
        media.length === 0
          ? 'No removable medium is mounted. Insert the USB stick (mount it if the system does not).'
          : media
              .map(
                (m) =>
                  `${m.device.padEnd(14)} ${m.bus.padEnd(5)} ${human(m.size).padStart(10)}  ${m.description}${m.isReadOnly ? ' (read-only)' : ''}\n${m.mountpoints.map((p) => `  mounted at ${p.path}${p.label ? ` (${p.label})` : ''}`).join('\n')}`,
              )
              .join('\n');
      return { json: media, text };
    },
  },
  {
    name: 'media scan',
    args: '[MOUNTPOINT]',
    summary:
      'Check every bundle on a medium (or on all removable media) without installing; never writes to it.',
    positionals: [0, 1],
    dataDir: true,
    async run(ctx) {
      const reports = await call(
        ctx.handlers!,
        'media:scan',
        ctx.positionals[0] ? { mountpoint: ctx.positionals[0] } : {},
        { actor: ctx.actor, signal: ctx.signal, onProgress: ctx.progress },
      );
      const refused = reports.some((r) => r.bundles.some((b) => b.verdict === 'refused'));
      return {
        json: reports,
        text: describeScan(reports),
        exitCode: refused ? 1 : 0,
        audit: { bundles: reports.reduce((n, r) => n + r.bundles.length, 0) },
      };
    },
  },
];
