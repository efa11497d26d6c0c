import { execFile } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProgressEvent } from '../../runtime/contract/channel.js';
import type { BenchReport, BenchComparison } from '../../runtime/contract/bench.js';
import { createBundle, signBundle } from '../../runtime/bundle/writer.js';
import { writeNpy } from '../../runtime/inference/npy.js';
import {
  auditRows,
  ctx,
  environment,
  listFiles,
  model,
  signedBundle,
  type Env,
  cliDataDir,
} from '../core/helpers.js';

const run = promisify(execFile);
const BIN = new URL('../../bin/airlock.js', import.meta.url).pathname;

function benchRows(env: Env): { runs: unknown[]; tuned: unknown[] } {
  return {
    runs: env.airlock.db.prepare('SELECT * FROM bench_runs ORDER BY id').all(),
    tuned: env.airlock.db.prepare('SELECT * FROM tuned_configs ORDER BY 1, 2, 3').all(),
  };
}

describe('bench:run', () => {
  let env: Env;
  beforeAll(async () => {
    env = await environment();
    const bundle = await signedBundle(env.root, env.pub, {
      name: 'classifier',
      model: model('classifier.onnx'),
    });
    expect((await env.handlers['models:import']({ path: bundle }, ctx)).installed).toBe(1);
    const fixed = await signedBundle(env.root, env.pub, { name: 'add-one', model: model('add-one.onnx') });
    expect((await env.handlers['models:import']({ path: fixed }, ctx)).installed).toBe(1);
  });
  afterAll(async () => env.close());

  it('benchmarks (quick), reports progress, stores the report and the tuned configs, and audits it', async () => {
    const events: ProgressEvent[] = [];
    const before = auditRows(env).length;
    const report = await env.handlers['bench:run'](
      { model: 'classifier', scenario: 'offline', quick: true, operationId: 'b1' },
      { ...ctx, onProgress: (e) => events.push(e) },
    );
    expect(report.model).toMatchObject({ name: 'classifier', version: '1.0.0' });
    expect(report.inputs).toEqual({ source: 'synthesized', shapes: { x: [1, 4] } });
    expect(report.trials.map((t) => t.stage)).toEqual(
      ['baseline', 'threads', 'threads', 'batch'].slice(0, report.trials.length),
    );
    expect(report.trials.find((t) => t.stage === 'batch')?.config.batchSize).toBe(8);
    expect(report.best.latency?.config.batchSize).toBe(1);
    expect(report.best.throughput?.unit).toBe('samples/s');
    expect(events.at(-1)).toMatchObject({
      operationId: 'b1',
      phase: 'bench',
      done: report.trials.length,
      total: report.trials.length,
      unit: 'steps',
    });

    const stored = await env.handlers['bench:report']({ id: report.id }, ctx);
    expect(stored).toEqual(report);
    const runs = await env.handlers['bench:results']({ model: 'classifier', limit: 10 }, ctx);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ id: report.id, currentMachine: true, quick: true, scenario: 'offline' });
    const tuned = await env.handlers['bench:tuned']({ model: 'classifier@1.0.0' }, ctx);
    expect(tuned.map((t) => [t.objective, t.stale, t.benchRunId])).toEqual([
      ['latency', false, report.id],
      ['throughput', false, report.id],
    ]);
    const audit = auditRows(env).slice(before);
    expect(audit.map((a) => [a.action, a.outcome, a.target])).toEqual([
      ['bench.run', 'success', 'classifier@1.0.0'],
    ]);
    expect(JSON.parse(audit[0]!.details)).toMatchObject({
      id: report.id,
      quick: true,
      trials: report.trials.length,
    });
  });

  it('a model with a fixed batch dimension is not batch-searched', async () => {
    const report = await env.handlers['bench:run'](
      { model: 'add-one', scenario: 'offline', quick: true },
      ctx,
    );
    expect(report.trials.some((t) => t.stage === 'batch')).toBe(false);
    expect(report.inputs.shapes).toEqual({ x: [1, 3] });
  });

  it('a quick run does not replace a choice a full run made on this machine', async () => {
    const full = await env.handlers['bench:run'](
      { model: 'add-one', scenario: 'single-stream', quick: false, providers: ['cpu'] },
      ctx,
    );
    expect(full.trials.map((t) => t.stage)).toEqual(
      expect.arrayContaining(['baseline', 'threads', 'optimization', 'mode']),
    );
    await env.handlers['bench:run']({ model: 'add-one', scenario: 'offline', quick: true }, ctx);
    const tuned = await env.handlers['bench:tuned']({ model: 'add-one' }, ctx);
    expect(tuned.every((t) => t.benchRunId === full.id)).toBe(true);
  });

  it('keepTuned: false stores the report but leaves the tuned configs as they were', async () => {
    const before = await env.handlers['bench:tuned']({ model: 'classifier' }, ctx);
    const report = await env.handlers['bench:run'](
      { model: 'classifier', scenario: 'single-stream', quick: true, keepTuned: false },
      ctx,
    );
    expect(await env.handlers['bench:tuned']({ model: 'classifier' }, ctx)).toEqual(before);
    const runs = await env.handlers['bench:results']({ model: 'classifier', limit: 5 }, ctx);
    expect(runs.map((r) => r.id)).toContain(report.id);
  });

  it('refuses bad requests with the exact code and changes nothing', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ model: 'missing' }, 'MODEL_NOT_FOUND'],
      [{ model: 'classifier', shapes: { nope: [1, 4] } }, 'INPUT_NAME_MISMATCH'],
      [{ model: 'classifier', scenario: 'burst' }, 'USAGE'],
      [{ model: 'classifier', quick: true, providers: ['no-such-provider'] }, 'PROVIDER_UNAVAILABLE'],
      [{ model: 'classifier', quick: true, shapes: { x: [1, 5] } }, 'INFERENCE_FAILED'],
    ];
    for (const [request, code] of cases) {
      const files = listFiles(env.dataDir);
      const rows = benchRows(env);
      const { dispatch } = await import('../../runtime/api/handlers.js');
      const result = await dispatch(env.handlers, 'bench:run', request, ctx);
      expect(result).toMatchObject({ ok: false, error: { code } });
      expect(listFiles(env.dataDir)).toEqual(files);
      expect(benchRows(env)).toEqual(rows);
    }
  });

  it('cancel through operation:cancel stores nothing', async () => {
    const rows = benchRows(env);
    const pending = env.handlers['bench:run'](
      { model: 'classifier', scenario: 'offline', quick: false, operationId: 'b-cancel' },
      ctx,
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(await env.handlers['operation:cancel']({ operationId: 'b-cancel' }, ctx)).toEqual({
      cancelled: true,
    });
    await expect(pending).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(benchRows(env)).toEqual(rows);
  });

  it('refuses a model whose installed file was changed (MODEL_TAMPERED) and stores nothing', async () => {
    const fresh = await environment();
    try {
      const bundle = await signedBundle(fresh.root, fresh.pub, {
        name: 'classifier',
        model: model('classifier.onnx'),
      });
      await fresh.handlers['models:import']({ path: bundle }, ctx);
      const m = await fresh.handlers['models:get']({ ref: 'classifier' }, ctx);
      const blob = fresh.airlock.store.blobPath(m.files.find((f) => f.path === m.card.model)!.sha256);
      chmodSync(blob, 0o644);
      writeFileSync(blob, Buffer.from('not the signed model'));
      const rows = benchRows(fresh);
      await expect(
        fresh.handlers['bench:run']({ model: 'classifier', scenario: 'offline', quick: true }, ctx),
      ).rejects.toMatchObject({ code: 'MODEL_TAMPERED' });
      expect(benchRows(fresh)).toEqual(rows);
    } finally {
      await fresh.close();
    }
  });
});

