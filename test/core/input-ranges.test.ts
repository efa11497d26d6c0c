/**
 * Issue 10, item 7: integer inputs no longer wrap. Through the real engine (inference:run, with
 * and without the dynamic batcher, and from a .json input file), a value outside its element
 * type's range is INPUT_INVALID naming the first bad value; nothing changes but the failure record.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call } from '../../runtime/api/handlers.js';
import { toPlainJson } from '../../runtime/inference/tensors.js';
import { auditRows, ctx, environment, model, signedBundle, snapshot, type Env } from './helpers.js';

let env: Env;
beforeEach(async () => {
  env = await environment();
  for (const [name, file] of [
    ['classifier', 'classifier.onnx'],
    ['int-ops', 'int-ops.onnx'],
  ] as const) {
    const bundle = await signedBundle(env.root, env.pub, { name, model: model(file) });
    expect((await env.handlers['models:import']({ path: bundle }, ctx)).installed).toBe(1);
  }
});
afterEach(async () => env.close());

async function expectInvalid(request: Record<string, unknown>, message: RegExp): Promise<void> {
  const before = snapshot(env);
  const auditBefore = auditRows(env).length;
  await expect(call(env.handlers, 'inference:run', request as never, ctx)).rejects.toMatchObject({
    code: 'INPUT_INVALID',
    message: expect.stringMatching(message),
  });
  expect(snapshot(env)).toEqual(before);
  const audit = auditRows(env);
  expect(audit).toHaveLength(auditBefore + 1);
  expect(audit.at(-1)).toMatchObject({ action: 'inference.run', outcome: 'failure' });
  expect(JSON.parse(audit.at(-1)!.details).error.code).toBe('INPUT_INVALID');
}

const intOps = (a: (number | string)[], batched = false) => ({
  model: 'int-ops',
  inputs: { a: { type: 'int64', dims: [a.length], data: a }, b: { type: 'int64', dims: [], data: [1] } },
  ...(batched ? { batched: true } : {}),
});

describe('int64 inputs', () => {
  for (const batched of [false, true]) {
    const how = batched ? ' (batched)' : '';
    it(`"9223372036854775808" (2^63) → INPUT_INVALID, not -9223372036854775808${how}`, async () => {
      await expectInvalid(
        intOps([1, '9223372036854775808'], batched),
        /"a" is int64; value 1 \("9223372036854775808"\) is out of range/,
      );
    });
    it(`1e300 → INPUT_INVALID, not 0${how}`, async () => {
      await expectInvalid(
        intOps([1e300], batched),
        /value 0 \(1e\+300\) is beyond the integers a JSON number/,
      );
    });
    it(`1.5 → INPUT_INVALID, not 1${how}`, async () => {
      await expectInvalid(intOps([2, 1.5], batched), /value 1 \(1\.5\) is not a whole number/);
    });
  }

  it('the largest int64 as a decimal string still runs exactly', async () => {
    const result = await call(env.handlers, 'inference:run', intOps(['9223372036854775807']) as never, ctx);
    expect(toPlainJson(result.outputs)['y']!.data).toEqual(['9223372036854775807']);
  });

  it('a .json input file with 9223372036854775808 as a raw JSON number → INPUT_INVALID', async () => {
    const file = join(env.root, 'big.json');
    await writeFile(
      file,
      '{"a": {"type": "int64", "dims": [1], "data": [9223372036854775808]}, "b": {"type": "int64", "dims": [], "data": [1]}}',
    );
    await expectInvalid({ model: 'int-ops', file: { path: file } }, /write it as a decimal string/);
  });
});

describe('float32 inputs', () => {
  for (const batched of [false, true])
    it(`1e39 (beyond float32, it became Infinity) → INPUT_INVALID${batched ? ' (batched)' : ''}`, async () => {
      await expectInvalid(
        {
          model: 'classifier',
          inputs: { x: { type: 'float32', dims: [1, 4], data: [1, 2, 1e39, 4] } },
          ...(batched ? { batched: true } : {}),
        },
        /"x" is float32; value 2 \(1e\+39\) is beyond the largest float32/,
      );
    });

  it('a typed array of another type than declared → INPUT_TYPE_MISMATCH, batched too', async () => {
    for (const batched of [false, true]) {
      const before = snapshot(env);
      await expect(
        call(
          env.handlers,
          'inference:run',
          {
            model: 'classifier',
            inputs: { x: { type: 'float32', dims: [1, 4], data: Float64Array.from([1, 2, 3, 4]) } },
            batched,
          },
          ctx,
        ),
      ).rejects.toMatchObject({ code: 'INPUT_TYPE_MISMATCH' });
      expect(snapshot(env)).toEqual(before);
    }
  });
});
