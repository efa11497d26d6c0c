import type { Drive } from 'drivelist';
import { describe, expect, it } from 'vitest';
import type { Medium } from '../contract/media.js';
import { listMedia, removableMedia } from './drives.js';
import { MediaWatcher } from './watcher.js';

const base: Drive = {
  enumerator: 'lsblk:json',
  busType: 'UNKNOWN',
  busVersion: null,
  device: '',
  devicePath: null,
  raw: '',
  description: '',
  error: null,
  size: null,
  blockSize: 512,
  logicalBlockSize: 512,
  mountpoints: [],
  isReadOnly: false,
  isSystem: false,
  isVirtual: false,
  isRemovable: false,
  isCard: null,
  isSCSI: null,
  isUSB: null,
  isUAS: null,
  partitionTableType: null,
} as Drive;

/** Exactly what drivelist 12 reports on this build machine (a VM with no USB port). */
const THIS_MACHINE: Drive[] = [
  {
    ...base,
    device: '/dev/zram0',
    raw: '/dev/zram0',
    blockSize: 4096,
    logicalBlockSize: 4096,
    isVirtual: true,
    isRemovable: true,
  },
  {
    ...base,
    device: '/dev/vda',
    raw: '/dev/vda',
    description: '0x1af4',
    size: 274877906944,
    blockSize: 4096,
    mountpoints: [{ path: '/' }],
    isSystem: true,
  },
] as Drive[];

const usbStick = {
  ...base,
  busType: 'USB',
  device: '/dev/sdb',
  raw: '/dev/sdb',
  description: 'SanDisk Cruzer Blade',
  size: 15_376_000_000,
  mountpoints: [{ path: '/media/operator/MODELS', label: 'MODELS' }],
  isRemovable: true,
  isUSB: true,
  isSCSI: true,
  partitionTableType: 'mbr',
} as Drive;

describe('removableMedia (pure filter over drivelist output)', () => {
  it('offers nothing on this machine: the system disk and zram are never media', () => {
    expect(removableMedia(THIS_MACHINE)).toEqual([]);
  });

  it('offers a mounted USB stick, an SD card and a read-only stick; not unmounted, virtual or system drives', () => {
    const drives = [
      ...THIS_MACHINE,
      usbStick,
      {
        ...usbStick,
        device: '/dev/sdc',
        raw: '/dev/sdc',
        description: 'Kingston DataTraveler',
        mountpoints: [],
      },
      {
        ...base,
        busType: 'SD',
        device: '/dev/mmcblk0',
        raw: '/dev/mmcblk0',
        description: 'SD card',
        isCard: true,
        isRemovable: true,
        mountpoints: [{ path: '/media/operator/SDCARD', label: 'SDCARD' }],
      },
      {
        ...usbStick,
        device: '/dev/sdd',
        raw: '/dev/sdd',
        isReadOnly: true,
        mountpoints: [{ path: '/media/operator/RO', label: 'RO' }],
      },
      {
        ...base,
        device: '/dev/loop3',
        raw: '/dev/loop3',
        isVirtual: true,
        isRemovable: true,
        mountpoints: [{ path: '/snap/core/1' }],
      },
      {
        ...base,
        device: '/dev/disk4',
        raw: '/dev/rdisk4',
        description: 'Apple Disk Image',
        isVirtual: true,
        isRemovable: true,
        mountpoints: [{ path: '/Volumes/Installer' }],
      },
      {
        ...usbStick,
        device: '/dev/sde',
        raw: '/dev/sde',
        isSystem: true,
        mountpoints: [{ path: '/boot/efi' }],
      },
      { ...usbStick, device: '/dev/sdf', raw: '/dev/sdf', error: 'EACCES' },
      {
        ...base,
        device: '\\\\.\\PHYSICALDRIVE0',
        raw: '\\\\.\\PHYSICALDRIVE0',
        busType: 'NVME',
        isSystem: true,
        mountpoints: [{ path: 'C:\\' }],
      },
    ] as Drive[];
    const media = removableMedia(drives);
    expect(media.map((m) => [m.device, m.bus, m.mountpoints.map((p) => p.path), m.isReadOnly])).toEqual([
      ['/dev/mmcblk0', 'card', ['/media/operator/SDCARD'], false],
      ['/dev/sdb', 'usb', ['/media/operator/MODELS'], false],
      ['/dev/sdd', 'usb', ['/media/operator/RO'], true],
    ]);
    expect(media[1]).toEqual({
      device: '/dev/sdb',
      description: 'SanDisk Cruzer Blade',
      size: 15_376_000_000,
      mountpoints: [{ path: '/media/operator/MODELS', label: 'MODELS' }],
      isReadOnly: false,
      bus: 'usb',
    });
  });

  it('a failing drive listing → MEDIA_READ_FAILED', async () => {
    await expect(listMedia(() => Promise.reject(new Error('lsblk timed out')))).rejects.toMatchObject({
      code: 'MEDIA_READ_FAILED',
    });
  });

  it('the real drivelist runs here and its answer passes the filter', async () => {
    const media = await listMedia();
    expect(Array.isArray(media)).toBe(true);
    expect(media.some((m) => m.device === '/dev/vda' || m.device.startsWith('/dev/zram'))).toBe(false);
  });
});

describe('MediaWatcher (polling)', () => {
  it('reports insertion and removal once each, and nothing while unchanged', async () => {
    const stick = removableMedia([usbStick]);
    const answers: Medium[][] = [[], stick, stick, []];
    const events: { added: string[]; removed: string[] }[] = [];
    const watcher = new MediaWatcher({
      list: async () => answers.shift() ?? [],
      onChange: (e) =>
        events.push({ added: e.added.map((m) => m.device), removed: e.removed.map((m) => m.device) }),
    });
    for (let i = 0; i < 4; i++) await watcher.poll();
    expect(events).toEqual([
      { added: ['/dev/sdb'], removed: [] },
      { added: [], removed: ['/dev/sdb'] },
    ]);
    expect(watcher.current()).toEqual([]);
  });

  it('keeps polling after a failed poll and stops on stop()', async () => {
    let calls = 0;
    const errors: unknown[] = [];
    const watcher = new MediaWatcher({
      intervalMs: 10,
      list: async () => {
        calls += 1;
        if (calls === 2) throw new Error('lsblk failed');
        return [];
      },
      onChange: () => {},
      onError: (e) => errors.push(e),
    });
    await watcher.start();
    await new Promise((r) => setTimeout(r, 120));
    watcher.stop();
    const after = calls;
    await new Promise((r) => setTimeout(r, 50));
    expect(errors).toHaveLength(1);
    expect(after).toBeGreaterThan(3);
    expect(calls).toBe(after);
  });
});
