import { createHash } from 'node:crypto';
import * as ort from 'onnxruntime-node';
import type { ElementType, TensorSpec } from '../contract/card.js';
import type { TensorJson, TensorMapJson, TypedArray } from '../contract/tensors.js';
import { AirlockError } from '../errors.js';

type ArrayCtor = {
  new (n: number): TypedArray;
  from(values: ArrayLike<number> | ArrayLike<bigint>): TypedArray;
};
const CTORS: Partial<Record<ElementType, ArrayCtor>> = {
  float32: Float32Array as unknown as ArrayCtor,
  float64: Float64Array as unknown as ArrayCtor,
  int8: Int8Array as unknown as ArrayCtor,
  uint8: Uint8Array as unknown as ArrayCtor,
  int16: Int16Array as unknown as ArrayCtor,
  uint16: Uint16Array as unknown as ArrayCtor,
  int32: Int32Array as unknown as ArrayCtor,
  uint32: Uint32Array as unknown as ArrayCtor,
  int64: BigInt64Array as unknown as ArrayCtor,
  uint64: BigUint64Array as unknown as ArrayCtor,
  bool: Uint8Array as unknown as ArrayCtor,
  float16: Uint16Array as unknown as ArrayCtor,
};

const describeShape = (s: TensorSpec['shape']) => `[${s.join(', ')}]`;

function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

function toTypedData(name: string, t: TensorJson): ort.Tensor['data'] {
  const count = elementCount(t.dims);
  if (t.type === 'string') {
    if (ArrayBuffer.isView(t.data) || !t.data.every((v) => typeof v === 'string')) {
      throw new AirlockError(
        'INPUT_INVALID',
        `Input "${name}" is a string tensor; its data must be an array of strings.`,
      );
    }
    return t.data as string[];
  }
  const ctor = CTORS[t.type]!;
  if (ArrayBuffer.isView(t.data)) {
    const expected = t.type === 'bool' ? Uint8Array : (ctor as unknown as typeof Float32Array);
    if (!(t.data instanceof expected)) {
      throw new AirlockError(
        'INPUT_TYPE_MISMATCH',
        `Input "${name}" is declared ${t.type} but its data is a ${t.data.constructor.name}.`,
      );
    }
    return t.data;
  }
  const values = t.data;
  if (values.length !== count) {
    throw new AirlockError(
      'INPUT_SHAPE_MISMATCH',
      `Input "${name}" has ${values.length} values but dims [${t.dims.join(', ')}] need ${count}. Fix "data" or "dims".`,
      { details: { input: name, values: values.length, expected: count } },
    );
  }
  if (t.type === 'int64' || t.type === 'uint64') {
    const out = new (t.type === 'int64' ? BigInt64Array : BigUint64Array)(count);
    for (let i = 0; i < count; i++) {
      const v = values[i];
      if (typeof v === 'number' && Number.isInteger(v)) out[i] = BigInt(v);
      else if (typeof v === 'string' && /^-?\d+$/.test(v)) out[i] = BigInt(v);
      else
        throw new AirlockError(
          'INPUT_INVALID',
          `Input "${name}" is ${t.type}; value ${i} (${JSON.stringify(v)}) is not an integer (use a JSON number or a decimal string).`,
        );
    }
    return out;
  }
  const out = new ctor(count);
  for (let i = 0; i < count; i++) {
    const v = values[i];
    const n = typeof v === 'boolean' ? Number(v) : v;
    if (typeof n !== 'number' || (Number.isNaN(n) && t.type !== 'float32' && t.type !== 'float64')) {
      throw new AirlockError(
        'INPUT_INVALID',
        `Input "${name}" is ${t.type}; value ${i} (${JSON.stringify(v)}) is not a number.`,
      );
    }
    out[i] = n;
  }
  return out;
}

/**
 * Checks inputs against what the model declares (names, element types, ranks and fixed
 * dimensions) and makes onnxruntime tensors. Errors show what the model expects and what was given.
 */
