/**
 * Issue 10, item 1: the documented sudo set-up (`%airlock-users ALL=(airlock) NOPASSWD:
 * /usr/local/bin/airlock`) must not be a confused deputy. The caller controls the environment and
 * the arguments; the service account owns the real data directory. Through sudo only the service
 * account's own data directory is opened, an untrusted or unmapped SUDO_USER is AUTH_FAILED (never
 * the service account), and nothing is written or deleted before the caller is authenticated.
 *
 * Most cases run the CLI in this process as a deputy: SUDO_UID names another uid than this
 * process's, and the service account's home folder is a temporary one. The last ones (root only)
 * use three real uids: the service account, an attacker who plants links, and sudo's caller.
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  lchownSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  renameSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Airlock } from '../../runtime/airlock.js';
import { main } from '../../runtime/cli/main.js';
import {
  ADMIN_OS_USER,
  copyDataDir,
  diskState,
  isRoot,
  makeDataDir,
  ORPHAN_BLOB,
  STALE_CHECKPOINT_TEMP,
  STALE_STAGING,
  type EntryState,
} from './data-dir-helpers.js';

const CHILD = new URL('./sudo-child.mjs', import.meta.url).pathname;
const EUID = process.geteuid?.() ?? 0;
/** sudo's caller: any uid other than this process's. */
const CALLER_UID = String(EUID + 1000);

let root: string;
let template: string;
let n = 0;
/** The service account's home folder and its data directory, fresh for every test. */
let home: string;
let dataDir: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'airlock-sudo-'));
  template = join(root, 'template');
  await makeDataDir(template);
  const airlock = Airlock.open({ dataDir: template });
  try {
    const admin = airlock.signIn.authenticateOsUser({ name: ADMIN_OS_USER, source: 'test:setup' });
    await airlock.accounts.add(admin, { name: 'alice', role: 'admin', osUsers: ['alice'] });
    await airlock.accounts.add(admin, { name: 'bob', role: 'operator', osUsers: ['bob'] });
  } finally {
    await airlock.close();
  }
  // Opening it put the leftovers away: plant them again (what an interrupted import leaves).
  mkdirSync(join(template, STALE_STAGING), { recursive: true });
  writeFileSync(join(template, STALE_STAGING, '0000'), 'half an import');
  writeFileSync(join(template, ORPHAN_BLOB), 'a blob no model references');
  writeFileSync(join(template, STALE_CHECKPOINT_TEMP), '{"half":');
});
afterAll(async () => rm(root, { recursive: true, force: true }));

beforeEach(() => {
  home = join(root, `home${n++}`);
  mkdirSync(home, { mode: 0o700 });
  mkdirSync(join(home, '.config'), { mode: 0o700 });
  dataDir = join(home, '.config', 'Airlock');
  copyDataDir(template, dataDir);
});

interface Run {
  code: number;
  json: { error?: { code: string; details?: Record<string, unknown>; message: string } } & Record<
    string,
    unknown
  >;
}

/** The CLI as sudo starts it for `user`: a deputy of the service account (this process). */
async function sudo(user: string, argv: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  let stdout = '';
  const code = await main([...argv, '--json'], {
    stdout: (t) => void (stdout += t),
    stderr: () => undefined,
    isTTY: false,
    env: { SUDO_USER: user, SUDO_UID: CALLER_UID, SUDO_GID: CALLER_UID, ...env },
    home: () => home,
  });
  return { code, json: stdout ? (JSON.parse(stdout) as Run['json']) : {} };
}

/** The database's rows, read without changing it (the audit log apart, counted). */
function rows(dir = dataDir): {
  tables: Record<string, unknown[]>;
  audit: { actor: string; action: string; outcome: string; source: string }[];
} {
  const db = new Database(join(dir, 'airlock.db'), { readonly: true, fileMustExist: true });
  try {
    const tables: Record<string, unknown[]> = {};
    for (const t of ['accounts', 'os_users', 'models', 'model_files', 'trust_keys', 'settings', 'jobs'])
      tables[t] = db.prepare(`SELECT * FROM ${t} ORDER BY 1`).all();
    const audit = db
      .prepare('SELECT actor, action, outcome, source FROM audit_log ORDER BY seq')
      .all() as never;
    return { tables, audit };
  } finally {
    db.close();
  }
}

/** The files of a data directory apart from the database's own (which an audit record changes). */
function filesBesideDb(dir = dataDir): Record<string, EntryState> {
  return Object.fromEntries(Object.entries(diskState(dir)).filter(([k]) => !k.startsWith('airlock.db')));
}

