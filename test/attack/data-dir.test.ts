/**
 * Issue 10, items 1 and 9: a data directory is checked before anything in it is opened. Its root
 * and every entry Airlock uses (database, -wal, -shm, keys, store, store/sha256, staging, ...)
 * that is a link, belongs to another account or can be written by others is refused with
 * DATA_DIR_UNSAFE, and nothing changes, neither in it nor where its links point. Secrets that
 * others could read are made private on every open. Recovery deletes only what it made, never
 * through a link.
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lchownSync,
  linkSync,
  lstatSync,
  mkdirSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Airlock } from '../../runtime/airlock.js';
import { main } from '../../runtime/cli/main.js';
import type { ErrorCode } from '../../runtime/contract/errors.js';
import {
  copyDataDir,
  diskState,
  isRoot,
  makeDataDir,
  ORPHAN_BLOB,
  STALE_CHECKPOINT_TEMP,
  STALE_STAGING,
} from './data-dir-helpers.js';

let root: string;
let template: string;
let n = 0;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'airlock-datadir-'));
  template = join(root, 'template');
  await makeDataDir(template);
});
afterAll(async () => rm(root, { recursive: true, force: true }));

/** A copy of the template data directory, closed, with Airlock's modes. */
function fresh(): string {
  const dir = join(root, `d${n++}`);
  copyDataDir(template, dir);
  return dir;
}

/** Opening `dataDir` is refused with `code` and `reason`, naming `path`; `watched` is unchanged. */
async function expectRefused(
  dataDir: string,
  expected: { code: ErrorCode; reason: string; path: string },
  watched: readonly string[],
): Promise<void> {
  const before = watched.map(diskState);
  let error: unknown = null;
  try {
    const opened = Airlock.open({ dataDir });
    await opened.close();
  } catch (e) {
    error = e;
  }
  expect(error).toMatchObject({
    code: expected.code,
    details: { reason: expected.reason, path: expected.path },
  });
  expect(watched.map(diskState)).toEqual(before);
}

/** Every entry Airlock opens, writes or deletes in (runtime/paths.ts DATA_DIR_ENTRIES). */
const ENTRIES = [
  '',
  'airlock.db',
  'airlock.db-wal',
  'airlock.db-shm',
  'airlock.db-journal',
  'keys',
  'keys/installation.key',
  'keys/installation.pub',
  'keys/audit-checkpoint.json',
  'store',
  'store/sha256',
  'staging',
  'audit-archive',
] as const;
const name = (entry: string) => entry || 'the root';
const isDatabaseFile = (entry: string) => /^airlock\.db-/.test(entry);

/** The -wal, -shm and -journal files exist only while a database is open: made empty for a test. */
function ensure(dir: string, entry: string): string {
  const path = entry === '' ? dir : join(dir, entry);
  if (isDatabaseFile(entry) && !existsSync(path)) writeFileSync(path, '', { mode: 0o600 });
  return path;
}

describe('links in a data directory (item 1)', () => {
  it.each(ENTRIES)(
    '%s as a link into another data directory → DATA_DIR_UNSAFE (link); neither directory changes',
    async (entry) => {
      const victim = fresh();
      const evil = join(root, `evil${n++}`);
      if (entry !== '') mkdirSync(dirname(join(evil, entry)), { recursive: true, mode: 0o700 });
      // The database's side files point at the victim's database itself: the worst place.
      const target = isDatabaseFile(entry) ? join(victim, 'airlock.db') : join(victim, entry);
      symlinkSync(target, entry === '' ? evil : join(evil, entry));
      await expectRefused(
        evil,
        { code: 'DATA_DIR_UNSAFE', reason: 'link', path: entry === '' ? evil : join(evil, entry) },
        [victim, evil],
      );
    },
  );

  it('the CLI exits 1 with DATA_DIR_UNSAFE before anything is opened', async () => {
    const victim = fresh();
    const evil = join(root, `evil${n++}`);
    mkdirSync(evil, { mode: 0o700 });
    symlinkSync(join(victim, 'airlock.db'), join(evil, 'airlock.db'));
    const before = [diskState(victim), diskState(evil)];
    let stdout = '';
    const code = await main(['users', 'list', '--data-dir', evil, '--json'], {
      stdout: (t) => void (stdout += t),
      stderr: () => undefined,
      isTTY: false,
      env: {},
    });
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toMatchObject({
      error: { code: 'DATA_DIR_UNSAFE', details: { reason: 'link', path: join(evil, 'airlock.db') } },
    });
    expect([diskState(victim), diskState(evil)]).toEqual(before);
  });

  it.each(['airlock.db', 'airlock.db-wal'])(
    '%s with a second name (hard link) → DATA_DIR_UNSAFE (hard-link)',
    async (entry) => {
      const dir = fresh();
      const path = ensure(dir, entry);
      linkSync(path, join(root, `second-name-${n++}`));
      await expectRefused(dir, { code: 'DATA_DIR_UNSAFE', reason: 'hard-link', path }, [dir]);
    },
  );

  it.each(['airlock.db', 'keys/installation.key', 'keys/audit-checkpoint.json', 'store'])(
    '%s as a FIFO → DATA_DIR_UNSAFE (special), and nothing hangs',
    async (entry) => {
      const dir = fresh();
      const path = join(dir, entry);
      renameSync(path, join(root, `moved-${n++}`));
      execFileSync('mkfifo', [path]);
      await expectRefused(dir, { code: 'DATA_DIR_UNSAFE', reason: 'special', path }, [dir]);
    },
  );

  it('a file where a folder belongs → DATA_DIR_INVALID (not-a-folder); a folder for the database → not-a-file', async () => {
    const dir = fresh();
    rmSync(join(dir, 'staging'), { recursive: true });
    writeFileSync(join(dir, 'staging'), 'not a folder');
    await expectRefused(
      dir,
      { code: 'DATA_DIR_INVALID', reason: 'not-a-folder', path: join(dir, 'staging') },
      [dir],
    );
    const other = fresh();
    renameSync(join(other, 'airlock.db'), join(root, `moved-${n++}`));
    mkdirSync(join(other, 'airlock.db'));
    await expectRefused(
      other,
      { code: 'DATA_DIR_INVALID', reason: 'not-a-file', path: join(other, 'airlock.db') },
      [other],
    );
  });
});

