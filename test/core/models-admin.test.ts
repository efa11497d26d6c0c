/**
 * Admin verbs on installed models (issue 6's Models screen wraps them): disable, enable, remove.
 * Real bundles, real store files, real SQLite rows and real onnxruntime sessions.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call } from '../../runtime/api/handlers.js';
import type { CallContext } from '../../runtime/api/context.js';
import { auditRows, ctx, environment, publisher, signedBundle, snapshot, type Env } from './helpers.js';
import { revocationFile } from '../attack/policy-helpers.js';

const BIN = new URL('../../bin/airlock.js', import.meta.url).pathname;
let env: Env;
const input = { x: { type: 'float32' as const, dims: [1, 4], data: [1, 2, 3, 4] } };
const operator: CallContext = { actor: { name: 'op', source: 'test', role: 'operator' } };

async function install(version = '1.0.0'): Promise<string> {
  const bundle = await signedBundle(env.root, env.pub, { version });
  const report = await call(env.handlers, 'models:import', { path: bundle }, ctx);
  expect(report.items[0]!.outcome).toBe('installed');
  return bundle;
}

const run = (model: string) => call(env.handlers, 'inference:run', { model, inputs: input }, ctx);

beforeEach(async () => {
  env = await environment();
});
afterEach(async () => {
  await env.close();
});

describe('models:disable and models:enable', () => {
  it('a disabled version stops running at once (even with a cached session), and runs again once enabled', async () => {
    await install();
    await run('classifier@1.0.0'); // a session is now cached
    const disabled = await call(
      env.handlers,
      'models:disable',
      { ref: 'classifier@1.0.0', reason: 'wrong calibration on line 3' },
      ctx,
    );
    expect(disabled.enabled).toBe(false);
    expect(disabled.disabledReason).toContain('wrong calibration on line 3');
    await expect(run('classifier@1.0.0')).rejects.toMatchObject({ code: 'MODEL_DISABLED' });
    await expect(run('classifier')).rejects.toMatchObject({ code: 'MODEL_DISABLED' });
    const disableRecord = auditRows(env).findLast((r) => r.action === 'model.disable')!;
    expect(disableRecord.outcome).toBe('success');
    expect(JSON.parse(disableRecord.details).reason).toBe('wrong calibration on line 3');

    const enabled = await call(env.handlers, 'models:enable', { ref: 'classifier@1.0.0' }, ctx);
    expect(enabled.enabled).toBe(true);
    expect(enabled.disabledReason).toBeNull();
    expect((await run('classifier@1.0.0')).outputs).toBeDefined();
    expect(auditRows(env).some((r) => r.action === 'model.enable' && r.outcome === 'success')).toBe(true);
  });

  it('a model disabled by a revoked key cannot be enabled: REVOKED or untrusted, nothing changed, refusal audited', async () => {
    await install();
    const admin = publisher();
    await call(
      env.handlers,
      'trust:add',
      { name: 'admin1', publicKeyPem: admin.publicKeyPem, role: 'admin' },
      ctx,
    );
    const list = await revocationFile(env.root, { keys: [{ keyId: env.pub.keyId, reason: 'key leaked' }] }, [
      admin,
    ]);
    await call(env.handlers, 'revocations:import', { path: list }, ctx);
    const before = snapshot(env);
    const error = await call(env.handlers, 'models:enable', { ref: 'classifier@1.0.0' }, ctx).catch((e) => e);
    // The only signature comes from a revoked key, so no trusted signer remains.
    expect(error.code).toMatch(/^(SIGNATURE_UNTRUSTED|THRESHOLD_NOT_MET|REVOKED)$/);
    expect(snapshot(env)).toEqual(before);
    const last = auditRows(env).at(-1)!;
    expect(last.action).toBe('model.enable');
    expect(last.outcome).toBe('refused');
    expect(JSON.parse(last.details).error.code).toBe(error.code);
  });

  it('refuses bad refs and unknown versions with a clear code, changing nothing', async () => {
    await install();
    const before = snapshot(env);
    await expect(
      call(env.handlers, 'models:disable', { ref: 'classifier', reason: 'x' }, ctx),
    ).rejects.toMatchObject({ code: 'USAGE' });
    await expect(
      call(env.handlers, 'models:disable', { ref: 'classifier@9.9.9', reason: 'x' }, ctx),
    ).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
    await expect(
      call(env.handlers, 'models:disable', { ref: 'classifier@1.0.0', reason: '  ' }, ctx),
    ).rejects.toMatchObject({ code: 'USAGE' });
    expect(snapshot(env)).toEqual(before);
    // Enabling an enabled version changes nothing (and says so in the log).
    expect((await call(env.handlers, 'models:enable', { ref: 'classifier@1.0.0' }, ctx)).enabled).toBe(true);
    expect(JSON.parse(auditRows(env).at(-1)!.details).unchanged).toBe('already enabled');
    // Disabling twice is refused with the reason already recorded.
    await call(env.handlers, 'models:disable', { ref: 'classifier@1.0.0', reason: 'first' }, ctx);
    const disabledOnce = snapshot(env);
    await expect(
      call(env.handlers, 'models:disable', { ref: 'classifier@1.0.0', reason: 'second' }, ctx),
    ).rejects.toMatchObject({ code: 'MODEL_DISABLED', message: expect.stringContaining('first') });
    expect(snapshot(env)).toEqual(disabledOnce);
    expect(before.rows['models']).not.toEqual(disabledOnce.rows['models']);
  });

  it('an operator cannot disable, enable or remove: ROLE_FORBIDDEN, audited, nothing changed', async () => {
    await install();
    const before = snapshot(env);
    for (const [channel, req] of [
      ['models:disable', { ref: 'classifier@1.0.0', reason: 'x' }],
      ['models:enable', { ref: 'classifier@1.0.0' }],
      ['models:remove', { ref: 'classifier@1.0.0' }],
    ] as const) {
      await expect(call(env.handlers, channel, req as never, operator)).rejects.toMatchObject({
        code: 'ROLE_FORBIDDEN',
      });
    }
    expect(snapshot(env)).toEqual(before);
    expect(
      auditRows(env).filter((r) => r.outcome === 'refused' || r.outcome === 'failure').length,
    ).toBeGreaterThanOrEqual(3);
  });
});

describe('models:remove', () => {
  it('removes the rows and the store files, keeps the high-water mark, audits it, and a lower version stays refused', async () => {
    await install('1.0.0');
    await run('classifier@1.0.0');
    const files = snapshot(env).files;
    expect(Object.keys(files).some((f) => f.startsWith('store/sha256/'))).toBe(true);
    const removed = await call(env.handlers, 'models:remove', { ref: 'classifier@1.0.0' }, ctx);
    expect(removed).toMatchObject({ name: 'classifier', version: '1.0.0', highWater: '1.0.0' });
    expect(removed.blobsRemoved).toBeGreaterThan(0);
    expect(removed.bytesFreed).toBeGreaterThan(0);
    const after = snapshot(env);
    expect(Object.keys(after.files).filter((f) => f.startsWith('store/sha256/'))).toEqual([]);
    expect(after.rows['models']).toEqual([]);
    expect(after.rows['model_files']).toEqual([]);
    expect(after.rows['version_high_water']).toHaveLength(1);
    await expect(run('classifier@1.0.0')).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
    const record = auditRows(env).findLast((r) => r.action === 'model.remove')!;
    expect(record.outcome).toBe('success');
    expect(JSON.parse(record.details)).toMatchObject({
      highWater: '1.0.0',
      blobsRemoved: removed.blobsRemoved,
    });
    // Re-importing the same version is allowed (not lower than the mark); a lower one is a rollback.
    const older = await signedBundle(env.root, env.pub, { version: '0.9.0' });
    const report = await call(env.handlers, 'models:import', { path: older }, ctx);
    expect(report.items[0]!.error?.code).toBe('ROLLBACK');
  });

  it('keeps a file another installed version shares', async () => {
    await install('1.0.0');
    await install('1.1.0'); // same model.onnx: one blob, two rows
    const blobs = () => Object.keys(snapshot(env).files).filter((f) => f.startsWith('store/sha256/'));
    const shared = blobs();
    await call(env.handlers, 'models:remove', { ref: 'classifier@1.0.0' }, ctx);
    const model = await call(env.handlers, 'models:get', { ref: 'classifier@1.1.0' }, ctx);
    const graph = model.files.find((f) => f.path === model.card.model)!.sha256;
    expect(blobs()).toContain(`store/sha256/${graph}`);
    expect(existsSync(env.airlock.store.blobPath(graph))).toBe(true);
    expect(shared.length).toBeGreaterThanOrEqual(blobs().length);
    expect((await run('classifier@1.1.0')).outputs).toBeDefined();
  });

  it('the CLI drives all three with the documented exit codes', async () => {
    const dataDir = join(env.root, 'cli-data');
    const pubFile = join(env.root, 'acme.pub');
    await writeFile(pubFile, env.pub.publicKeyPem);
    const bundle = await signedBundle(env.root, env.pub, { version: '2.0.0' });
    const cli = (...args: string[]) => {
      const r = spawnSync(process.execPath, [BIN, ...args, '--data-dir', dataDir, '--json'], {
        encoding: 'utf8',
        env: { ...process.env, AIRLOCK_HOME: '' },
        timeout: 60_000,
      });
      return {
        code: r.status,
        doc: JSON.parse(r.stdout) as Record<string, unknown> & { error?: { code: string } },
      };
    };
    expect(cli('trust', 'add', pubFile, '--name', 'acme').code).toBe(0);
    expect(cli('import', bundle).code).toBe(0);
    const noReason = cli('models', 'disable', 'classifier@2.0.0');
    expect([noReason.code, noReason.doc.error?.code]).toEqual([2, 'USAGE']);
    const disabled = cli('models', 'disable', 'classifier@2.0.0', '--reason', 'recalled by the vendor');
    expect(disabled.code).toBe(0);
    expect(disabled.doc).toMatchObject({ enabled: false });
    const inputFile = join(env.root, 'x.json');
    await writeFile(inputFile, JSON.stringify(input));
    const refused = cli('run', 'classifier', '--input', inputFile);
    expect([refused.code, refused.doc.error?.code]).toEqual([1, 'MODEL_DISABLED']);
    expect(cli('models', 'enable', 'classifier@2.0.0').code).toBe(0);
    expect(cli('run', 'classifier', '--input', inputFile).code).toBe(0);
    const removed = cli('models', 'remove', 'classifier@2.0.0');
    expect(removed.code).toBe(0);
    expect(removed.doc).toMatchObject({ name: 'classifier', version: '2.0.0', highWater: '2.0.0' });
    const gone = cli('models', 'remove', 'classifier@2.0.0');
    expect([gone.code, gone.doc.error?.code]).toEqual([1, 'MODEL_NOT_FOUND']);
    expect(cli('models').doc).toEqual([]);
    expect(cli('audit', 'verify').code).toBe(0);
  });
});