const LEFTOVERS = [STALE_STAGING, ORPHAN_BLOB, STALE_CHECKPOINT_TEMP];

/** An attacker's folder of links into the real data directory (the recipe). */
function evilDir(): string {
  const evil = join(root, `evil${n++}`);
  mkdirSync(join(evil, 'store'), { recursive: true, mode: 0o700 });
  for (const entry of ['airlock.db', 'airlock.db-wal', 'airlock.db-shm', 'keys', 'staging'])
    symlinkSync(join(dataDir, entry), join(evil, entry));
  symlinkSync(join(dataDir, 'store', 'sha256'), join(evil, 'store', 'sha256'));
  return evil;
}

describe('through sudo, the caller is authenticated before anything changes', () => {
  it('an unmapped SUDO_USER → AUTH_FAILED; only its refusal is recorded, recovery did not run', async () => {
    const files = filesBesideDb();
    const before = rows();
    const r = await sudo('carol', ['models']);
    expect(r.code).toBe(1);
    expect(r.json.error).toMatchObject({ code: 'AUTH_FAILED', details: { osUser: 'carol' } });
    expect(filesBesideDb()).toEqual(files);
    for (const leftover of LEFTOVERS) expect(existsSync(join(dataDir, leftover)), leftover).toBe(true);
    const after = rows();
    expect(after.tables).toEqual(before.tables);
    expect(after.audit.slice(0, -1)).toEqual(before.audit);
    expect(after.audit.at(-1)).toMatchObject({ actor: 'carol', action: 'auth.os-user', outcome: 'refused' });
  });

  it('a SUDO_USER that is not a user name → AUTH_FAILED, recorded; never the service account', async () => {
    const before = rows();
    const r = await sudo('alice\u001b[2J', ['users', 'list']);
    expect(r.code).toBe(1);
    expect(r.json.error).toMatchObject({ code: 'AUTH_FAILED' });
    for (const leftover of LEFTOVERS) expect(existsSync(join(dataDir, leftover)), leftover).toBe(true);
    const after = rows();
    expect(after.tables).toEqual(before.tables);
    expect(after.audit.slice(0, -1)).toEqual(before.audit);
    expect(after.audit.at(-1)).toMatchObject({ action: 'auth.os-user', outcome: 'refused' });
  });

  it('a mapped SUDO_USER is that person (source says "sudo as"); recovery runs after sign-in', async () => {
    const r = await sudo('bob', ['models']);
    expect(r.code).toBe(0);
    for (const leftover of LEFTOVERS) expect(existsSync(join(dataDir, leftover)), leftover).toBe(false);
    expect(rows().audit.at(-1)).toMatchObject({
      actor: 'bob',
      action: 'cli.command',
      outcome: 'success',
      source: expect.stringMatching(/\(sudo as .+\)$/),
    });
    // The operator stays an operator: admin commands are refused engine-side.
    expect((await sudo('bob', ['users', 'list'])).json.error).toMatchObject({ code: 'ROLE_FORBIDDEN' });
  });
});

