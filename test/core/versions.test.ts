/**
 * Issue 10, case 5: versions equal under semantic-version precedence (1.0.0 and 1.0.0+build) are
 * one version: the second is a VERSION_CONFLICT, and "the latest" never depends on SQL order.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Airlock } from '../../runtime/airlock.js';
import { call, createHandlers } from '../../runtime/api/handlers.js';
import { compareVersionsDescending } from '../../runtime/store/model-registry.js';
import { auditRows, ctx, environment, signedBundle, snapshot, type Env } from './helpers.js';

let env: Env;
beforeEach(async () => {
  env = await environment();
});
afterEach(async () => env.close());

async function install(version: string): Promise<void> {
  const report = await call(
    env.handlers,
    'models:import',
    { path: await signedBundle(env.root, env.pub, { version }) },
    ctx,
  );
  expect(report.installed).toBe(1);
}

/** The import is refused with `code`, nothing changed, one bundle.reject record; verify agrees. */
async function expectRefused(file: string, code: string, message: RegExp): Promise<void> {
  const before = snapshot(env);
  const audit = auditRows(env).length;
  const report = await call(env.handlers, 'models:import', { path: file }, ctx);
  expect(report.items[0]).toMatchObject({ outcome: 'rejected', error: { code } });
  expect(report.items[0]!.error!.message).toMatch(message);
  expect(report.installed).toBe(0);
  expect(snapshot(env)).toEqual(before);
  const rows = auditRows(env);
  expect(rows).toHaveLength(audit + 1);
  expect(rows.at(-1)).toMatchObject({ action: 'bundle.reject', outcome: 'refused' });
  expect(JSON.parse(rows.at(-1)!.details).error.code).toBe(code);
  const verdict = await call(env.handlers, 'bundle:verify', { path: file }, ctx);
  expect(verdict.error?.code).toBe(code);
  expect(snapshot(env)).toEqual(before);
}

describe('versions equal under semver precedence', () => {
  it('1.0.0+build beside an installed 1.0.0 → VERSION_CONFLICT, nothing changed', async () => {
    await install('1.0.0');
    const file = await signedBundle(env.root, env.pub, { version: '1.0.0+build.7' });
    await expectRefused(file, 'VERSION_CONFLICT', /same version as the installed classifier@1\.0\.0/);
  });

  it('1.0.0 beside an installed 1.0.0+build, and 1.0.0+other beside it → VERSION_CONFLICT', async () => {
    await install('1.0.0+build.7');
    await expectRefused(
      await signedBundle(env.root, env.pub, { version: '1.0.0' }),
      'VERSION_CONFLICT',
      /classifier@1\.0\.0\+build\.7/,
    );
    await expectRefused(
      await signedBundle(env.root, env.pub, { version: '1.0.0+other' }),
      'VERSION_CONFLICT',
      /build metadata/,
    );
    // A pre-release and a higher version are other versions.
    await install('1.0.1-rc.1');
    await install('1.0.1');
  });
});

describe('the latest version never depends on SQL order', () => {
  it('compareVersionsDescending is a total order over distinct version strings', () => {
    const versions = ['1.0.0', '1.0.0+build', '1.0.0+001', '1.0.0+1', '1.0.0-rc.1', '0.9.0', '1.0.0+build.2'];
    const sorted = [...versions].sort(compareVersionsDescending);
    expect(sorted).toEqual([
      '1.0.0+build.2',
      '1.0.0+build',
      '1.0.0+1',
      '1.0.0+001',
      '1.0.0',
      '1.0.0-rc.1',
      '0.9.0',
    ]);
    for (let i = 0; i < 20; i += 1) {
      const shuffled = [...versions].sort(() => Math.random() - 0.5);
      expect(shuffled.sort(compareVersionsDescending)).toEqual(sorted);
    }
    for (const a of versions)
      for (const b of versions)
        expect(Math.sign(compareVersionsDescending(a, b))).toBe(
          a === b ? 0 : -Math.sign(compareVersionsDescending(b, a)),
        );
  });

  it('a database holding 1.0.0 and 1.0.0+build (written before the rule) resolves the same whichever row came first', async () => {
    await install('1.0.0');
    const installed = env.airlock.registry.find('classifier', '1.0.0')!;
    const pairs = [
      ['1.0.0', '1.0.0+build'],
      ['1.0.0+build', '1.0.0'],
    ] as const;
    const picked: string[] = [];
    for (const [i, order] of pairs.entries()) {
      const dataDir = join(env.root, `legacy-${i}`);
      const legacy = Airlock.open({ dataDir });
      try {
        // As an older Airlock installed them, straight into the registry (no admission rule then).
        for (const [n, version] of order.entries())
          legacy.db.transaction(() =>
            legacy.registry.insert(
              {
                card: { ...installed.card, version },
                bundleSha256: `${n}`.repeat(64),
                envelope: {},
                signers: ['acme'],
                files: installed.files,
              },
              'older-airlock',
              new Date('2026-01-01T00:00:00Z'),
            ),
          )();
        picked.push(legacy.registry.resolve('classifier').version);
        expect(legacy.registry.list().map((m) => m.version)).toEqual(['1.0.0+build', '1.0.0']);
        const handlers = createHandlers(legacy);
        expect((await call(handlers, 'models:list', {}, ctx)).map((m) => m.version)).toEqual([
          '1.0.0+build',
          '1.0.0',
        ]);
      } finally {
        await legacy.close();
      }
    }
    expect(picked).toEqual(['1.0.0+build', '1.0.0+build']);
  });
});
