import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { peerIdentity } from './peer.js';

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

  it('ignores SUDO_USER from a process that does not own the data directory', (context) => {
    if (process.getuid?.() !== 0) {
      console.info('skipped: needs root to give the directory another owner');
      context.skip();
    }
    const d = dir();
    chownSync(d, 65534, 65534);
    expect(peerIdentity(os, d, { SUDO_USER: 'alice' })).toEqual(os);
  });
});