describe('through sudo, only the service account’s data directory is opened', () => {
  it('--data-dir naming a folder of links into the real one → DATA_DIR_UNSAFE (not-configured); nothing changes', async () => {
    const evil = evilDir();
    const before = [diskState(dataDir), diskState(evil)];
    const r = await sudo('mallory', ['users', 'set-role', 'alice', 'auditor', '--data-dir', evil]);
    expect(r.code).toBe(1);
    expect(r.json.error).toMatchObject({
      code: 'DATA_DIR_UNSAFE',
      details: { reason: 'not-configured', path: evil, configured: dataDir },
    });
    expect([diskState(dataDir), diskState(evil)]).toEqual(before);
  });

  it('AIRLOCK_HOME naming another folder → DATA_DIR_UNSAFE (not-configured); nothing changes', async () => {
    const evil = evilDir();
    const before = [diskState(dataDir), diskState(evil)];
    const r = await sudo('mallory', ['models', 'remove', 'classifier@1.0.0'], { AIRLOCK_HOME: evil });
    expect(r.json.error).toMatchObject({ code: 'DATA_DIR_UNSAFE', details: { reason: 'not-configured' } });
    expect([diskState(dataDir), diskState(evil)]).toEqual(before);
  });

  it("the caller's XDG_CONFIG_HOME is ignored: the service account's own data directory is used", async () => {
    const decoy = join(root, `decoy${n++}`);
    mkdirSync(decoy, { mode: 0o700 });
    const r = await sudo('bob', ['models'], { XDG_CONFIG_HOME: decoy, HOME: decoy });
    expect(r.code).toBe(0);
    expect(readdirSync(decoy)).toEqual([]);
    expect(rows().audit.at(-1)).toMatchObject({ actor: 'bob', action: 'cli.command' });
  });

  it('--data-dir naming the configured folder, even by another path, is accepted', async () => {
    const alias = join(root, `alias${n++}`);
    symlinkSync(dataDir, alias);
    expect((await sudo('bob', ['models', '--data-dir', dataDir])).code).toBe(0);
    expect((await sudo('bob', ['models', '--data-dir', alias])).code).toBe(0);
  });

  it('the data directory itself a link → DATA_DIR_UNSAFE (link); nothing changes', async () => {
    const real = join(root, `real${n++}`);
    renameSync(dataDir, real);
    symlinkSync(real, dataDir);
    const before = diskState(real);
    const r = await sudo('bob', ['models']);
    expect(r.json.error).toMatchObject({
      code: 'DATA_DIR_UNSAFE',
      details: { reason: 'link', path: dataDir },
    });
    expect(diskState(real)).toEqual(before);
  });

  it.each([
    ['the home folder', () => home],
    ['.config', () => join(home, '.config')],
  ])('%s writable by others → DATA_DIR_UNSAFE (ancestor); nothing changes', async (_what, folder) => {
    chmodSync(folder(), 0o777);
    const before = diskState(dataDir);
    const r = await sudo('bob', ['models']);
    expect(r.json.error).toMatchObject({
      code: 'DATA_DIR_UNSAFE',
      details: { reason: 'ancestor', path: folder() },
    });
    expect(diskState(dataDir)).toEqual(before);
  });
});

describe('through sudo, no file of the service account is read or written for the caller', () => {
  it.each([
    ['keys generate', (out: string) => ['keys', 'generate', '--out', out, '--name', 'k']],
    ['bundle inspect', (out: string) => ['bundle', 'inspect', join(out, 'x.airlock')]],
    [
      'bundle create',
      (out: string) => [
        'bundle',
        'create',
        '--model',
        join(dataDir, 'keys', 'installation.key'),
        '--name',
        'x',
        '--version',
        '1.0.0',
        '--out',
        join(out, 'x.airlock'),
      ],
    ],
    ['demo', (out: string) => ['demo', '--data-dir', out]],
  ])('"%s" opens no data directory → PERMISSION_DENIED; nothing is written', async (_name, argv) => {
    const out = join(root, `out${n++}`);
    const before = diskState(dataDir);
    const r = await sudo('bob', argv(out));
    expect(r.code).toBe(1);
    expect(r.json.error).toMatchObject({ code: 'PERMISSION_DENIED' });
    expect(existsSync(out)).toBe(false);
    expect(diskState(dataDir)).toEqual(before);
  });

  it.each([
    [
      'trust add of the installation key',
      () => ['trust', 'add', join(dataDir, 'keys', 'installation.pub'), '--name', 'x'],
    ],
    [
      'audit export into the data directory',
      () => ['audit', 'export', '--out', join(dataDir, 'store', 'export')],
    ],
    [
      'trust add through a link of the caller',
      () => {
        const link = join(root, `innocent${n++}`);
        symlinkSync(join(dataDir, 'keys'), link);
        return ['trust', 'add', join(link, 'installation.pub'), '--name', 'x'];
      },
    ],
  ])('%s → PERMISSION_DENIED, recorded as a refused command; nothing else changes', async (_what, argv) => {
    const args = argv();
    // The checkpoint file outside the database follows the audit head (a new record), as the database does.
    const files = filesBesideDb();
    delete files['keys/audit-checkpoint.json'];
    const before = rows();
    const r = await sudo('alice', args);
    expect(r.code).toBe(1);
    expect(r.json.error).toMatchObject({ code: 'PERMISSION_DENIED' });
    const after = rows();
    expect(after.tables).toEqual(before.tables);
    // Recovery ran (alice is authenticated): the leftovers are gone, nothing else changed.
    const expected = Object.fromEntries(
      Object.entries(files).filter(([k]) => !LEFTOVERS.some((l) => k === l || k.startsWith(`${l}/`))),
    );
    const now = filesBesideDb();
    delete now['keys/audit-checkpoint.json'];
    expect(now).toEqual(expected);
    expect(after.audit.at(-1)).toMatchObject({ actor: 'alice', action: 'cli.command', outcome: 'refused' });
  });
});

