import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ancestorSafe,
  insideDataDir,
  judgeEntry,
  requireConfiguredDataDir,
  type EntryFacts,
} from './data-dir.js';

const ME = 1000;
const dir = (over: Partial<EntryFacts> = {}): EntryFacts => ({
  type: 'dir',
  uid: ME,
  mode: 0o700,
  nlink: 2,
  ...over,
});
const file = (over: Partial<EntryFacts> = {}): EntryFacts => ({
  type: 'file',
  uid: ME,
  mode: 0o600,
  nlink: 1,
  ...over,
});
const secretDir = { kind: 'dir', private: true } as const;
const secretFile = { kind: 'file', private: true } as const;
const database = { kind: 'file', private: true, database: true } as const;
const publicFile = { kind: 'file', private: false } as const;

describe('judgeEntry: may Airlock use this entry of its data directory?', () => {
  it.each([
    ['a private folder of ours', secretDir, dir(), ME, { ok: true, chmod: null }],
    ['a private file of ours', secretFile, file(), ME, { ok: true, chmod: null }],
    ['a folder others may read: made 0700', secretDir, dir({ mode: 0o755 }), ME, { ok: true, chmod: 0o700 }],
    [
      'a secret others may read: made 0600',
      secretFile,
      file({ mode: 0o644 }),
      ME,
      { ok: true, chmod: 0o600 },
    ],
    ['a group-readable secret: made 0600', secretFile, file({ mode: 0o640 }), ME, { ok: true, chmod: 0o600 }],
    [
      'only the user bits are kept (0400 stays 0400)',
      secretFile,
      file({ mode: 0o444 }),
      ME,
      { ok: true, chmod: 0o400 },
    ],
    ['a public file others may read: left', publicFile, file({ mode: 0o644 }), ME, { ok: true, chmod: null }],
    [
      'a link',
      secretFile,
      file({ type: 'link' }),
      ME,
      { ok: false, code: 'DATA_DIR_UNSAFE', reason: 'link' },
    ],
    [
      'a FIFO or device',
      secretFile,
      file({ type: 'other' }),
      ME,
      { ok: false, code: 'DATA_DIR_UNSAFE', reason: 'special' },
    ],
    [
      'owned by another account',
      secretFile,
      file({ uid: 4242 }),
      ME,
      { ok: false, code: 'DATA_DIR_UNSAFE', reason: 'owner' },
    ],
    [
      'owned by root, Airlock not root',
      secretDir,
      dir({ uid: 0 }),
      ME,
      { ok: false, code: 'DATA_DIR_UNSAFE', reason: 'owner' },
    ],
    [
      'group-writable',
      secretDir,
      dir({ mode: 0o770 }),
      ME,
      { ok: false, code: 'DATA_DIR_UNSAFE', reason: 'writable' },
    ],
    [
      'world-writable',
      secretFile,
      file({ mode: 0o602 }),
      ME,
      { ok: false, code: 'DATA_DIR_UNSAFE', reason: 'writable' },
    ],
    [
      'writable public file',
      publicFile,
      file({ mode: 0o666 }),
      ME,
      { ok: false, code: 'DATA_DIR_UNSAFE', reason: 'writable' },
    ],
    [
      'a database with two names',
      database,
      file({ nlink: 2 }),
      ME,
      { ok: false, code: 'DATA_DIR_UNSAFE', reason: 'hard-link' },
    ],
    [
      'a file where a folder belongs',
      secretDir,
      file(),
      ME,
      { ok: false, code: 'DATA_DIR_INVALID', reason: 'not-a-folder' },
    ],
    [
      'a folder where a file belongs',
      secretFile,
      dir(),
      ME,
      { ok: false, code: 'DATA_DIR_INVALID', reason: 'not-a-file' },
    ],
    [
      'Windows: no owners or modes, links still refused',
      secretFile,
      file({ type: 'link' }),
      null,
      { ok: false, code: 'DATA_DIR_UNSAFE', reason: 'link' },
    ],
    [
      'Windows: modes are not judged',
      secretFile,
      file({ mode: 0o666, uid: 0 }),
      null,
      { ok: true, chmod: null },
    ],
  ] as const)('%s', (_what, spec, facts, euid, verdict) => {
    expect(judgeEntry(spec, facts, euid)).toEqual(verdict);
  });
});

describe('ancestorSafe: may a folder above the data directory be trusted (through sudo)?', () => {
  it.each([
    ['root-owned 0755', dir({ uid: 0, mode: 0o755 }), true],
    ['ours 0700', dir(), true],
    ['/tmp: root-owned, world-writable, sticky', dir({ uid: 0, mode: 0o1777 }), true],
    ['group-writable, not sticky', dir({ uid: 0, mode: 0o775 }), false],
    ['world-writable, not sticky', dir({ mode: 0o777 }), false],
    ["another account's", dir({ uid: 4242, mode: 0o755 }), false],
    ['not a folder', file({ uid: 0 }), false],
  ] as const)('%s', (_what, facts, safe) => {
    expect(ancestorSafe(facts, ME)).toBe(safe);
  });
});

describe('the configured data directory and paths inside it', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const temp = () => {
    const d = mkdtempSync(join(tmpdir(), 'airlock-dd-unit-'));
    dirs.push(d);
    return d;
  };

  it('requireConfiguredDataDir accepts none, the same path or the same folder, and refuses another', () => {
    const base = temp();
    const configured = join(base, 'data');
    mkdirSync(configured);
    symlinkSync(configured, join(base, 'alias'));
    expect(() => requireConfiguredDataDir(undefined, configured)).not.toThrow();
    expect(() => requireConfiguredDataDir(configured, configured)).not.toThrow();
    expect(() => requireConfiguredDataDir(join(base, 'alias'), configured)).not.toThrow();
    expect(() => requireConfiguredDataDir(join(base, 'other'), configured)).toThrow(
      expect.objectContaining({
        code: 'DATA_DIR_UNSAFE',
        details: expect.objectContaining({ reason: 'not-configured' }),
      }),
    );
  });

  it('insideDataDir follows links as far as the path exists', () => {
    const base = temp();
    const data = join(base, 'data');
    mkdirSync(join(data, 'keys'), { recursive: true });
    symlinkSync(join(data, 'keys'), join(base, 'innocent'));
    expect(insideDataDir(data, data)).toBe(true);
    expect(insideDataDir(join(data, 'keys', 'installation.key'), data)).toBe(true);
    expect(insideDataDir(join(base, 'innocent', 'installation.key'), data)).toBe(true);
    expect(insideDataDir(join(base, 'innocent', 'new', 'file'), data)).toBe(true);
    expect(insideDataDir(join(base, 'data-old'), data)).toBe(false);
    expect(insideDataDir(join(base, 'out.csv'), data)).toBe(false);
  });
});
