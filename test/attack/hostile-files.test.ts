/**
 * Issue 10, item 3: every file Airlock reads from outside goes through one bounded reader
 * (runtime/util/read-file.ts). A link to /dev/zero, a FIFO with no writer, a folder or a huge
 * sparse file in place of a signed document, bundle, key, card or input is refused at once with
 * its own code; nothing changes on disk or in the database but the audit record of the refusal.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdir, readFile, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call } from '../../runtime/api/handlers.js';
import type { ErrorCode } from '../../runtime/contract/errors.js';
import { verifyIntoStaging } from '../../runtime/import/importer.js';
import { auditRows, ctx, environment, model, signedBundle, snapshot, type Env } from '../core/helpers.js';
import { fullSnapshot } from './policy-helpers.js';

const execFileAsync = promisify(execFile);
const BIN = new URL('../../bin/airlock.js', import.meta.url).pathname;

let env: Env;
beforeEach(async () => {
  env = await environment();
});
afterEach(async () => env.close());

/** Hostile stand-ins for a file, each made fresh under `dir`. */
const hostile: [label: string, make: (dir: string, name: string) => Promise<string>][] = [
  [
    'a link to /dev/zero',
    async (dir, name) => {
      const p = join(dir, `zero-${name}`);
      await symlink('/dev/zero', p);
      return p;
    },
  ],
  [
    'a FIFO with no writer',
    async (dir, name) => {
      const p = join(dir, `fifo-${name}`);
      expect(spawnSync('mkfifo', [p]).status).toBe(0);
      return p;
    },
  ],
  [
    'a folder',
    async (dir, name) => {
      const p = join(dir, `folder-${name}`);
      await mkdir(p);
      return p;
    },
  ],
];

/** A sparse file of `bytes` (no disk used): a reader that reads first and checks later would stall. */
async function sparse(dir: string, name: string, bytes: number): Promise<string> {
  const p = join(dir, name);
  await writeFile(p, '');
  await truncate(p, bytes);
  return p;
}

/** Runs `work`, expects `code`, quickly, and nothing changed but one refusal record of `action`. */
async function expectRefused(
  work: () => Promise<unknown>,
  code: ErrorCode,
  action: string,
  outcome = 'refused',
): Promise<void> {
  const before = fullSnapshot(env);
  const audit = auditRows(env).length;
  const started = performance.now();
  await expect(work()).rejects.toMatchObject({ code });
  expect(performance.now() - started).toBeLessThan(10_000);
  expect(fullSnapshot(env)).toEqual(before);
  const rows = auditRows(env);
  expect(rows).toHaveLength(audit + 1);
  expect(rows.at(-1)).toMatchObject({ action, outcome });
  expect(JSON.parse(rows.at(-1)!.details).error.code).toBe(code);
}

describe('signed documents (trust policy apply, revocations import)', () => {
  for (const [label, make] of hostile) {
    it(`${label} as a trust policy → POLICY_INVALID, unread`, async () => {
      const path = await make(env.root, 'policy.json');
      await expectRefused(
        () => call(env.handlers, 'policy:apply', { path }, ctx),
        'POLICY_INVALID',
        'policy.apply',
      );
    });
    it(`${label} as a revocation list → POLICY_INVALID, unread`, async () => {
      const path = await make(env.root, 'revocations.json');
      await expectRefused(
        () => call(env.handlers, 'revocations:import', { path }, ctx),
        'POLICY_INVALID',
        'revocations.import',
      );
    });
  }

  it('a 20 GiB (sparse) revocation list → POLICY_INVALID before a byte is read', async () => {
    const path = await sparse(env.root, 'huge.json', 20 * 1024 ** 3);
    await expectRefused(
      () => call(env.handlers, 'revocations:import', { path }, ctx),
      'POLICY_INVALID',
      'revocations.import',
    );
    const path2 = await sparse(env.root, 'huge-policy.json', 4 * 1024 * 1024 + 1);
    await expectRefused(
      () => call(env.handlers, 'policy:apply', { path: path2 }, ctx),
      'POLICY_INVALID',
      'policy.apply',
    );
  });
});

describe('bundles', () => {
  /** bundle:verify answers with a report (not a throw); the refusal is audited as bundle.verify. */
  async function expectVerifyRefused(path: string, code: ErrorCode): Promise<void> {
    const before = snapshot(env);
    const audit = auditRows(env).length;
    const started = performance.now();
    const report = await call(env.handlers, 'bundle:verify', { path }, ctx);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(report.ok).toBe(false);
    expect(report.error?.code).toBe(code);
    expect(snapshot(env)).toEqual(before);
    const rows = auditRows(env);
    expect(rows).toHaveLength(audit + 1);
    expect(rows.at(-1)).toMatchObject({ action: 'bundle.verify', outcome: 'refused' });
    expect(JSON.parse(rows.at(-1)!.details).error.code).toBe(code);
  }

  it('a FIFO named as the bundle → TAR_INVALID at once (it used to wait for a writer forever)', async () => {
    const [, make] = hostile[1]!;
    await expectVerifyRefused(await make(env.root, 'x.airlock'), 'TAR_INVALID');
  });

  it('a link to /dev/zero named as the bundle → TAR_INVALID, never read', async () => {
    const [, make] = hostile[0]!;
    await expectVerifyRefused(await make(env.root, 'x.airlock'), 'TAR_INVALID');
  });

  it('a bundle file over the bundle limit (sparse, 40 GiB) → TAR_LIMIT_EXCEEDED before a byte is read', async () => {
    await expectVerifyRefused(await sparse(env.root, 'huge.airlock', 40 * 1024 ** 3), 'TAR_LIMIT_EXCEEDED');
  });

  it('a bundle found by listing a medium is never read through a link (a swap after the listing)', async () => {
    const good = await signedBundle(env.root, env.pub);
    const link = join(env.root, 'swapped.airlock');
    await symlink(good, link);
    const before = snapshot(env);
    await expect(verifyIntoStaging(env.airlock, { path: link, named: false }, {})).rejects.toMatchObject({
      code: 'TAR_INVALID',
      message: /symbolic link/,
    });
    expect(snapshot(env)).toEqual(before);
    // The same file named by a person may go through the link (their own medium).
    const verified = await verifyIntoStaging(env.airlock, { path: link, named: true }, {});
    expect(verified.card.name).toBe('classifier');
    await verified.staging.discard();
  });
});

