import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Airlock } from '../../runtime/airlock.js';
import { accountNameFor } from '../../runtime/auth/sign-in.js';
import { main } from '../../runtime/cli/main.js';

let root: string;
let dataDir: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'airlock-cli-users-'));
  dataDir = join(root, 'data');
});
afterEach(async () => rm(root, { recursive: true, force: true }));

type CliResult = { code: number; stdout: string; stderr: string; json: Record<string, unknown> };

async function cliEnv(env: NodeJS.ProcessEnv, ...argv: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await main([...argv, '--data-dir', dataDir, '--json'], {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    isTTY: false,
    env,
  });
  return { code, stdout, stderr, json: stdout ? (JSON.parse(stdout) as Record<string, unknown>) : {} };
}

const cli = (...argv: string[]): Promise<CliResult> => cliEnv({}, ...argv);

describe('the CLI signs in as the OS user (peer authentication)', () => {
  const me = userInfo().username;
  const myAccount = accountNameFor(me);

  it('the OS user who creates a data directory becomes its admin; mapping and roles apply; an unmapped OS user is refused and recorded', async () => {
    const first = await cli('users', 'list');
    expect(first.code).toBe(0);
    expect(first.json).toEqual([
      expect.objectContaining({ name: myAccount, role: 'admin', osUsers: [me], hasPassword: false }),
    ]);

    expect((await cli('users', 'add', 'op', '--role', 'operator')).code).toBe(0);
    expect(
      (await cli('users', 'add', 'audrey', '--role', 'auditor', '--os-user', 'audrey-os')).json,
    ).toMatchObject({ name: 'audrey', role: 'auditor', osUsers: ['audrey-os'] });
    expect((await cli('users', 'add', 'bad', '--role', 'root')).code).toBe(2);

    // Move this OS user to the operator account: admin commands are now refused, engine-side.
    expect((await cli('users', 'map', me, '--account', 'op')).code).toBe(0);
    expect((await cli('trust', 'list')).code).toBe(0);
    const refused = await cli('users', 'list');
    expect(refused.code).toBe(1);
    expect(refused.json).toMatchObject({ error: { code: 'ROLE_FORBIDDEN' } });

    // The admin (still holding its account) removes this OS user's mapping: now it is refused.
    const airlock = Airlock.open({ dataDir });
    airlock.accounts.unmap({ name: myAccount, source: 'test', role: 'admin' }, me);
    await airlock.close();
    const unmapped = await cli('audit', 'list');
    expect(unmapped.code).toBe(1);
    expect(unmapped.json).toMatchObject({ error: { code: 'AUTH_FAILED' } });

    const check = Airlock.open({ dataDir });
    try {
      const records = check.audit.list({ order: 'asc', limit: 1000 });
      expect(records.find((r) => r.action === 'users.bootstrap')).toMatchObject({
        actor: myAccount,
        target: myAccount,
        details: { osUser: me, role: 'admin' },
      });
      expect(records.find((r) => r.action === 'auth.refused')).toMatchObject({
        actor: 'op',
        target: 'users:list',
        outcome: 'refused',
      });
      expect(records.at(-1)).toMatchObject({ action: 'auth.os-user', actor: me, outcome: 'refused' });
      // Every record names the account, the installation and the source process.
      const cliRecord = records.find((r) => r.action === 'cli.command')!;
      expect(cliRecord).toMatchObject({
        actor: myAccount,
        installation: check.installationId,
        source: `cli:${process.pid}`,
      });
      expect(check.audit.verify().ok).toBe(true);
    } finally {
      await check.close();
    }
  });

  it('through sudo as the data directory owner, the person named by SUDO_USER is the one signed in', async () => {
    expect((await cli('users', 'list')).code).toBe(0);
    const refused = await cliEnv({ SUDO_USER: 'mallory' }, 'audit', 'verify');
    expect(refused.code).toBe(1);
    expect(refused.json).toMatchObject({ error: { code: 'AUTH_FAILED' } });
    expect((await cli('users', 'add', 'mal', '--role', 'auditor', '--os-user', 'mallory')).code).toBe(0);
    expect((await cliEnv({ SUDO_USER: 'mallory' }, 'audit', 'verify')).code).toBe(0);
    expect(
      (await cliEnv({ SUDO_USER: 'mallory' }, 'trust', 'add', '/nonexistent.pub', '--name', 'x')).code,
    ).toBe(1);
    const check = Airlock.open({ dataDir });
    try {
      const records = check.audit.list({ order: 'asc', limit: 1000 });
      expect(records.find((r) => r.action === 'auth.os-user')).toMatchObject({
        actor: 'mallory',
        outcome: 'refused',
        source: `cli:${process.pid} (sudo as ${me})`,
      });
      expect(
        records.filter((r) => r.action === 'cli.command' && r.actor === 'mal').map((r) => r.target),
      ).toEqual(['audit verify', 'trust add']);
    } finally {
      await check.close();
    }
  });

  it('audit export writes a folder whose verify.js says VALID; a second export into it is refused', async () => {
    expect((await cli('users', 'list')).code).toBe(0);
    const out = join(root, 'usb', 'audit');
    const r = await cli('audit', 'export', '--out', out);
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ dir: out, fromSeq: 1 });
    const v = spawnSync(process.execPath, ['verify.js'], { cwd: out, encoding: 'utf8' });
    expect(v.stdout).toMatch(/VERDICT: VALID/);
    expect(v.status).toBe(0);
    const again = await cli('audit', 'export', '--out', out);
    expect(again.code).toBe(2);
    expect(again.json).toMatchObject({
      error: { code: 'USAGE', message: expect.stringMatching(/is not empty/) },
    });
    expect((await cli('audit', 'export', '--out', join(root, 'x'), '--from', 'yesterday')).code).toBe(2);
  });
});
