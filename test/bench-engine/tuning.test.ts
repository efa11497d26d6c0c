import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, dispatch } from '../../runtime/api/handlers.js';
import type { AppliedConfig } from '../../runtime/contract/bench.js';
import { currentMachine } from '../../runtime/hardware/hardware-store.js';
import { toSessionConfig } from '../../runtime/inference/engine.js';
import { ctx, environment, model, signedBundle, type Env, cliDataDir } from '../core/helpers.js';

const run = promisify(execFile);
const BIN = new URL('../../bin/airlock.js', import.meta.url).pathname;
const inputs = { x: { type: 'float32' as const, dims: [1, 4], data: [1, 2, 3, 4] } };

function lastRunDetails(env: Env): { config: AppliedConfig } {
  return env.airlock.audit.list({ limit: 20 }).find((r) => r.action === 'inference.run')!.details as never;
}

describe('airlock run uses the tuned config', () => {
  let env: Env;
  beforeAll(async () => {
    env = await environment();
    const bundle = await signedBundle(env.root, env.pub, {
      name: 'classifier',
      model: model('classifier.onnx'),
    });
    await env.handlers['models:import']({ path: bundle }, ctx);
  });
  afterAll(async () => env.close());

  it('uses onnxruntime defaults before any benchmark, and says so when a tuned config was asked for', async () => {
    const r = await call(env.handlers, 'inference:run', { model: 'classifier', inputs }, ctx);
    expect(r.config).toEqual({
      source: 'default',
      config: { executionProvider: 'cpu' },
      stale: false,
      note: null,
      benchRunId: null,
    });
    expect(lastRunDetails(env).config).toEqual(r.config);
    const asked = await call(
      env.handlers,
      'inference:run',
      { model: 'classifier', inputs, config: 'throughput' },
      ctx,
    );
    expect(asked.config?.source).toBe('default');
    expect(asked.config?.note).toMatch(/no tuned throughput config yet.*airlock bench classifier/);
  });

  it('after a benchmark: the latency choice by default, the throughput choice on request, defaults or an explicit config when told', async () => {
    const report = await env.handlers['bench:run'](
      { model: 'classifier', scenario: 'offline', quick: true, providers: ['cpu'] },
      ctx,
    );
    const tuned = await call(env.handlers, 'inference:run', { model: 'classifier', inputs }, ctx);
    expect(tuned.config).toMatchObject({
      source: 'tuned-latency',
      config: report.best.latency!.config,
      stale: false,
      note: null,
      benchRunId: report.id,
    });
    expect(lastRunDetails(env).config).toMatchObject({ source: 'tuned-latency', benchRunId: report.id });

    const tp = await call(
      env.handlers,
      'inference:run',
      { model: 'classifier', inputs, config: 'throughput' },
      ctx,
    );
    expect(tp.config).toMatchObject({ source: 'tuned-throughput', config: report.best.throughput!.config });
    const def = await call(
      env.handlers,
      'inference:run',
      { model: 'classifier', inputs, config: 'default' },
      ctx,
    );
    expect(def.config).toMatchObject({ source: 'default', config: { executionProvider: 'cpu' } });
    const explicit = {
      executionProvider: 'cpu',
      intraOpNumThreads: 1,
      graphOptimizationLevel: 'basic' as const,
    };
    const ex = await call(
      env.handlers,
      'inference:run',
      { model: 'classifier', inputs, config: explicit },
      ctx,
    );
    expect(ex.config).toMatchObject({ source: 'explicit', config: explicit });
    expect(lastRunDetails(env).config.config).toEqual(explicit);
    // Same outputs whichever way the session was configured.
    expect(Array.from(ex.outputs['probabilities']!.data as Float32Array)).toEqual(
      Array.from(def.outputs['probabilities']!.data as Float32Array),
    );
  });

  it('the tuned throughput batch size caps dynamic batching (batched runs and jobs) unless the caller sets one', async () => {
    // Pin the tuned throughput choice to batch 2 so the cap is known.
    env.airlock.db
      .prepare(
        "UPDATE tuned_configs SET config = json_set(config, '$.batchSize', 2) WHERE model_name = 'classifier' AND objective = 'throughput'",
      )
      .run();
    const runs = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        call(
          env.handlers,
          'inference:run',
          {
            model: 'classifier',
            inputs: { x: { type: 'float32', dims: [1, 4], data: [i, 1, 2, 3] } },
            config: 'throughput',
            batched: true,
          },
          ctx,
        ),
      ),
    );
    expect(
      runs.every((r) => r.config?.source === 'tuned-throughput' && r.config.config.batchSize === 2),
    ).toBe(true);
    const model = await call(env.handlers, 'models:get', { ref: 'classifier' }, ctx);
    const batcher = await env.airlock.batching.batcher(model, {
      config: toSessionConfig(runs[0]!.config!.config),
      batching: { maxBatchSize: 2, maxQueueDelayMs: 2 },
    });
    // The runs above went through this very batcher (same key), and never merged beyond 2 rows.
    expect(batcher.stats.batches).toBeGreaterThan(0);
    expect(batcher.stats.largestBatch).toBeLessThanOrEqual(2);

    const folder = join(env.root, 'job-inputs');
    mkdirSync(folder, { recursive: true });
    for (let i = 0; i < 4; i++) writeFileSync(join(folder, `in-${i}.json`), JSON.stringify(inputs));
    const tunedJob = await call(
      env.handlers,
      'jobs:start',
      { model: 'classifier', inputsDir: folder, outFile: join(env.root, 'tuned.csv') },
      ctx,
    );
    expect(tunedJob.config).toMatchObject({ source: 'tuned-throughput', maxBatchSize: 2 });
    const givenJob = await call(
      env.handlers,
      'jobs:start',
      {
        model: 'classifier',
        inputsDir: folder,
        outFile: join(env.root, 'given.csv'),
        config: { maxBatchSize: 8 },
      },
      ctx,
    );
    expect(givenJob.config).toMatchObject({ source: 'tuned-throughput', maxBatchSize: 8 });
    expect(env.airlock.audit.list({ action: 'job.complete', limit: 1 })[0]!.details).toMatchObject({
      config: { maxBatchSize: 8 },
    });
  });

  it('refuses a malformed config (USAGE) and an unknown provider (PROVIDER_UNAVAILABLE)', async () => {
    expect(
      await dispatch(env.handlers, 'inference:run', { model: 'classifier', inputs, config: 'fastest' }, ctx),
    ).toMatchObject({ ok: false, error: { code: 'USAGE' } });
    expect(
      await dispatch(
        env.handlers,
        'inference:run',
        { model: 'classifier', inputs, config: { executionProvider: 'cpu', intraOpNumThreads: 0 } },
        ctx,
      ),
    ).toMatchObject({ ok: false, error: { code: 'USAGE' } });
    expect(
      await dispatch(
        env.handlers,
        'inference:run',
        { model: 'classifier', inputs, config: { executionProvider: 'no-such-ep' } },
        ctx,
      ),
    ).toMatchObject({ ok: false, error: { code: 'PROVIDER_UNAVAILABLE' } });
  });

  it('a tuned provider that does not work here falls back to the CPU with a note, not silently', async (t) => {
    await env.handlers['hardware:probe']({}, ctx);
    const fp = (await currentMachine()).fingerprint;
    const cuda = (await env.handlers['hardware:get']({}, ctx))!.providers.find((p) => p.name === 'cuda');
    if (!cuda || cuda.works)
      t.skip(
        'the CUDA provider works on this machine (or is not a candidate), so it cannot show this fallback',
      );
    env.airlock.db
      .prepare(
        "UPDATE tuned_configs SET config = ? WHERE model_name = 'classifier' AND objective = 'latency' AND fingerprint = ?",
      )
      .run(JSON.stringify({ executionProvider: 'cuda', batchSize: 1 }), fp);
    const r = await call(env.handlers, 'inference:run', { model: 'classifier', inputs }, ctx);
    expect(r.provider).toBe('cpu');
    expect(r.config).toMatchObject({ source: 'default', config: { executionProvider: 'cpu' } });
    expect(r.config?.note).toMatch(/uses the cuda provider, which does not work here now/);
  });

  it('a choice made on other hardware is stale: defaults are used, the note says to re-bench, bench:tuned shows it', async () => {
    env.airlock.db
      .prepare("UPDATE tuned_configs SET fingerprint = ? WHERE model_name = 'classifier'")
      .run('f'.repeat(64));
    const r = await call(env.handlers, 'inference:run', { model: 'classifier', inputs }, ctx);
    expect(r.config).toMatchObject({ source: 'default', stale: true, config: { executionProvider: 'cpu' } });
    expect(r.config?.note).toMatch(
      /chosen on other hardware \(machine ffffffffffff.*Run "airlock bench classifier"/,
    );
    expect(lastRunDetails(env).config.stale).toBe(true);
    const tuned = await env.handlers['bench:tuned']({ model: 'classifier' }, ctx);
    expect(tuned.every((t) => t.stale)).toBe(true);
    const profile = await env.handlers['hardware:probe']({}, ctx);
    expect(profile.warnings.at(-1)).toMatch(
      /tuned configs of classifier@1\.0\.0 were chosen on: they are stale/,
    );
  });
});

