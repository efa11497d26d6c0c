import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HardwareProfile } from '../../runtime/contract/hardware.js';
import { currentMachine } from '../../runtime/hardware/hardware-store.js';
import { auditRows, ctx, environment, type Env } from '../core/helpers.js';

const run = promisify(execFile);
const BIN = new URL('../../bin/airlock.js', import.meta.url).pathname;

describe('hardware:probe / hardware:get', () => {
  let env: Env;
  beforeAll(async () => {
    env = await environment();
  });
  afterAll(async () => env.close());

  it('returns null before the first probe', async () => {
    expect(await env.handlers['hardware:get']({}, ctx)).toBeNull();
  });

  it('probes, stores the profile under the machine fingerprint and audits it', async () => {
    const before = auditRows(env).length;
    const profile = await env.handlers['hardware:probe']({}, ctx);
    expect(profile.fingerprint).toBe((await currentMachine()).fingerprint);
    expect(profile.providers.find((p) => p.name === 'cpu')?.works).toBe(true);
    expect(profile.cpu.cores).toBeGreaterThan(0);
    const rows = env.airlock.db.prepare('SELECT fingerprint, profile FROM hardware_profiles').all() as {
      fingerprint: string;
      profile: string;
    }[];
    expect(rows).toHaveLength(1);
    expect(JSON.parse(rows[0]!.profile)).toEqual(profile);
    expect(await env.handlers['hardware:get']({}, ctx)).toEqual(profile);
    const audit = auditRows(env).slice(before);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      action: 'hardware.probe',
      outcome: 'success',
      target: profile.fingerprint,
    });
    expect(JSON.parse(audit[0]!.details)).toMatchObject({ providers: { cpu: 'works' } });
  });

  it('probing again keeps one row per machine', async () => {
    await env.handlers['hardware:probe']({}, ctx);
    expect(env.airlock.db.prepare('SELECT COUNT(*) FROM hardware_profiles').pluck().get()).toBe(1);
  });

  it('cancels through operation:cancel and stores nothing', async () => {
    const fresh = await environment();
    try {
      const pending = fresh.handlers['hardware:probe']({ operationId: 'probe-1' }, ctx);
      await new Promise((r) => setTimeout(r, 5));
      expect(await fresh.handlers['operation:cancel']({ operationId: 'probe-1' }, ctx)).toEqual({
        cancelled: true,
      });
      await expect(pending).rejects.toMatchObject({ code: 'CANCELLED' });
      expect(fresh.airlock.db.prepare('SELECT COUNT(*) FROM hardware_profiles').pluck().get()).toBe(0);
      expect(auditRows(fresh).filter((r) => r.action === 'hardware.probe')).toEqual([]);
    } finally {
      await fresh.close();
    }
  });
});

describe('airlock hardware', () => {
  let env: Env;
  beforeAll(async () => {
    env = await environment();
  });
  afterAll(async () => env.close());

  it('--json prints the stored profile; --stored reads it back without probing', async () => {
    const dataDir = join(env.root, 'cli');
    const { stdout } = await run(process.execPath, [BIN, 'hardware', '--json', '--data-dir', dataDir]);
    const profile = JSON.parse(stdout) as HardwareProfile;
    expect(profile.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(profile.providers.map((p) => p.name)).toContain('cpu');
    const stored = await run(process.execPath, [
      BIN,
      'hardware',
      '--stored',
      '--json',
      '--data-dir',
      dataDir,
    ]);
    expect(JSON.parse(stored.stdout)).toEqual(profile);
    const text = await run(process.execPath, [BIN, 'hardware', '--stored', '--data-dir', dataDir]);
    expect(text.stdout).toMatch(/Execution providers:\n {2}cpu {7}works/);
  });

  it('--stored on a machine never probed exits 1 with NOT_FOUND', async () => {
    const dataDir = join(env.root, 'never');
    const result = await run(process.execPath, [
      BIN,
      'hardware',
      '--stored',
      '--json',
      '--data-dir',
      dataDir,
    ]).catch((e: { code: number; stdout: string }) => e);
    expect((result as { code: number }).code).toBe(1);
    expect(JSON.parse((result as { stdout: string }).stdout).error.code).toBe('NOT_FOUND');
  });
});
