import * as ort from 'onnxruntime-node';
import type { ElementType, TensorSpec } from '../contract/card.js';

/** Default size of a symbolic dimension that is neither the batch nor an image's height/width. */
export const DEFAULT_SYMBOLIC_DIM = 32;
/** Default height and width of an image input whose spatial dimensions are symbolic. */
export const DEFAULT_IMAGE_SIDE = 224;

/** Whether every input's first dimension is symbolic: the model then takes any batch size. */
export function hasSymbolicBatch(specs: readonly TensorSpec[]): boolean {
  return specs.length > 0 && specs.every((s) => s.shape.length > 0 && typeof s.shape[0] === 'string');
}

/** Height/width hints from a card's pre-processing steps (resize, resize-to-height, padToWidth, resize-to-multiple). */
export function imageHints(preprocess: readonly Record<string, unknown>[] | undefined): {
  height?: number;
  width?: number;
} {
  const out: { height?: number; width?: number } = {};
  for (const step of preprocess ?? []) {
    const n = (k: string) =>
      typeof step[k] === 'number' && Number.isInteger(step[k]) && (step[k] as number) > 0
        ? (step[k] as number)
        : undefined;
    const height = n('height');
    const width = n('width') ?? n('padToWidth') ?? n('maxWidth');
    if (height !== undefined) out.height = height;
    if (width !== undefined) out.width = width;
    // Sides must be multiples (a detector's resize-to-multiple): the default side, rounded up.
    const multiple = n('multiple');
    if (multiple !== undefined && height === undefined && width === undefined) {
      const side = Math.min(n('maxSide') ?? Infinity, Math.ceil(DEFAULT_IMAGE_SIDE / multiple) * multiple);
      out.height = side;
      out.width = side;
    }
  }
  return out;
}

/**
 * The concrete shape a benchmark feeds an input: fixed dimensions as declared, the batch dimension
 * (first, symbolic) at `batch`, an image's symbolic height and width from the card's pre-processing
 * (else 224), any other symbolic dimension 32. An explicit shape overrides all but the batch.
 */
export function concreteShape(
  spec: TensorSpec,
  batch: number,
  options: { override?: readonly number[] | undefined; hints?: { height?: number; width?: number } } = {},
): number[] {
  const symbolicBatch = spec.shape.length > 0 && typeof spec.shape[0] === 'string';
  if (options.override) {
    const dims = [...options.override];
    if (symbolicBatch && dims.length > 0) dims[0] = batch;
    return dims;
  }
  const rank = spec.shape.length;
  // An image: rank 4 with 1 or 3 channels at position 1 (NCHW) or 3 (NHWC).
  const nchw = rank === 4 && (spec.shape[1] === 3 || spec.shape[1] === 1);
  const nhwc = rank === 4 && !nchw && (spec.shape[3] === 3 || spec.shape[3] === 1);
  const [hAt, wAt] = nchw ? [2, 3] : nhwc ? [1, 2] : [-1, -1];
  return spec.shape.map((d, i) => {
    if (typeof d === 'number') return d;
    if (i === 0) return batch;
    if (i === hAt) return options.hints?.height ?? DEFAULT_IMAGE_SIDE;
    if (i === wAt) return options.hints?.width ?? DEFAULT_IMAGE_SIDE;
    return DEFAULT_SYMBOLIC_DIM;
  });
}

/** A small deterministic PRNG (mulberry32) so synthesised inputs are the same in every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A tensor of the declared type and the given shape with deterministic pseudo-random values:
 * floats in [0, 1) (what a normalised image or feature looks like), integers 0..9 (safe as token
 * ids or indices), booleans, and short strings.
 */