describe('entries owned by another account (item 1)', () => {
  it.for(ENTRIES)(
    '%s owned by uid 4242 → DATA_DIR_UNSAFE (owner); nothing changes',
    async (entry, context) => {
      if (!isRoot()) {
        console.info(`skipped (${name(entry)}): needs root to give a file to another uid`);
        context.skip();
      }
      const dir = fresh();
      const path = ensure(dir, entry);
      lchownSync(path, 4242, 4242);
      await expectRefused(dir, { code: 'DATA_DIR_UNSAFE', reason: 'owner', path }, [dir]);
    },
  );

  it('the refusal says how to fix it (run as the owner, or chown)', async (context) => {
    if (!isRoot()) {
      console.info('skipped: needs root to give a file to another uid');
      context.skip();
    }
    const dir = fresh();
    lchownSync(join(dir, 'airlock.db'), 4242, 4242);
    expect(() => Airlock.open({ dataDir: dir })).toThrow(
      expect.objectContaining({
        code: 'DATA_DIR_UNSAFE',
        message: expect.stringMatching(/belongs to uid 4242.*sudo -u OWNER.*chown/),
      }),
    );
  });
});

describe('entries others may write (item 1)', () => {
  for (const [bits, who] of [
    [0o020, 'group'],
    [0o002, 'world'],
  ] as const) {
    it.each(ENTRIES)(`%s ${who}-writable → DATA_DIR_UNSAFE (writable); nothing changes`, async (entry) => {
      const dir = fresh();
      const path = ensure(dir, entry);
      chmodSync(path, (lstatSync(path).mode & 0o7777) | bits);
      await expectRefused(dir, { code: 'DATA_DIR_UNSAFE', reason: 'writable', path }, [dir]);
    });
  }

  it('nothing is made private either when a later entry is refused', async () => {
    const dir = fresh();
    chmodSync(dir, 0o755);
    chmodSync(join(dir, 'airlock.db'), 0o644);
    chmodSync(join(dir, 'staging'), 0o777);
    await expectRefused(dir, { code: 'DATA_DIR_UNSAFE', reason: 'writable', path: join(dir, 'staging') }, [
      dir,
    ]);
    expect(lstatSync(dir).mode & 0o777).toBe(0o755);
  });
});