describe('with real accounts: the service account, an attacker, sudo (root only)', () => {
  const SERVICE = 4242;
  const ATTACKER = 4343;

  /** Runs the compiled CLI as the service account, as sudo would for the attacker. */
  function asService(argv: string[], env: NodeJS.ProcessEnv) {
    const r = spawnSync(process.execPath, [CHILD, ...argv, '--json'], {
      uid: SERVICE,
      gid: SERVICE,
      cwd: root,
      encoding: 'utf8',
      env: { PATH: process.env['PATH'], USER: 'airlock', AIRLOCK_TEST_SERVICE_HOME: home, ...env },
    });
    return { code: r.status, json: r.stdout ? (JSON.parse(r.stdout) as Run['json']) : {}, stderr: r.stderr };
  }

  /** The attacker, as themselves, makes a folder of links into the real data directory. */
  function attackerLinks(): string {
    const base = join(root, `attacker${n++}`);
    mkdirSync(base, { mode: 0o755 });
    chownSync(base, ATTACKER, ATTACKER);
    const evil = join(base, 'evil');
    const script = `
      const fs = require('node:fs'); const p = require('node:path');
      const [evil, real] = process.argv.slice(1);
      fs.mkdirSync(p.join(evil, 'store'), { recursive: true });
      for (const e of ['airlock.db', 'airlock.db-wal', 'airlock.db-shm', 'keys', 'staging'])
        fs.symlinkSync(p.join(real, e), p.join(evil, e));
      fs.symlinkSync(p.join(real, 'store', 'sha256'), p.join(evil, 'store', 'sha256'));`;
    const r = spawnSync(process.execPath, ['-e', script, evil, dataDir], {
      uid: ATTACKER,
      gid: ATTACKER,
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`attacker setup failed: ${r.stderr}`);
    expect(lstatSync(evil).uid).toBe(ATTACKER);
    return evil;
  }

  function serviceOwns(): void {
    chmodSync(root, 0o755);
    const walk = (p: string) => {
      lchownSync(p, SERVICE, SERVICE);
      if (lstatSync(p).isDirectory()) for (const e of readdirSync(p)) walk(join(p, e));
    };
    walk(home);
  }

  it('the attacker’s --data-dir → DATA_DIR_UNSAFE (not-configured); the real data directory is untouched', async (context) => {
    if (!isRoot()) {
      console.info('skipped: needs root to run processes as other uids');
      context.skip();
    }
    serviceOwns();
    const evil = attackerLinks();
    const before = [diskState(dataDir), diskState(evil)];
    const r = asService(['users', 'set-role', 'alice', 'auditor', '--data-dir', evil], {
      SUDO_USER: 'mallory',
      SUDO_UID: String(ATTACKER),
    });
    expect(r.code, r.stderr).toBe(1);
    expect(r.json.error).toMatchObject({ code: 'DATA_DIR_UNSAFE', details: { reason: 'not-configured' } });
    expect([diskState(dataDir), diskState(evil)]).toEqual(before);
  });

  it('without sudo’s SUDO_UID (no deputy) the attacker’s folder is still refused (owner), never opened as the service admin', async (context) => {
    if (!isRoot()) {
      console.info('skipped: needs root to run processes as other uids');
      context.skip();
    }
    serviceOwns();
    const evil = attackerLinks();
    const before = [diskState(dataDir), diskState(evil)];
    const r = asService(['users', 'set-role', 'alice', 'auditor', '--data-dir', evil], {
      SUDO_USER: 'mallory',
    });
    expect(r.code, r.stderr).toBe(1);
    expect(r.json.error, JSON.stringify(r.json)).toMatchObject({
      code: 'DATA_DIR_UNSAFE',
      details: { reason: 'owner', path: evil },
    });
    expect([diskState(dataDir), diskState(evil)]).toEqual(before);
  });

  it('through sudo the mapped person works on the real data directory as themselves', async (context) => {
    if (!isRoot()) {
      console.info('skipped: needs root to run processes as other uids');
      context.skip();
    }
    serviceOwns();
    const r = asService(['models'], { SUDO_USER: 'bob', SUDO_UID: String(ATTACKER) });
    expect(r.code, r.stderr).toBe(0);
    expect(rows().audit.at(-1)).toMatchObject({
      actor: 'bob',
      action: 'cli.command',
      source: expect.stringMatching(/sudo as airlock/),
    });
    // What the service account made is its own and private.
    expect(lstatSync(join(dataDir, 'airlock.db')).uid).toBe(SERVICE);
    expect(lstatSync(join(dataDir, 'airlock.db')).mode & 0o777).toBe(0o600);
  });
});