export function synthesize(type: ElementType, dims: readonly number[], seed = 1): ort.Tensor {
  const count = dims.reduce((a, b) => a * b, 1);
  const rand = prng(seed);
  const shape = [...dims];
  switch (type) {
    case 'float32':
      return new ort.Tensor('float32', Float32Array.from({ length: count }, rand), shape);
    case 'float64':
      return new ort.Tensor('float64', Float64Array.from({ length: count }, rand), shape);
    case 'float16': {
      // 0.0 .. ~1.0 as IEEE half bit patterns (exponent 0..14).
      return new ort.Tensor(
        'float16',
        Uint16Array.from({ length: count }, () => Math.floor(rand() * 0x3bff)),
        shape,
      );
    }
    case 'int8':
      return new ort.Tensor(
        'int8',
        Int8Array.from({ length: count }, () => Math.floor(rand() * 10)),
        shape,
      );
    case 'uint8':
      return new ort.Tensor(
        'uint8',
        Uint8Array.from({ length: count }, () => Math.floor(rand() * 10)),
        shape,
      );
    case 'int16':
      return new ort.Tensor(
        'int16',
        Int16Array.from({ length: count }, () => Math.floor(rand() * 10)),
        shape,
      );
    case 'uint16':
      return new ort.Tensor(
        'uint16',
        Uint16Array.from({ length: count }, () => Math.floor(rand() * 10)),
        shape,
      );
    case 'int32':
      return new ort.Tensor(
        'int32',
        Int32Array.from({ length: count }, () => Math.floor(rand() * 10)),
        shape,
      );
    case 'uint32':
      return new ort.Tensor(
        'uint32',
        Uint32Array.from({ length: count }, () => Math.floor(rand() * 10)),
        shape,
      );
    case 'int64':
      return new ort.Tensor(
        'int64',
        BigInt64Array.from({ length: count }, () => BigInt(Math.floor(rand() * 10))),
        shape,
      );
    case 'uint64':
      return new ort.Tensor(
        'uint64',
        BigUint64Array.from({ length: count }, () => BigInt(Math.floor(rand() * 10))),
        shape,
      );
    case 'bool':
      return new ort.Tensor(
        'bool',
        Uint8Array.from({ length: count }, () => (rand() < 0.5 ? 1 : 0)),
        shape,
      );
    case 'string':
      return new ort.Tensor(
        'string',
        Array.from({ length: count }, (_, i) => `sample ${i % 10}`),
        shape,
      );
  }
}

/** Repeats a tensor whose first dimension is 1 along that dimension `batch` times. */
export function tileBatch(tensor: ort.Tensor, batch: number): ort.Tensor {
  const dims = [...tensor.dims];
  if (batch === 1 || dims[0] === batch) return tensor;
  if (dims[0] !== 1) throw new Error(`cannot tile a batch of ${dims[0]} to ${batch}`);
  dims[0] = batch;
  const data = tensor.data;
  if (Array.isArray(data))
    return new ort.Tensor(
      'string',
      Array.from({ length: data.length * batch }, (_, i) => data[i % data.length] as string),
      dims,
    );
  const view = data as unknown as {
    length: number;
    constructor: new (n: number) => { set(a: ArrayLike<unknown>, o: number): void };
  };
  const out = new view.constructor(view.length * batch);
  for (let b = 0; b < batch; b++) out.set(data as unknown as ArrayLike<unknown>, b * view.length);
  return new ort.Tensor(tensor.type as 'float32', out as unknown as Float32Array, dims);
}

/** Feeds for one query of `batch` samples: from a sample input (tiled) or synthesised from the card. */
export function feedsFor(
  specs: readonly TensorSpec[],
  batch: number,
  options: {
    sample?: Record<string, ort.Tensor> | undefined;
    shapes?: Readonly<Record<string, readonly number[]>> | undefined;
    hints?: { height?: number; width?: number };
  } = {},
): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  specs.forEach((spec, i) => {
    const sample = options.sample?.[spec.name];
    if (sample) {
      feeds[spec.name] = typeof spec.shape[0] === 'string' ? tileBatch(sample, batch) : sample;
      return;
    }
    feeds[spec.name] = synthesize(
      spec.type,
      concreteShape(spec, batch, { override: options.shapes?.[spec.name], hints: options.hints ?? {} }),
      i + 1,
    );
  });
  return feeds;
}
