import { describe, expect, it } from 'vitest';
import { resolveDataDir } from './paths.js';

describe('resolveDataDir', () => {
  it('prefers --data-dir, then AIRLOCK_HOME, then the per-OS folder Electron would use', () => {
    expect(resolveDataDir('/x/y', { AIRLOCK_HOME: '/env' }, 'linux', '/home/u')).toBe('/x/y');
    expect(resolveDataDir(undefined, { AIRLOCK_HOME: '/env' }, 'linux', '/home/u')).toBe('/env');
    expect(resolveDataDir(undefined, {}, 'linux', '/home/u')).toBe('/home/u/.config/Airlock');
    expect(resolveDataDir(undefined, { XDG_CONFIG_HOME: '/xdg' }, 'linux', '/home/u')).toBe('/xdg/Airlock');
    expect(resolveDataDir(undefined, {}, 'darwin', '/Users/u')).toBe(
      '/Users/u/Library/Application Support/Airlock',
    );
    expect(
      resolveDataDir(undefined, { APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'win32', 'C:\\Users\\u'),
    ).toMatch(/Roaming.Airlock$/);
  });
});