describe('input files', () => {
  it('a link to /dev/zero as the input file → INPUT_INVALID, nothing changes but the failure record', async () => {
    const bundle = await signedBundle(env.root, env.pub);
    expect((await call(env.handlers, 'models:import', { path: bundle }, ctx)).installed).toBe(1);
    const [, make] = hostile[0]!;
    const path = await make(env.root, 'x.npy');
    await expectRefused(
      () => call(env.handlers, 'inference:run', { model: 'classifier', file: { path } }, ctx),
      'INPUT_INVALID',
      'inference.run',
      'failure',
    );
  });
});

describe('keys and cards named on the command line', () => {
  async function cli(args: string[]): Promise<{ code: number; doc: { error?: { code: string } } }> {
    const r = await execFileAsync(process.execPath, [BIN, ...args, '--json'], {
      timeout: 30_000,
      env: { ...process.env, AIRLOCK_HOME: '' },
    }).then(
      (ok) => ({ code: 0, stdout: ok.stdout }),
      (err: { code: number; stdout: string; killed?: boolean }) => {
        expect(err.killed ?? false).toBe(false);
        return { code: err.code, stdout: err.stdout };
      },
    );
    return { code: r.code, doc: JSON.parse(r.stdout) as { error?: { code: string } } };
  }

  for (const [label, make] of hostile.slice(0, 2)) {
    it(`${label} as the key of "trust add" → KEY_INVALID, no key added`, async () => {
      const dataDir = join(env.root, 'cli-data');
      const first = await cli(['trust', 'list', '--data-dir', dataDir]);
      expect(first.code).toBe(0);
      const key = await make(env.root, 'acme.pub');
      const r = await cli(['trust', 'add', key, '--name', 'acme', '--data-dir', dataDir]);
      expect(r.code).toBe(1);
      expect(r.doc.error?.code).toBe('KEY_INVALID');
      const list = await cli(['trust', 'list', '--data-dir', dataDir]);
      expect(list.doc).toEqual([]);
    });

    it(`${label} as the --key of "bundle sign" → KEY_INVALID, the bundle unchanged`, async () => {
      const bundle = await signedBundle(env.root, env.pub);
      const before = spawnSync('sha256sum', [bundle], { encoding: 'utf8' }).stdout;
      const key = await make(env.root, 'signer.key');
      const r = await cli(['bundle', 'sign', bundle, '--key', key]);
      expect(r.code).toBe(1);
      expect(r.doc.error?.code).toBe('KEY_INVALID');
      expect(spawnSync('sha256sum', [bundle], { encoding: 'utf8' }).stdout).toBe(before);
    });

    it(`${label} as the --card of "bundle create" → CARD_INVALID, no bundle written`, async () => {
      const card = await make(env.root, 'card.json');
      const out = join(env.root, 'made.airlock');
      const r = await cli([
        'bundle',
        'create',
        '--model',
        model('classifier.onnx'),
        '--name',
        'made',
        '--version',
        '1.0.0',
        '--card',
        card,
        '--out',
        out,
      ]);
      expect(r.code).toBe(1);
      expect(r.doc.error?.code).toBe('CARD_INVALID');
      expect(spawnSync('test', ['-e', out]).status).toBe(1);
    });
  }
});

describe('a batch job’s output file', () => {
  it('swapped for a link between runs → IO_ERROR at resume; what the link points at is untouched', async () => {
    const bundle = await signedBundle(env.root, env.pub);
    expect((await call(env.handlers, 'models:import', { path: bundle }, ctx)).installed).toBe(1);
    const inputs = join(env.root, 'inputs');
    await mkdir(inputs);
    for (let i = 0; i < 6; i++)
      await writeFile(
        join(inputs, `${i}.json`),
        JSON.stringify({ x: { type: 'float32', dims: [1, 4], data: [i, 0, 1, 0] } }),
      );
    const out = join(env.root, 'results.jsonl');
    const controller = new AbortController();
    const job = await call(
      env.handlers,
      'jobs:start',
      { model: 'classifier', inputsDir: inputs, outFile: out, config: { concurrency: 1 } },
      { ...ctx, signal: controller.signal, onProgress: (e) => e.done >= 1 && controller.abort() },
    );
    expect(job.state).toBe('cancelled');
    // Another local user (or a confused deputy) puts a link to a file the service can write.
    const victim = join(env.root, 'victim.db');
    // Longer than the lines already committed, so a size check through the link would pass.
    const precious = 'precious bytes that a truncate would destroy\n'.repeat(1000);
    await writeFile(victim, precious);
    await rm(out);
    await symlink(victim, out);
    const before = fullSnapshot(env);
    const jobsBefore = env.airlock.db.prepare('SELECT * FROM jobs').all();
    await expect(call(env.handlers, 'jobs:resume', { id: job.id }, ctx)).rejects.toMatchObject({
      code: 'IO_ERROR',
    });
    expect(await readFile(victim, 'utf8')).toBe(precious);
    expect(fullSnapshot(env)).toEqual(before);
    expect(env.airlock.db.prepare('SELECT * FROM jobs').all()).toEqual(jobsBefore);
  });
});
