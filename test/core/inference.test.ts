import { spawnSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call } from '../../runtime/api/handlers.js';
import { parseNpy, writeNpy } from '../../runtime/inference/npy.js';
import { digestTensors, toPlainJson } from '../../runtime/inference/tensors.js';
import type { ErrorCode } from '../../runtime/contract/errors.js';
import { readInputFile } from '../../runtime/run/input-file.js';
import { auditRows, ctx, environment, model, sha256, signedBundle, snapshot, type Env } from './helpers.js';

let env: Env;
beforeEach(async () => {
  env = await environment();
  for (const [name, file] of [
    ['classifier', 'classifier.onnx'],
    ['int-ops', 'int-ops.onnx'],
    ['add-one', 'add-one.onnx'],
  ] as const) {
    const bundle = await signedBundle(env.root, env.pub, { name, model: model(file) });
    expect((await env.handlers['models:import']({ path: bundle }, ctx)).installed).toBe(1);
  }
});
afterEach(async () => env.close());

describe('inference through the engine', () => {
  it('matches raw onnxruntime on the same model and input, and is audited with digests', async () => {
    const x = Float32Array.from([1, 2, 3, 4, 0, 0, 1, 0]);
    const result = await call(
      env.handlers,
      'inference:run',
      { model: 'classifier', inputs: { x: { type: 'float32', dims: [2, 4], data: x } } },
      ctx,
    );
    const raw = await ort.InferenceSession.create(model('classifier.onnx'));
    const expected = await raw.run({ x: new ort.Tensor('float32', x, [2, 4]) });
    expect(Array.from(result.outputs['probabilities']!.data as Float32Array)).toEqual(
      Array.from(expected['probabilities']!.data as Float32Array),
    );
    expect(toPlainJson(result.outputs)['label']).toEqual({ type: 'int64', dims: [2], data: [2, 2] });
    expect(result.provider).toBe('cpu');
    const last = env.airlock.audit.list({ limit: 1 })[0]!;
    expect(last).toMatchObject({ action: 'inference.run', target: 'classifier@1.0.0', outcome: 'success' });
    expect(last.details).toMatchObject({
      inputDigest: result.inputDigest,
      outputDigest: result.outputDigest,
      provider: 'cpu',
    });
    expect(result.inputDigest).toBe(digestTensors({ x: { type: 'float32', dims: [2, 4], data: x } }));
  });

  it('takes JSON numbers, int64 as decimal strings, and scalars (dims [])', async () => {
    const result = await call(
      env.handlers,
      'inference:run',
      {
        model: 'int-ops@1.0.0',
        inputs: {
          a: { type: 'int64', dims: [3], data: ['9007199254740993', 2, '-3'] },
          b: { type: 'int64', dims: [], data: [2] },
        },
      },
      ctx,
    );
    const plain = toPlainJson(result.outputs);
    expect(plain['y']).toEqual({ type: 'int64', dims: [3], data: ['18014398509481986', 4, -6] });
    // The scalar sum as onnxruntime itself computes it (its int64 ReduceSum is not exact past 2^53).
    const raw = await ort.InferenceSession.create(model('int-ops.onnx'));
    const direct = await raw.run({
      a: new ort.Tensor('int64', BigInt64Array.from([9007199254740993n, 2n, -3n]), [3]),
      b: new ort.Tensor('int64', BigInt64Array.from([2n]), []),
    });
    expect(plain['s']!.dims).toEqual([]);
    expect(BigInt(plain['s']!.data[0]!)).toBe((direct['s']!.data as BigInt64Array)[0]);
  });

  it('reads .npy files', () => {
    const t = { type: 'float32' as const, dims: [1, 3], data: Float32Array.from([1.5, -2, 3]) };
    const back = parseNpy(writeNpy(t));
    expect(back.dims).toEqual([1, 3]);
    expect(Array.from(back.data as Float32Array)).toEqual([1.5, -2, 3]);
    expect(() => parseNpy(Buffer.from('not numpy'))).toThrow(
      expect.objectContaining({ code: 'INPUT_INVALID' }),
    );
  });

  const wrong: [string, Record<string, unknown>, ErrorCode, RegExp][] = [
    [
      'wrong input name',
      { y: { type: 'float32', dims: [1, 4], data: [1, 2, 3, 4] } },
      'INPUT_NAME_MISMATCH',
      /expects inputs "x" float32\[batch, 4\]; given "y"/,
    ],
    [
      'wrong input type',
      { x: { type: 'float64', dims: [1, 4], data: [1, 2, 3, 4] } },
      'INPUT_TYPE_MISMATCH',
      /must be float32\[batch, 4\]; given float64\[1, 4\]/,
    ],
    [
      'wrong input shape',
      { x: { type: 'float32', dims: [1, 5], data: [1, 2, 3, 4, 5] } },
      'INPUT_SHAPE_MISMATCH',
      /must have shape \[batch, 4\].*given \[1, 5\]/,
    ],
    [
      'data not matching dims',
      { x: { type: 'float32', dims: [2, 4], data: [1, 2, 3, 4] } },
      'INPUT_SHAPE_MISMATCH',
      /4 values but dims \[2, 4\] need 8/,
    ],
  ];
  for (const [label, inputs, code, message] of wrong) {
    it(`${label} → ${code}, showing expected and given; nothing changes but the failure record`, async () => {
      const before = snapshot(env);
      const auditBefore = auditRows(env).length;
      await expect(
        call(env.handlers, 'inference:run', { model: 'classifier', inputs }, ctx),
      ).rejects.toMatchObject({ code, message: expect.stringMatching(message) });
      expect(snapshot(env)).toEqual(before);
      const audit = auditRows(env);
      expect(audit).toHaveLength(auditBefore + 1);
      expect(audit.at(-1)).toMatchObject({ action: 'inference.run', outcome: 'failure' });
      expect(JSON.parse(audit.at(-1)!.details).error.code).toBe(code);
    });
  }

  it('an unknown model → MODEL_NOT_FOUND', async () => {
    await expect(
      call(env.handlers, 'inference:run', { model: 'nope', inputs: {} }, ctx),
    ).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
    await expect(
      call(env.handlers, 'inference:run', { model: 'classifier@9.9.9', inputs: {} }, ctx),
    ).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
  });

  it('refuses to run a model whose installed file was changed on disk', async () => {
    const m = (await call(env.handlers, 'models:get', { ref: 'add-one' }, ctx)).files.find(
      (f) => f.path === 'model.onnx',
    )!;
    appendFileSync(env.airlock.store.blobPath(m.sha256), Buffer.from([0]));
    await expect(
      call(
        env.handlers,
        'inference:run',
        { model: 'add-one', inputs: { x: { type: 'float32', dims: [1, 3], data: [1, 2, 3] } } },
        ctx,
      ),
    ).rejects.toMatchObject({ code: 'MODEL_TAMPERED' });
  });

  it('rejects malformed requests at the contract boundary', async () => {
    const { dispatch } = await import('../../runtime/api/handlers.js');
    const r = await dispatch(
      env.handlers,
      'inference:run',
      { model: 'classifier', inputs: { x: { type: 'complex128', dims: [1], data: [1] } } },
      ctx,
    );
    expect(r).toMatchObject({ ok: false, error: { code: 'USAGE' } });
    await writeFile(join(env.root, 'unused'), '');
  });
});