export function toFeeds(declared: readonly TensorSpec[], inputs: TensorMapJson): Record<string, ort.Tensor> {
  const given = Object.keys(inputs);
  const expectedNames = declared.map((d) => d.name);
  const unknown = given.filter((n) => !expectedNames.includes(n));
  const missing = expectedNames.filter((n) => !given.includes(n));
  if (unknown.length > 0 || missing.length > 0) {
    throw new AirlockError(
      'INPUT_NAME_MISMATCH',
      `The model expects inputs ${declared.map((d) => `"${d.name}" ${d.type}${describeShape(d.shape)}`).join(', ')}; given ${given.length ? given.map((g) => `"${g}"`).join(', ') : 'none'}${unknown.length ? ` (unknown: ${unknown.join(', ')})` : ''}${missing.length ? ` (missing: ${missing.join(', ')})` : ''}.`,
      { details: { expected: declared, given, unknown, missing } },
    );
  }
  const feeds: Record<string, ort.Tensor> = {};
  for (const spec of declared) {
    const t = inputs[spec.name]!;
    if (t.type !== spec.type) {
      throw new AirlockError(
        'INPUT_TYPE_MISMATCH',
        `Input "${spec.name}" must be ${spec.type}${describeShape(spec.shape)}; given ${t.type}[${t.dims.join(', ')}].`,
        { details: { input: spec.name, expected: spec, given: { type: t.type, dims: t.dims } } },
      );
    }
    const rankOk = t.dims.length === spec.shape.length;
    const dimsOk = rankOk && spec.shape.every((d, i) => typeof d !== 'number' || d === t.dims[i]);
    if (!dimsOk) {
      throw new AirlockError(
        'INPUT_SHAPE_MISMATCH',
        `Input "${spec.name}" must have shape ${describeShape(spec.shape)} (named dimensions may be any size); given [${t.dims.join(', ')}].`,
        { details: { input: spec.name, expected: spec.shape, given: t.dims } },
      );
    }
    const data = toTypedData(spec.name, t);
    if (data.length !== elementCount(t.dims)) {
      throw new AirlockError(
        'INPUT_SHAPE_MISMATCH',
        `Input "${spec.name}" has ${data.length} values but dims [${t.dims.join(', ')}] need ${elementCount(t.dims)}.`,
        { details: { input: spec.name } },
      );
    }
    feeds[spec.name] = new ort.Tensor(spec.type === 'float16' ? 'float16' : spec.type, data as never, t.dims);
  }
  return feeds;
}

/** onnxruntime output → tensor data (typed arrays stay typed arrays: no copy). */
export function fromOrt(tensor: ort.Tensor): TensorJson {
  const data = tensor.type === 'string' ? (tensor.data as string[]) : (tensor.data as TypedArray);
  return { type: tensor.type as ElementType, dims: [...tensor.dims], data };
}

/** Plain-JSON form for files and terminals: int64 become numbers when exact, else decimal strings. */
export function toPlainJson(
  map: TensorMapJson,
): Record<string, { type: string; dims: number[]; data: (number | string | boolean)[] }> {
  const out: Record<string, { type: string; dims: number[]; data: (number | string | boolean)[] }> = {};
  for (const [name, t] of Object.entries(map)) {
    let data: (number | string | boolean)[];
    if (!ArrayBuffer.isView(t.data)) data = t.data;
    else if (t.data instanceof BigInt64Array || t.data instanceof BigUint64Array) {
      data = Array.from(t.data as ArrayLike<bigint>, (v) =>
        v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
          ? Number(v)
          : v.toString(),
      );
    } else if (t.type === 'bool') data = Array.from(t.data as Uint8Array, (v) => v !== 0);
    else data = Array.from(t.data as ArrayLike<number>);
    out[name] = { type: t.type, dims: [...t.dims], data };
  }
  return out;
}

/** SHA-256 over names, types, dims and raw bytes, in name order: the same tensors always hash the same. */
export function digestTensors(
  map: Readonly<
    Record<string, { type: string; dims: readonly number[]; data: ort.Tensor['data'] | TensorJson['data'] }>
  >,
): string {
  const hash = createHash('sha256');
  for (const name of Object.keys(map).sort()) {
    const t = map[name]!;
    hash.update(`${name}\u0000${t.type}\u0000${t.dims.join(',')}\u0000`);
    if (ArrayBuffer.isView(t.data))
      hash.update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    else hash.update(JSON.stringify(t.data));
    hash.update('\u0000');
  }
  return hash.digest('hex');
}
