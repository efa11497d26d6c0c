import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { concreteShape, feedsFor, hasSymbolicBatch, imageHints, synthesize, tileBatch } from './inputs.js';

describe('concreteShape', () => {
  it('puts the batch in a symbolic first dimension and keeps fixed ones', () => {
    expect(concreteShape({ name: 'x', type: 'float32', shape: ['batch', 4] }, 8)).toEqual([8, 4]);
    expect(concreteShape({ name: 'x', type: 'float32', shape: [1, 3] }, 8)).toEqual([1, 3]);
  });
  it("sizes an image's symbolic height and width from the card, else 224; other symbolic dims 32", () => {
    const rec = { name: 'x', type: 'float32' as const, shape: ['N', 3, 48, 'W'] };
    expect(
      concreteShape(rec, 1, {
        hints: imageHints([{ kind: 'resize-to-height', height: 48, padToWidth: 320 }]),
      }),
    ).toEqual([1, 3, 48, 320]);
    expect(concreteShape({ name: 'x', type: 'float32', shape: ['N', 3, 'H', 'W'] }, 2)).toEqual([
      2, 3, 224, 224,
    ]);
    expect(
      concreteShape({ name: 'x', type: 'float32', shape: ['N', 'H', 'W', 3] }, 1, {
        hints: { height: 64, width: 96 },
      }),
    ).toEqual([1, 64, 96, 3]);
    expect(concreteShape({ name: 'ids', type: 'int64', shape: ['batch', 'seq'] }, 1)).toEqual([1, 32]);
    // A detector whose sides must be multiples of 100: 224 rounds up to 300 (within maxSide).
    expect(imageHints([{ kind: 'resize-to-multiple', multiple: 100, maxSide: 960 }])).toEqual({
      height: 300,
      width: 300,
    });
    expect(imageHints([{ kind: 'resize-to-multiple', multiple: 32, maxSide: 960 }])).toEqual({
      height: 224,
      width: 224,
    });
  });
  it('takes an explicit shape but still searches the batch', () => {
    expect(
      concreteShape({ name: 'x', type: 'float32', shape: ['N', 3, 48, 'W'] }, 4, {
        override: [1, 3, 48, 100],
      }),
    ).toEqual([4, 3, 48, 100]);
  });
});

describe('synthesised inputs', () => {
  it('are deterministic and of the declared type', () => {
    const a = synthesize('float32', [2, 3], 5);
    expect(a.type).toBe('float32');
    expect(a.dims).toEqual([2, 3]);
    expect(Array.from(a.data as Float32Array)).toEqual(
      Array.from(synthesize('float32', [2, 3], 5).data as Float32Array),
    );
    expect(Array.from(a.data as Float32Array).every((v) => v >= 0 && v < 1)).toBe(true);
    expect(synthesize('int64', [4]).data).toBeInstanceOf(BigInt64Array);
    expect(synthesize('bool', [4]).type).toBe('bool');
    expect(synthesize('string', [2]).data).toEqual(['sample 0', 'sample 1']);
  });
  it('tile a single sample to a batch', () => {
    const one = new ort.Tensor('float32', Float32Array.from([1, 2]), [1, 2]);
    const four = tileBatch(one, 4);
    expect(four.dims).toEqual([4, 2]);
    expect(Array.from(four.data as Float32Array)).toEqual([1, 2, 1, 2, 1, 2, 1, 2]);
    expect(() => tileBatch(four, 3)).toThrow(/cannot tile/);
  });
  it('run through a real session with a symbolic batch', async () => {
    const specs = [{ name: 'x', type: 'float32' as const, shape: ['batch', 4] }];
    expect(hasSymbolicBatch(specs)).toBe(true);
    const session = await ort.InferenceSession.create(
      new URL('../../test/fixtures/models/classifier.onnx', import.meta.url).pathname,
    );
    const out = await session.run(feedsFor(specs, 5));
    expect(out['label']!.dims).toEqual([5]);
    await session.release();
  });
});