describe('sample inputs from the bundle', () => {
  let env: Env;
  beforeAll(async () => {
    env = await environment();
  });
  afterAll(async () => env.close());

  async function withSample(name: string, dims: number[]): Promise<void> {
    const npy = join(env.root, `${name}.npy`);
    writeFileSync(
      npy,
      writeNpy({
        type: 'float32',
        dims,
        data: Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => i / 10),
      }),
    );
    const card = join(env.root, `${name}.card.json`);
    writeFileSync(card, JSON.stringify({ samples: ['samples/x.npy'] }));
    const out = join(env.root, `${name}.airlock`);
    await createBundle({
      model: model('classifier.onnx'),
      name,
      version: '1.0.0',
      out,
      card,
      publisher: 'ACME Models',
      extraFiles: { 'samples/x.npy': npy },
    });
    await signBundle(out, env.pub.privateKeyPem);
    expect((await env.handlers['models:import']({ path: out }, ctx)).installed).toBe(1);
  }

  it('benchmarks on the sample the card lists (tiled to each batch size)', async () => {
    await withSample('sampled', [1, 4]);
    const report = await env.handlers['bench:run'](
      { model: 'sampled', scenario: 'offline', quick: true },
      ctx,
    );
    expect(report.inputs).toEqual({ source: 'samples', shapes: { x: [1, 4] } });
    expect(report.trials.filter((t) => t.stage === 'batch').every((t) => t.ok)).toBe(true);
  });

  it('a sample that does not fit the model is refused with its code and nothing is stored', async () => {
    await withSample('badsample', [1, 5]);
    const rows = benchRows(env);
    await expect(
      env.handlers['bench:run']({ model: 'badsample', scenario: 'offline', quick: true }, ctx),
    ).rejects.toMatchObject({ code: 'INPUT_SHAPE_MISMATCH' });
    expect(benchRows(env)).toEqual(rows);
  });
});

