import { describe, expect, test } from 'vitest';
import { modelCardSchema } from '../contract/card.js';
import { ctcGreedy, dbBoxes, parseLabels, postprocess, softmax, topK } from './postprocess.js';
import { knownSteps, prepareImage } from './preprocess.js';
import { cropImage, rotate180, type RawImage } from './image.js';

const baseCard = {
  name: 'm',
  version: '1.0.0',
  publisher: 'p',
  created: '2026-01-01T00:00:00Z',
  license: 'MIT',
  task: 't',
  inputs: [{ name: 'x', type: 'float32', shape: ['n', 3, 2, 2] }],
  outputs: [{ name: 'y', type: 'float32', shape: ['n', 3] }],
} as const;

describe('card processing schema', () => {
  test('a card without processing is still valid (v1 cards)', () => {
    expect(modelCardSchema.safeParse(baseCard).success).toBe(true);
  });
  test('known steps get defaults; unknown kinds are kept as data', () => {
    const card = modelCardSchema.parse({
      ...baseCard,
      preprocess: [{ kind: 'normalize' }, { kind: 'future-step', strength: 3 }],
      postprocess: [{ kind: 'top-k' }],
    });
    expect(card.preprocess?.[0]).toEqual({
      kind: 'normalize',
      scale: 1 / 255,
      mean: [0, 0, 0],
      std: [1, 1, 1],
    });
    expect(card.preprocess?.[1]).toEqual({ kind: 'future-step', strength: 3 });
    expect(card.postprocess?.[0]).toEqual({ kind: 'top-k', k: 5 });
  });
  test('a known kind with bad fields is refused', () => {
    expect(
      modelCardSchema.safeParse({ ...baseCard, preprocess: [{ kind: 'layout', layout: 'chwn' }] }).success,
    ).toBe(false);
    expect(modelCardSchema.safeParse({ ...baseCard, postprocess: [{ kind: 'top-k', k: 0 }] }).success).toBe(
      false,
    );
    expect(
      modelCardSchema.safeParse({ ...baseCard, pipeline: { kind: 'ocr', detect: { model: 'a' } } }).success,
    ).toBe(false);
  });
  test('an engine refuses an image for a card with an unknown step, naming it', () => {
    expect(() => knownSteps([{ kind: 'future-step' }], 'm@1')).toThrow(
      expect.objectContaining({ code: 'INPUT_INVALID' }),
    );
  });
});

describe('pre-processing', () => {
  // 2 × 1 image: a red pixel then a blue one.
  const image: RawImage = { width: 2, height: 1, data: Uint8Array.from([255, 0, 0, 0, 0, 255]) };
  test('NCHW, RGB, scale/mean/std', async () => {
    const { tensor } = await prepareImage(
      image,
      knownSteps([{ kind: 'normalize', scale: 1 / 255, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] }], 'm'),
      { name: 'x', type: 'float32', shape: [1, 3, 1, 2] },
    );
    expect(tensor.dims).toEqual([1, 3, 1, 2]);
    expect(Array.from(tensor.data)).toEqual([1, -1, -1, -1, -1, 1]);
  });
  test('NHWC, BGR, raw bytes for a uint8 input', async () => {
    const { tensor } = await prepareImage(
      image,
      knownSteps(
        [
          { kind: 'channel-order', order: 'bgr' },
          { kind: 'layout', layout: 'nhwc' },
        ],
        'm',
      ),
      { name: 'x', type: 'uint8', shape: [1, 1, 2, 3] },
    );
    expect(tensor.type).toBe('uint8');
    expect(tensor.dims).toEqual([1, 1, 2, 3]);
    expect(Array.from(tensor.data)).toEqual([0, 0, 255, 255, 0, 0]);
  });
  test('resize-to-height keeps the aspect ratio and zero-pads to padToWidth', async () => {
    const wide: RawImage = { width: 8, height: 2, data: new Uint8Array(8 * 2 * 3).fill(255) };
    const { tensor, geometry } = await prepareImage(
      wide,
      knownSteps([{ kind: 'resize-to-height', height: 4, padToWidth: 20 }, { kind: 'normalize' }], 'm'),
      { name: 'x', type: 'float32', shape: ['n', 3, 4, 'w'] },
    );
    expect(tensor.dims).toEqual([1, 3, 4, 20]);
    expect(geometry).toEqual({ originalWidth: 8, originalHeight: 2, width: 16, height: 4 });
    expect(tensor.data[15]).toBeCloseTo(1);
    expect(tensor.data[16]).toBe(0);
  });
  test('resize-to-multiple rounds both sides to the multiple under maxSide', async () => {
    const img: RawImage = { width: 100, height: 50, data: new Uint8Array(100 * 50 * 3) };
    const { tensor } = await prepareImage(
      img,
      knownSteps([{ kind: 'resize-to-multiple', multiple: 32, maxSide: 64 }], 'm'),
      { name: 'x', type: 'float32', shape: ['n', 3, 'h', 'w'] },
    );
    expect(tensor.dims).toEqual([1, 3, 32, 64]);
  });
  test('crop and rotate', () => {
    const img: RawImage = { width: 3, height: 2, data: Uint8Array.from({ length: 18 }, (_, i) => i) };
    expect(Array.from(cropImage(img, 1, 1, 3, 2).data)).toEqual([12, 13, 14, 15, 16, 17]);
    expect(Array.from(rotate180(img).data.subarray(0, 3))).toEqual([15, 16, 17]);
  });
});

