/**
 * Scanning a medium: every bundle (top level and airlock/) gets the verdict an import would give,
 * with name, version, publisher, signers and size, while nothing is installed, nothing is written
 * to the medium, and the scan is recorded once.
 */
import { copyFile, mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call } from '../../runtime/api/handlers.js';
import {
  auditRows,
  ctx,
  environment,
  listFiles,
  publisher,
  signedBundle,
  type Env,
} from '../core/helpers.js';
import { fullSnapshot, policyFile, revocationFile } from './policy-helpers.js';

let env: Env;
let medium: string;

beforeEach(async () => {
  env = await environment();
  medium = join(env.root, 'stick');
  await mkdir(join(medium, 'airlock'), { recursive: true });
  await mkdir(join(medium, 'photos', 'airlock'), { recursive: true });
});
afterEach(async () => env.close());

/** Names, sizes, digests and modification times of everything on the medium. */
async function mediumState(dir: string): Promise<Record<string, unknown>> {
  const files = listFiles(dir);
  const out: Record<string, unknown> = {};
  for (const [path, digest] of Object.entries(files))
    out[path] = { digest, mtime: (await stat(join(dir, path))).mtimeMs };
  const dirs: string[] = [];
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      dirs.push(relative(dir, join(d, e.name)));
      await walk(join(d, e.name));
    }
  };
  await walk(dir);
  return { files: out, dirs: dirs.sort() };
}

describe('media scan', () => {
  it('gives each bundle its verdict without installing or writing anything, and records the scan once', async () => {
    const work = join(env.root, 'work');
    await mkdir(work);
    const installed = await signedBundle(work, env.pub, { version: '1.0.0' });
    await call(env.handlers, 'models:import', { path: installed }, ctx);
    await copyFile(installed, join(medium, 'classifier-1.0.0.airlock'));
    await copyFile(
      await signedBundle(work, env.pub, { version: '2.0.0' }),
      join(medium, 'airlock', 'classifier-2.0.0.airlock'),
    );
    await copyFile(
      await signedBundle(work, publisher(), { name: 'stranger', version: '1.0.0' }),
      join(medium, 'airlock', 'stranger-1.0.0.airlock'),
    );
    await writeFile(join(medium, 'airlock', 'broken.airlock'), 'not a tar file at all. '.repeat(100));
    await copyFile(installed, join(medium, 'photos', 'airlock', 'deep.airlock'));
    await writeFile(join(medium, 'readme.txt'), 'hello');

    const mediumBefore = await mediumState(medium);
    const before = fullSnapshot(env);
    const audit = auditRows(env).length;
    const [report] = await call(env.handlers, 'media:scan', { mountpoint: medium }, ctx);
    const byFile = Object.fromEntries(report!.bundles.map((b) => [relative(medium, b.path), b]));
    expect(Object.keys(byFile).sort()).toEqual([
      'airlock/broken.airlock',
      'airlock/classifier-2.0.0.airlock',
      'airlock/stranger-1.0.0.airlock',
      'classifier-1.0.0.airlock',
    ]);
    expect(byFile['airlock/classifier-2.0.0.airlock']).toMatchObject({
      name: 'classifier',
      version: '2.0.0',
      publisher: 'ACME Models',
      signers: ['acme'],
      verdict: 'installable',
      error: null,
    });
    expect(byFile['airlock/classifier-2.0.0.airlock']!.size).toBe(
      (await stat(join(medium, 'airlock', 'classifier-2.0.0.airlock'))).size,
    );
    expect(byFile['classifier-1.0.0.airlock']).toMatchObject({
      verdict: 'already-installed',
      version: '1.0.0',
    });
    expect(byFile['airlock/stranger-1.0.0.airlock']).toMatchObject({
      name: 'stranger',
      verdict: 'refused',
      signers: [],
      error: { code: 'UNTRUSTED_SIGNER' },
    });
    expect(byFile['airlock/stranger-1.0.0.airlock']!.signatures).toHaveLength(1);
    expect(byFile['airlock/broken.airlock']).toMatchObject({
      name: null,
      verdict: 'refused',
      error: { code: 'TAR_INVALID' },
    });

    expect(await mediumState(medium)).toEqual(mediumBefore);
    expect(fullSnapshot(env)).toEqual(before);
    expect(listFiles(env.airlock.paths.staging)).toEqual({});
    const rows = auditRows(env);
    expect(rows).toHaveLength(audit + 1);
    expect(rows.at(-1)).toMatchObject({ action: 'media.scan', outcome: 'success' });
    expect(JSON.parse(rows.at(-1)!.details).bundles).toHaveLength(4);
  });

  it('judges signed policies and revocation lists on the medium without applying them', async () => {
    const admin = publisher();
    await call(
      env.handlers,
      'trust:add',
      { name: 'admin1', publicKeyPem: admin.publicKeyPem, role: 'admin' },
      ctx,
    );
    await call(
      env.handlers,
      'policy:apply',
      { path: await policyFile(env.root, { version: 2 }, [admin]) },
      ctx,
    );
    await copyFile(
      await policyFile(env.root, { version: 3 }, [admin]),
      join(medium, 'airlock', 'policy-v3.json'),
    );
    await copyFile(await policyFile(env.root, { version: 1 }, [admin]), join(medium, 'policy-v1.json'));
    await copyFile(
      await revocationFile(env.root, { number: 7, keys: [{ keyId: env.pub.keyId, reason: '' }] }, [env.pub]),
      join(medium, 'airlock', 'revocations-7.json'),
    );
    await writeFile(join(medium, 'settings.json'), JSON.stringify({ theme: 'dark' }));
    const before = fullSnapshot(env);
    const [report] = await call(env.handlers, 'media:scan', { mountpoint: medium }, ctx);
    const docs = Object.fromEntries(report!.documents.map((d) => [relative(medium, d.path), d]));
    expect(Object.keys(docs).sort()).toEqual([
      'airlock/policy-v3.json',
      'airlock/revocations-7.json',
      'policy-v1.json',
    ]);
    expect(docs['airlock/policy-v3.json']).toMatchObject({
      kind: 'policy',
      number: 3,
      verdict: 'applicable',
      signers: ['admin1'],
    });
    expect(docs['policy-v1.json']).toMatchObject({
      kind: 'policy',
      number: 1,
      verdict: 'refused',
      error: { code: 'POLICY_OUTDATED' },
    });
    expect(docs['airlock/revocations-7.json']).toMatchObject({
      kind: 'revocations',
      number: 7,
      verdict: 'refused',
      error: { code: 'UNTRUSTED_SIGNER' },
    });
    expect(fullSnapshot(env)).toEqual(before);
    expect((await call(env.handlers, 'policy:show', {}, ctx)).current?.version).toBe(2);
  });

  it('a mount point that is not there → MEDIA_NOT_FOUND', async () => {
    await expect(
      call(env.handlers, 'media:scan', { mountpoint: join(env.root, 'gone') }, ctx),
    ).rejects.toMatchObject({ code: 'MEDIA_NOT_FOUND' });
  });

  it('with no mount point and no removable medium on this machine → MEDIA_NOT_FOUND', async () => {
    await expect(call(env.handlers, 'media:scan', {}, ctx)).rejects.toMatchObject({
      code: 'MEDIA_NOT_FOUND',
    });
  });
});
