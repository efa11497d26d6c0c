import type { Drive } from 'drivelist';
import type { Medium } from '../contract/media.js';
import { AirlockError } from '../errors.js';

/** Devices that are never removable media whatever their flags say (compressed RAM, loops, ...). */
const NOT_MEDIA = /^\/dev\/(zram|ram|loop|nbd|dm-|md|sr)\d*/;
/** Mount points of the running system: a drive mounted here is never offered as USB media. */
const SYSTEM_MOUNTS =
  /^(\/|\/boot(\/.*)?|\/usr|\/var|\/home|\/etc|[A-Za-z]:\\Windows.*|\/System\/Volumes\/.*)$/;

/**
 * Pure: which drives drivelist reports are removable media Airlock may offer. A medium is a
 * removable, USB or card drive that is not the system disk, not virtual (zram, loop, disk images),
 * and has at least one mounted file system outside the system's own mount points.
 */
export function removableMedia(drives: readonly Drive[]): Medium[] {
  const out: Medium[] = [];
  for (const d of drives) {
    if (d.isSystem || d.isVirtual || d.error) continue;
    if (NOT_MEDIA.test(d.device)) continue;
    if (!(d.isRemovable || d.isUSB === true || d.isCard === true)) continue;
    const mountpoints = d.mountpoints
      .filter((m) => !SYSTEM_MOUNTS.test(m.path))
      .map((m) => ({ path: m.path, label: m.label ?? null }));
    if (mountpoints.length === 0) continue;
    out.push({
      device: d.device,
      description: d.description,
      size: d.size ?? null,
      mountpoints,
      isReadOnly: d.isReadOnly,
      bus:
        d.isUSB === true || d.busType === 'USB'
          ? 'usb'
          : d.isCard === true || d.busType === 'SD' || d.busType === 'MMC'
            ? 'card'
            : 'other',
    });
  }
  return out.sort((a, b) => a.device.localeCompare(b.device));
}

/** Lists removable media now (drivelist: lsblk on Linux, diskutil on macOS, the Windows API). */
export async function listMedia(lister: () => Promise<Drive[]> = defaultLister): Promise<Medium[]> {
  let drives: Drive[];
  try {
    drives = await lister();
  } catch (cause) {
    throw new AirlockError(
      'MEDIA_READ_FAILED',
      `The list of drives could not be read (${(cause as Error).message}). Try again; if it persists, mount the stick by hand and scan its folder.`,
      { cause },
    );
  }
  return removableMedia(drives);
}

async function defaultLister(): Promise<Drive[]> {
  const drivelist = await import('drivelist');
  return drivelist.list();
}

/** A stable key for a medium: device plus its mount points (a remount counts as a change). */
export function mediumKey(m: Medium): string {
  return `${m.device}|${m.mountpoints.map((p) => p.path).join(',')}`;
}
