/**
 * The import path under pressure: cancellation, a source that shrinks or fails mid-copy, bundle
 * limits, and the progress bar on a terminal. Each refusal leaves the store, the staging folder and
 * every table as they were.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Airlock } from '../../runtime/airlock.js';
import { call, createHandlers } from '../../runtime/api/handlers.js';
import { readBundle } from '../../runtime/bundle/reader.js';
import { DEFAULT_LIMITS } from '../../runtime/bundle/limits.js';
import { toErrorInfo } from '../../runtime/errors.js';
import { importPath } from '../../runtime/import/importer.js';
import { ctx, environment, listFiles, testActor, type Env } from '../core/helpers.js';
import { bigBundle } from './big-bundle.js';
import { fullSnapshot } from './policy-helpers.js';

let env: Env;
beforeEach(async () => {
  env = await environment();
});
afterEach(async () => env.close());

function expectNothingInstalled(before: ReturnType<typeof fullSnapshot>): void {
  expect(fullSnapshot(env)).toEqual(before);
  expect(listFiles(env.airlock.paths.staging)).toEqual({});
}

describe('cancellation', () => {
  it('an AbortSignal fired mid-copy leaves nothing installed and no staging files', async () => {
    const file = await bigBundle(env.root, env.pub, 8);
    const before = fullSnapshot(env);
    const controller = new AbortController();
    const seen: number[] = [];
    const report = await importPath(env.airlock, testActor, file, {
      signal: controller.signal,
      onProgress: (e) => {
        seen.push(e.done);
        if (e.phase === 'verifying' && e.done > 0 && e.done < (e.total ?? 0)) controller.abort();
      },
    });
    expect(seen.length).toBeGreaterThan(0);
    expect(report.items[0]!.error?.code).toBe('CANCELLED');
    expect(report.installed).toBe(0);
    // Only the audit record of the cancelled import was added.
    expectNothingInstalled(before);
  });

  it('operation:cancel with the operationId stops an import started through the contract', async () => {
    const file = await bigBundle(env.root, env.pub, 8);
    const before = fullSnapshot(env);
    let cancelled: Promise<{ cancelled: boolean }> | null = null;
    const report = await call(
      env.handlers,
      'models:import',
      { path: file, operationId: 'op-1' },
      {
        ...ctx,
        onProgress: (e) => {
          expect(e.operationId).toBe('op-1');
          if (!cancelled && e.done > 0)
            cancelled = call(env.handlers, 'operation:cancel', { operationId: 'op-1' }, ctx);
        },
      },
    );
    expect(await cancelled).toEqual({ cancelled: true });
    expect(report.items[0]!.error?.code).toBe('CANCELLED');
    expectNothingInstalled(before);
  });

  it('progress reports phase, bytes done of total and a rate, ending at the total', async () => {
    const file = await bigBundle(env.root, env.pub, 4);
    const events: { phase: string; done: number; total: number | null; rate: number | null }[] = [];
    const report = await importPath(env.airlock, testActor, file, { onProgress: (e) => events.push(e) });
    expect(report.installed).toBe(1);
    const verifying = events.filter((e) => e.phase === 'verifying');
    expect(verifying.at(-1)).toMatchObject({ done: (await stat(file)).size, total: (await stat(file)).size });
    expect(verifying.every((e) => e.rate !== null && e.rate >= 0)).toBe(true);
    expect(events.at(-1)).toMatchObject({ phase: 'installing', done: 1, total: 1 });
  });
});

describe('one pass from the medium', () => {
  it('installs the staged bytes that were verified, even if the medium changes afterwards', async () => {
    const file = await bigBundle(env.root, env.pub, 2);
    const original = await readFile(file);
    let swapped = false;
    const report = await importPath(env.airlock, testActor, file, {
      onProgress: (e) => {
        // Verified, not yet committed: a stick whose bytes change now must not matter.
        if (e.phase === 'installing' && e.done === 0) {
          writeFileSync(file, randomBytes(original.length));
          swapped = true;
        }
      },
    });
    expect(swapped).toBe(true);
    expect(report.installed).toBe(1);
    const files = report.items[0]!.verification!.files;
    expect(files.map((f) => f.path).sort()).toEqual(['model.onnx', 'weights.bin']);
    for (const f of files) expect(await env.airlock.store.check(f.sha256)).toBe(true);
    const declared = await readBundle(Readable.from([original]), {});
    expect(new Map(files.map((f) => [f.path, f.sha256]))).toEqual(
      new Map(declared.files.map((f) => [f.path, f.sha256])),
    );
  });
});

describe('a source that fails mid-copy', () => {
  it('a bundle file deleted while it is read: the open handle finishes the one pass, nothing is read again', async () => {
    const file = await bigBundle(env.root, env.pub, 8);
    let removed = false;
    const report = await importPath(env.airlock, testActor, file, {
      onProgress: (e) => {
        if (!removed && e.phase === 'verifying' && e.done > 0) {
          unlinkSync(file);
          removed = true;
        }
      },
    });
    expect(removed).toBe(true);
    expect(existsSync(file)).toBe(false);
    expect(report.installed).toBe(1);
    for (const f of report.items[0]!.verification!.files)
      expect(await env.airlock.store.check(f.sha256)).toBe(true);
  });

  it('a bundle file cut short while it is read (a pulled stick) → TAR_TRUNCATED, nothing installed', async () => {
    const file = await bigBundle(env.root, env.pub, 16);
    const full = (await stat(file)).size;
    const before = fullSnapshot(env);
    let cut = false;
    const report = await importPath(env.airlock, testActor, file, {
      onProgress: (e) => {
        if (!cut && e.done > 0 && e.done < full / 4) {
          cut = true;
          truncateSync(file, Math.floor(full / 2)); // synchronous: at most one read is in flight
        }
      },
    });
    expect(cut).toBe(true);
    expect(report.items[0]!.error?.code).toBe('TAR_TRUNCATED');
    expect(report.installed).toBe(0);
    expectNothingInstalled(before);
  });

  it('a stream that errors mid-copy → MEDIA_READ_FAILED, and staged bytes are discarded', async () => {
    const file = await bigBundle(env.root, env.pub, 2);
    const bytes = await readFile(file);
    const source = new Readable({
      read() {
        this.push(bytes.subarray(0, 600_000));
        this.destroy(Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' }));
      },
    });
    const staging = await env.airlock.store.newStaging();
    const error = await readBundle(source, {
      admit: (e, s) => env.airlock.admission.atEnvelope(e, s),
      sink: (f) => staging.sink(f.path),
    }).then(
      () => null,
      (e: unknown) => e,
    );
    await staging.discard();
    expect(toErrorInfo(error).code).toBe('MEDIA_READ_FAILED');
    expect(toErrorInfo(error).message).toMatch(/medium/);
    expect(listFiles(env.airlock.paths.staging)).toEqual({});
  });
});

describe('bundle limits (enforced while reading)', () => {
  for (const [label, limits] of [
    ['total size', { ...DEFAULT_LIMITS, maxTotalBytes: 1024 * 1024 }],
    ['file size', { ...DEFAULT_LIMITS, maxFileBytes: 512 * 1024 }],
    ['file count', { ...DEFAULT_LIMITS, maxEntries: 2 }],
  ] as const) {
    it(`over the ${label} limit → TAR_LIMIT_EXCEEDED, nothing installed`, async () => {
      const file = await bigBundle(env.root, env.pub, 2);
      const dataDir = join(env.root, `limited-${label.replace(' ', '-')}`);
      const limited = Airlock.open({ dataDir, limits });
      try {
        const handlers = createHandlers(limited);
        await call(handlers, 'trust:add', { name: 'acme', publicKeyPem: env.pub.publicKeyPem }, ctx);
        const before = fullSnapshot({ dataDir, airlock: limited });
        const report = await call(handlers, 'models:import', { path: file }, ctx);
        expect(report.items[0]!.error?.code).toBe('TAR_LIMIT_EXCEEDED');
        expect(fullSnapshot({ dataDir, airlock: limited })).toEqual(before);
        expect(listFiles(limited.paths.staging)).toEqual({});
      } finally {
        await limited.close();
      }
    });
  }
});

describe('raw stream bound', () => {
  it('a valid bundle followed by megabytes of zero blocks stops at the size limit (TAR_LIMIT_EXCEEDED)', async () => {
    const file = await bigBundle(env.root, env.pub, 1);
    const padded = join(env.root, 'padded.airlock');
    writeFileSync(padded, Buffer.concat([await readFile(file), Buffer.alloc(6 * 1024 * 1024)]));
    const limits = { ...DEFAULT_LIMITS, maxTotalBytes: 2 * 1024 * 1024, maxEntries: 8 };
    const ok = await readBundle(Readable.from([await readFile(file)]), { limits });
    expect(ok.files).toHaveLength(2);
    let consumed = 0;
    const error = await readBundle(
      Readable.from(
        [await readFile(padded)].flatMap((b) =>
          Array.from({ length: Math.ceil(b.length / 65536) }, (_, i) =>
            b.subarray(i * 65536, (i + 1) * 65536),
          ),
        ),
      ),
      {
        limits,
        onBytes: (n) => (consumed = n),
      },
    ).then(
      () => null,
      (e: unknown) => e,
    );
    expect(toErrorInfo(error).code).toBe('TAR_LIMIT_EXCEEDED');
    // Stopped within a few 64 KiB chunks of the bound, not at the end of the 7 MiB file.
    expect(consumed).toBeLessThan(2 * 1024 * 1024 + 10 * 4096 + 4 * 65536);
  });
});

describe('the CLI on a terminal', () => {
  const script = ['/usr/bin/script', '/bin/script'].find((p) => existsSync(p));
  if (!script)
    console.log('SKIP progress-bar test: util-linux script(1) is not installed, so no pty can be made here.');
  it.skipIf(!script)(
    'shows a progress bar with bytes and rate while importing (util-linux script gives it a pty)',
    async () => {
      const file = await bigBundle(env.root, env.pub, 8);
      const dataDir = join(env.root, 'cli-data');
      const cli = new URL('../../bin/airlock.js', import.meta.url).pathname;
      const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
      const pub = join(env.root, 'acme.pub');
      const { writeFile } = await import('node:fs/promises');
      await writeFile(pub, env.pub.publicKeyPem);
      const run = (args: string) =>
        spawnSync(script!, ['-qec', `node ${q(cli)} ${args} --data-dir ${q(dataDir)}`, '/dev/null'], {
          encoding: 'utf8',
          timeout: 60_000,
        });
      expect(run(`trust add ${q(pub)} --name acme`).status).toBe(0);
      const out = run(`import ${q(file)}`);
      expect(out.status, out.stdout).toBe(0);
      // eslint-disable-next-line no-control-regex -- strips the terminal escape sequences of the bar
      const text = out.stdout.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
      expect(text).toMatch(
        /verifying\s+\[[^\]]+\] 100% \| [\d.]+ MiB \/ [\d.]+ MiB \| [\d.]+ (MiB|GiB|KiB)\/s/,
      );
      expect(text).toContain('INSTALLED  big@1.0.0');
    },
  );
});
