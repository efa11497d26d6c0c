import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { peerIdentity, sudoCaller } from './peer.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function dir(): string {
  const d = mkdtempSync(join(tmpdir(), 'airlock-peer-'));
  dirs.push(d);
  return d;
}

describe('peerIdentity (sudo on a shared server)', () => {
  const os = { name: 'airlock', source: 'cli:1' };

  it('believes SUDO_USER when this process owns the data directory', () => {
    expect(peerIdentity(os, dir(), { SUDO_USER: 'alice' })).toEqual({
      name: 'alice',
      source: 'cli:1 (sudo as airlock)',
    });
  });

  it('ignores it when absent or naming the same user', () => {
    expect(peerIdentity(os, dir(), {})).toEqual(os);
    expect(peerIdentity(os, dir(), { SUDO_USER: 'airlock' })).toEqual(os);
  });

  // Issue 10: this used to fall back to `os` (the process's own account, on a server the
  // data directory's admin owner): a confused deputy. Now it is an authentication failure.
  it('refuses SUDO_USER (AUTH_FAILED) from a process that does not own the data directory, never falling back to the process user', (context) => {
    if (process.getuid?.() !== 0) {
      console.info('skipped: needs root to give the directory another owner');
      context.skip();
    }
    const d = dir();
    chownSync(d, 65534, 65534);
    expect(() => peerIdentity(os, d, { SUDO_USER: 'alice' })).toThrow(
      expect.objectContaining({ code: 'AUTH_FAILED', details: { sudoUser: 'alice', osUser: 'airlock' } }),
    );
  });

  it('refuses a SUDO_USER that is not a user name (AUTH_FAILED)', () => {
    for (const bad of ['alice\u001b[2J', 'a b', '../x', '-rf'])
      expect(() => peerIdentity(os, dir(), { SUDO_USER: bad })).toThrow(
        expect.objectContaining({ code: 'AUTH_FAILED' }),
      );
  });

  it('refuses SUDO_USER when the data directory cannot be examined (AUTH_FAILED)', () => {
    expect(() => peerIdentity(os, join(dir(), 'missing'), { SUDO_USER: 'alice' })).toThrow(
      expect.objectContaining({ code: 'AUTH_FAILED' }),
    );
  });
});

describe('sudoCaller: is this process a deputy?', () => {
  it('is one when sudo ran it as another account than the caller', () => {
    expect(sudoCaller({ SUDO_USER: 'alice', SUDO_UID: '1001' }, 990)).toEqual({ user: 'alice', uid: 1001 });
  });
  it('is none without SUDO_USER or SUDO_UID (not set by sudo), or when the process runs as the caller itself', () => {
    expect(sudoCaller({}, 990)).toBeNull();
    expect(sudoCaller({ SUDO_UID: '1001' }, 990)).toBeNull();
    expect(sudoCaller({ SUDO_USER: 'alice' }, 990)).toBeNull();
    expect(sudoCaller({ SUDO_USER: 'alice', SUDO_UID: 'x' }, 990)).toBeNull();
    expect(sudoCaller({ SUDO_USER: 'alice', SUDO_UID: '1001' }, 1001)).toBeNull();
    expect(sudoCaller({ SUDO_USER: 'alice', SUDO_UID: '1001' }, null)).toBeNull();
  });
});