describe('input files read by the engine (inference:run with "file")', () => {
  const x = { type: 'float32' as const, dims: [2, 4], data: Float32Array.from([1, 2, 3, 4, 0, 0, 1, 0]) };

  it('a .npy by path and a single-tensor .json by bytes give the outputs tensors give; the file is audited', async () => {
    const direct = await call(env.handlers, 'inference:run', { model: 'classifier', inputs: { x } }, ctx);
    const npy = join(env.root, 'x.npy');
    await writeFile(npy, writeNpy(x));
    const byPath = await call(
      env.handlers,
      'inference:run',
      { model: 'classifier', file: { path: npy } },
      ctx,
    );
    expect(toPlainJson(byPath.outputs)).toEqual(toPlainJson(direct.outputs));
    const last = env.airlock.audit.list({ limit: 1 })[0]!;
    expect(last.details['file']).toEqual({ name: 'x.npy', sha256: sha256(writeNpy(x)) });
    const json = Buffer.from(JSON.stringify({ type: 'float32', dims: [2, 4], data: [...x.data] }));
    const byBytes = await call(
      env.handlers,
      'inference:run',
      { model: 'classifier', file: { bytes: new Uint8Array(json), name: 'x.json' } },
      ctx,
    );
    expect(toPlainJson(byBytes.outputs)).toEqual(toPlainJson(direct.outputs));
  });

  const bad: [string, (dir: string) => Promise<Record<string, unknown>>, ErrorCode, RegExp][] = [
    [
      'a .npy for a model with two inputs',
      async (dir) => {
        await writeFile(join(dir, 'a.npy'), writeNpy(x));
        return { model: 'int-ops', file: { path: join(dir, 'a.npy') } };
      },
      'INPUT_NAME_MISMATCH',
      /feeds a model with one input; int-ops@1.0.0 has 2/,
    ],
    [
      'JSON that is not JSON',
      async () => ({
        model: 'classifier',
        file: { bytes: new Uint8Array(Buffer.from('{"x": [1,')), name: 'x.json' },
      }),
      'INPUT_INVALID',
      /x\.json is not JSON/,
    ],
    [
      'a file Airlock does not read',
      async () => ({ model: 'classifier', file: { bytes: new Uint8Array([1, 2, 3]), name: 'x.csv' } }),
      'INPUT_INVALID',
      /not an input Airlock reads/,
    ],
    [
      'a FIFO in place of a file (it must not stall the engine)',
      async (dir) => {
        const fifo = join(dir, 'stall.npy');
        spawnSync('mkfifo', [fifo]);
        return { model: 'classifier', file: { path: fifo } };
      },
      'INPUT_INVALID',
      /not a regular file/,
    ],
    [
      'a folder in place of a file',
      async (dir) => ({ model: 'classifier', file: { path: dir } }),
      'INPUT_INVALID',
      /not a regular file/,
    ],
    [
      'a path that does not exist',
      async (dir) => ({ model: 'classifier', file: { path: join(dir, 'missing.npy') } }),
      'MEDIA_NOT_FOUND',
      /Cannot read the input file/,
    ],
  ];
  for (const [label, make, code, message] of bad) {
    it(`${label} → ${code}; nothing changes but the failure record`, async () => {
      const request = await make(env.root);
      const before = snapshot(env);
      const auditBefore = auditRows(env).length;
      await expect(call(env.handlers, 'inference:run', request, ctx)).rejects.toMatchObject({
        code,
        message: expect.stringMatching(message),
      });
      expect(snapshot(env)).toEqual(before);
      const audit = auditRows(env);
      expect(audit).toHaveLength(auditBefore + 1);
      expect(audit.at(-1)).toMatchObject({ action: 'inference.run', outcome: 'failure' });
      expect(JSON.parse(audit.at(-1)!.details).error.code).toBe(code);
    });
  }

  it('refuses an input file above the size limit before reading it', async () => {
    const big = join(env.root, 'big.npy');
    await writeFile(big, Buffer.alloc(2048));
    await expect(readInputFile(big, 1024)).rejects.toMatchObject({
      code: 'INPUT_INVALID',
      message: /over the 1024-byte limit/,
    });
  });
});