describe('modes are made private on every open (item 9)', () => {
  const mode = (path: string) => lstatSync(path).mode & 0o777;
  const PRIVATE = ENTRIES.filter((e) => e !== 'keys/installation.pub' && e !== 'airlock.db-journal');

  it.each(PRIVATE)('%s readable by others (0755/0644) becomes 0700/0600', async (entry) => {
    const dir = fresh();
    const path = ensure(dir, entry);
    const isDir = lstatSync(path).isDirectory();
    chmodSync(path, isDir ? 0o755 : 0o644);
    const airlock = Airlock.open({ dataDir: dir });
    try {
      expect(mode(path).toString(8)).toBe(isDir ? '700' : '600');
    } finally {
      await airlock.close();
    }
  });

  it('a group-readable database (0640) becomes 0600, and its -wal and -shm are 0600 while open', async () => {
    const dir = fresh();
    chmodSync(join(dir, 'airlock.db'), 0o640);
    const airlock = Airlock.open({ dataDir: dir });
    try {
      airlock.audit.append(
        { name: 't', source: 't' },
        { action: 'test.write', target: 'x', outcome: 'success' },
      );
      for (const f of ['airlock.db', 'airlock.db-wal', 'airlock.db-shm'])
        expect(mode(join(dir, f)).toString(8), f).toBe('600');
    } finally {
      await airlock.close();
    }
  });

  it('the public key stays readable (0644): it is not a secret', async () => {
    const dir = fresh();
    chmodSync(join(dir, 'keys', 'installation.pub'), 0o644);
    const airlock = Airlock.open({ dataDir: dir });
    await airlock.close();
    expect(mode(join(dir, 'keys', 'installation.pub')).toString(8)).toBe('644');
  });

  it('a new data directory is private from the first open, whatever the umask', async () => {
    const dir = join(root, `new${n++}`);
    const umask = process.umask(0);
    try {
      const airlock = Airlock.open({ dataDir: dir });
      try {
        airlock.audit.append(
          { name: 't', source: 't' },
          { action: 'test.write', target: 'x', outcome: 'success' },
        );
        airlock.integrity.checkpoint();
        const state = diskState(dir);
        const modes = Object.fromEntries(Object.entries(state).map(([k, v]) => [k, v.mode]));
        expect(modes).toMatchObject({
          '.': '700',
          'airlock.db': '600',
          'airlock.db-wal': '600',
          'airlock.db-shm': '600',
          keys: '700',
          'keys/installation.key': '600',
          'keys/audit-checkpoint.json': '600',
          store: '700',
          'store/sha256': '700',
          staging: '700',
        });
        expect(modes['keys/installation.pub']).toBe('644');
      } finally {
        await airlock.close();
      }
    } finally {
      process.umask(umask);
    }
    // And it opens again: nothing it made is refused.
    await Airlock.open({ dataDir: dir }).close();
  });
});

describe('recovery deletes only what it made, never through a link (item 1)', () => {
  it('removes a stale staging folder, an unreferenced blob and a stale checkpoint temp file', async () => {
    const dir = fresh();
    const airlock = Airlock.open({ dataDir: dir });
    await airlock.close();
    for (const leftover of [STALE_STAGING, ORPHAN_BLOB, STALE_CHECKPOINT_TEMP])
      expect(existsSync(join(dir, leftover)), leftover).toBe(false);
  });

  it('a link in staging named like a stale staging folder is neither followed nor removed', async () => {
    const dir = fresh();
    const victim = fresh();
    const link = join(dir, 'staging', '2000000001-00000000-0000-4000-8000-000000000001');
    symlinkSync(victim, link);
    const before = diskState(victim);
    await Airlock.open({ dataDir: dir }).close();
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(diskState(victim)).toEqual(before);
    expect(existsSync(join(dir, STALE_STAGING))).toBe(false);
  });

  it('a link in store/sha256 named like an unreferenced blob is neither followed nor removed', async () => {
    const dir = fresh();
    const victim = fresh();
    const link = join(dir, 'store', 'sha256', 'b'.repeat(64));
    symlinkSync(join(victim, 'airlock.db'), link);
    const before = diskState(victim);
    await Airlock.open({ dataDir: dir }).close();
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(diskState(victim)).toEqual(before);
    expect(existsSync(join(dir, ORPHAN_BLOB))).toBe(false);
  });

  it('a folder named like a blob does not stop the start (it used to: EISDIR) and is left alone', async () => {
    const dir = fresh();
    const folder = join(dir, 'store', 'sha256', 'c'.repeat(64));
    mkdirSync(folder, { mode: 0o700 });
    writeFileSync(join(folder, 'inside'), 'x');
    await Airlock.open({ dataDir: dir }).close();
    expect(existsSync(join(folder, 'inside'))).toBe(true);
  });

  it('names it did not make are left alone (staging/notes.txt, store/sha256/README, a staging folder without a pid)', async () => {
    const dir = fresh();
    const kept = ['staging/notes.txt', 'store/sha256/README', 'staging/backup'];
    writeFileSync(join(dir, kept[0]!), 'x');
    writeFileSync(join(dir, kept[1]!), 'x');
    mkdirSync(join(dir, kept[2]!), { mode: 0o700 });
    await Airlock.open({ dataDir: dir }).close();
    for (const k of kept) expect(existsSync(join(dir, k)), k).toBe(true);
  });

  it('a checkpoint temp file that is a link is neither followed nor removed; one of a live process is kept', async () => {
    const dir = fresh();
    const victim = fresh();
    const link = join(dir, 'keys', 'audit-checkpoint.json.tmp-2000000001');
    symlinkSync(join(victim, 'keys', 'installation.key'), link);
    const live = join(dir, 'keys', 'audit-checkpoint.json.tmp-1');
    writeFileSync(live, '{"being written by pid 1":', { mode: 0o600 });
    const before = diskState(victim);
    await Airlock.open({ dataDir: dir }).close();
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(existsSync(live)).toBe(true);
    expect(diskState(victim)).toEqual(before);
    expect(existsSync(join(dir, STALE_CHECKPOINT_TEMP))).toBe(false);
  });
});