describe('airlock run --config', () => {
  let env: Env;
  let dataDir: string;
  let input: string;
  beforeAll(async () => {
    env = await environment();
    dataDir = await cliDataDir(env);
    input = join(env.root, 'x.json');
    writeFileSync(input, JSON.stringify(inputs));
  });
  afterAll(async () => env.close());

  it('shows and records the config; bad values are usage errors', async () => {
    await run(process.execPath, [BIN, 'bench', 'classifier', '--quick', '--data-dir', dataDir]);
    const json = JSON.parse(
      (
        await run(process.execPath, [
          BIN,
          'run',
          'classifier',
          '--input',
          input,
          '--json',
          '--data-dir',
          dataDir,
        ])
      ).stdout,
    );
    expect(json.config.source).toBe('tuned-latency');
    const text = (
      await run(process.execPath, [
        BIN,
        'run',
        'classifier',
        '--input',
        input,
        '--config',
        'throughput',
        '--data-dir',
        dataDir,
      ])
    ).stdout;
    expect(text).toMatch(/\(config: tuned-throughput: cpu /);
    const explicit = JSON.parse(
      (
        await run(process.execPath, [
          BIN,
          'run',
          'classifier',
          '--input',
          input,
          '--config',
          '{"executionProvider":"cpu","intraOpNumThreads":1}',
          '--json',
          '--data-dir',
          dataDir,
        ])
      ).stdout,
    );
    expect(explicit.config).toMatchObject({
      source: 'explicit',
      config: { executionProvider: 'cpu', intraOpNumThreads: 1 },
    });
    for (const bad of ['fastest', '{nope', '{"executionProvider":"cpu","batchSize":0}']) {
      const r = await run(process.execPath, [
        BIN,
        'run',
        'classifier',
        '--input',
        input,
        '--config',
        bad,
        '--json',
        '--data-dir',
        dataDir,
      ]).catch((e: { code: number; stdout: string }) => e);
      expect((r as { code: number }).code).toBe(2);
      expect(JSON.parse((r as { stdout: string }).stdout).error.code).toBe('USAGE');
    }
  });
});