describe('airlock bench (CLI)', () => {
  let env: Env;
  let dataDir: string;
  beforeAll(async () => {
    env = await environment();
    dataDir = await cliDataDir(env);
  });
  afterAll(async () => env.close());

  it('--quick --json, results, export and compare', async () => {
    const started = Date.now();
    const { stdout } = await run(process.execPath, [
      BIN,
      'bench',
      'classifier',
      '--quick',
      '--json',
      '--data-dir',
      dataDir,
    ]);
    expect(Date.now() - started).toBeLessThan(30_000);
    const report = JSON.parse(stdout) as BenchReport;
    expect(report.format).toBe('airlock-bench-report/1');
    const single = JSON.parse(
      (
        await run(process.execPath, [
          BIN,
          'bench',
          'classifier',
          '--quick',
          '--scenario',
          'single-stream',
          '--json',
          '--data-dir',
          dataDir,
        ])
      ).stdout,
    ) as BenchReport;
    expect(single.scenario).toBe('single-stream');

    const text = (await run(process.execPath, [BIN, 'bench', 'results', 'classifier', '--data-dir', dataDir]))
      .stdout;
    expect(text).toContain(report.id);
    expect(text).toMatch(/Tuned configs:\nclassifier@1\.0\.0\s+latency/);

    const out = join(env.root, 'usb');
    const exported = JSON.parse(
      (await run(process.execPath, [BIN, 'bench', 'export', '--out', out, '--json', '--data-dir', dataDir]))
        .stdout,
    ) as { files: string[] };
    expect(exported.files).toHaveLength(2);
    expect((await readdir(out)).sort()).toEqual(exported.files.map((f) => f.slice(out.length + 1)).sort());
    const offlineFile = exported.files.find((f) => f.includes('-offline-'))!;
    expect(JSON.parse(await readFile(offlineFile, 'utf8'))).toEqual(report);

    const cmp = JSON.parse(
      (await run(process.execPath, [BIN, 'bench', 'compare', offlineFile, offlineFile, '--json'])).stdout,
    ) as BenchComparison;
    expect(cmp.speedup).toBe(1);
    expect(cmp.rows.length).toBe(report.trials.filter((t) => t.ok).length);
  });

  it('compare refuses a file that is not a report (exit 1, INPUT_INVALID); bad --scenario is a usage error (exit 2)', async () => {
    const bogus = join(env.root, 'bogus.json');
    writeFileSync(bogus, JSON.stringify({ hello: 'world' }));
    const r = await run(process.execPath, [BIN, 'bench', 'compare', bogus, bogus, '--json']).catch(
      (e: { code: number; stdout: string }) => e,
    );
    expect((r as { code: number }).code).toBe(1);
    expect(JSON.parse((r as { stdout: string }).stdout).error.code).toBe('INPUT_INVALID');
    const u = await run(process.execPath, [
      BIN,
      'bench',
      'classifier',
      '--scenario',
      'burst',
      '--json',
      '--data-dir',
      dataDir,
    ]).catch((e: { code: number; stdout: string }) => e);
    expect((u as { code: number }).code).toBe(2);
  });
});