describe('post-processing', () => {
  test('labels keep spaces and drop only the final newline', () => {
    expect(parseLabels('a\r\n \nb\n')).toEqual(['a', ' ', 'b']);
  });
  test('softmax and top-k with labels', () => {
    const p = softmax([0, Math.log(3)], 2);
    expect(p[1]).toBeCloseTo(0.75);
    expect(topK([0.1, 0.7, 0.2], 2, ['a', 'b', 'c'])).toEqual([
      { index: 1, label: 'b', score: 0.7 },
      { index: 2, label: 'c', score: 0.2 },
    ]);
  });
  test('CTC greedy: repeats merge, blanks split, class after the dictionary is a space', () => {
    const dict = ['A', 'B'];
    // classes: 0 blank, 1 A, 2 B, 3 space. Sequence: A A blank A B space B
    const steps = [1, 1, 0, 1, 2, 3, 2];
    const seq = new Float32Array(steps.length * 4);
    steps.forEach((c, t) => (seq[t * 4 + c] = 0.9));
    const out = ctcGreedy(seq, steps.length, 4, dict);
    expect(out.text).toBe('AAB B');
    expect(out.confidence).toBeCloseTo(0.9);
  });
  test('postprocess gives one result per batch item', () => {
    const outputs = {
      y: { type: 'float32' as const, dims: [2, 3], data: Float32Array.from([0.1, 0.8, 0.1, 0.6, 0.3, 0.1]) },
    };
    const results = postprocess([{ kind: 'argmax' }], outputs, 'y', ['a', 'b', 'c']);
    expect(results?.map((r) => (r.kind === 'classes' ? r.top[0]!.label : null))).toEqual(['b', 'a']);
  });
  test('DB boxes: one box per region, scaled back and grown, small or faint regions dropped', () => {
    const w = 40;
    const h = 20;
    const map = new Float32Array(w * h);
    for (let y = 5; y < 10; y++) for (let x = 4; x < 24; x++) map[y * w + x] = 0.9; // a text line
    for (let y = 14; y < 18; y++) for (let x = 30; x < 36; x++) map[y * w + x] = 0.4; // faint: mean < 0.6
    map[19 * w + 39] = 0.95; // a speck
    const boxes = dbBoxes(
      map,
      h,
      w,
      { originalWidth: 80, originalHeight: 40, width: 40, height: 20 },
      { threshold: 0.3, boxThreshold: 0.6, unclipRatio: 1.5, minSize: 3, maxBoxes: 10 },
    );
    expect(boxes).toHaveLength(1);
    // 20 × 5 region, grown by 20*5*1.5/50 = 3 on each side, then × 2.
    expect(boxes[0]!.box).toEqual([2, 4, 54, 26]);
    expect(boxes[0]!.score).toBeCloseTo(0.9);
  });
});
