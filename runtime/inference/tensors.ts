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

/**
 * A declared shape for a person: fixed sizes as numbers; a named dimension by its name when the
 * publisher gave it a word ("batch", "height"), else "?" (exporters' generated names such as
 * "p2o.DynamicDimension.0" or "unk__12" mean only "any size").
 */
const describeShape = (s: TensorSpec['shape']) =>
  `[${s.map((d) => (typeof d === 'string' && !/^[A-Za-z][A-Za-z_]{0,15}$/.test(d) ? '?' : String(d))).join(', ')}]`;

function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** The whole-number range of each integer element type (bool: 0 and 1). */
const INT_RANGE: Partial<Record<ElementType, readonly [number, number]>> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
  bool: [0, 1],
};
const BIG_RANGE: Partial<Record<ElementType, readonly [bigint, bigint]>> = {
  int64: [-(1n << 63n), (1n << 63n) - 1n],
  uint64: [0n, (1n << 64n) - 1n],
};
const FLOAT32_MAX = 3.4028234663852886e38;
const FLOAT16_MAX = 65504;

/** Rounds half to even (x >= 0). */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  return d > 0.5 || (d === 0.5 && f % 2 === 1) ? f + 1 : f;
}

/**
 * IEEE 754 binary16 bits of a number (round to nearest, ties to even), the form onnxruntime's
 * float16 tensors take in a Uint16Array. The caller has checked |v| <= 65504 (or non-finite).
 */
export function float16Bits(v: number): number {
  if (Number.isNaN(v)) return 0x7e00;
  const sign = v < 0 || Object.is(v, -0) ? 0x8000 : 0;
  const a = Math.abs(v);
  if (a === Infinity) return sign | 0x7c00;
  if (a < 2 ** -14) return sign | roundHalfEven(a / 2 ** -24); // subnormal (1024 is the smallest normal)
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e -= 1;
  else if (2 ** (e + 1) <= a) e += 1;
  let m = roundHalfEven((a / 2 ** e - 1) * 1024);
  if (m === 1024) {
    m = 0;
    e += 1;
  }
  return e > 15 ? sign | 0x7c00 : sign | ((e + 15) << 10) | m;
}

function badValue(name: string, type: ElementType, index: number, value: unknown, why: string): AirlockError {
  const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 60)) : String(value);
  return new AirlockError('INPUT_INVALID', `Input "${name}" is ${type}; value ${index} (${shown}) ${why}.`, {
    details: {
      input: name,
      type,
      index,
      value: typeof value === 'string' ? value.slice(0, 60) : String(value),
    },
  });
}

/**
 * JSON values → the typed array of the declared element type. Every value is checked against
 * that type before it is stored, never wrapped, truncated or rounded into range: integers must be
 * whole and within the type's range; 64-bit integers are JSON numbers only while they are safe
 * integers (|n| <= 2^53 - 1), larger ones decimal strings, and those must be in range too; bool
 * takes true/false (or 0/1); float32 and float16 refuse finite values beyond their largest. The
 * error names the first bad value (its index and value). A typed array passed in-process must
 * already be of the declared type; it is used as it is.
 */
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
        `Input "${name}" is declared ${t.type} but its data is a ${t.data.constructor.name}${t.type === 'float16' ? ' (float16 data in-process is a Uint16Array of IEEE half bits)' : ''}.`,
        { details: { input: name, type: t.type, given: t.data.constructor.name } },
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
  const big = BIG_RANGE[t.type];
  if (big) {
    const [min, max] = big;
    const out = new (t.type === 'int64' ? BigInt64Array : BigUint64Array)(count);
    for (let i = 0; i < count; i++) {
      const v = values[i];
      let n: bigint;
      if (typeof v === 'number') {
        if (!Number.isInteger(v)) throw badValue(name, t.type, i, v, 'is not a whole number');
        if (!Number.isSafeInteger(v))
          throw badValue(
            name,
            t.type,
            i,
            v,
            'is beyond the integers a JSON number holds exactly (2^53 - 1); write it as a decimal string, e.g. "9007199254740993"',
          );
        n = BigInt(v);
      } else if (typeof v === 'string' && /^-?\d{1,40}$/.test(v)) n = BigInt(v);
      else throw badValue(name, t.type, i, v, 'is not an integer (use a JSON number or a decimal string)');
      if (n < min || n > max)
        throw badValue(name, t.type, i, v, `is out of range for ${t.type} [${min}, ${max}]`);
      out[i] = n;
    }
    return out;
  }
  const range = INT_RANGE[t.type];
  const out = new ctor(count);
  for (let i = 0; i < count; i++) {
    const v = values[i];
    const n = typeof v === 'boolean' ? Number(v) : v;
    if (typeof n !== 'number') throw badValue(name, t.type, i, v, 'is not a number');
    if (range) {
      if (!Number.isInteger(n))
        throw badValue(
          name,
          t.type,
          i,
          v,
          t.type === 'bool' ? 'is not true, false, 0 or 1' : 'is not a whole number',
        );
      if (n < range[0] || n > range[1])
        throw badValue(name, t.type, i, v, `is out of range for ${t.type} [${range[0]}, ${range[1]}]`);
      out[i] = n;
    } else if (t.type === 'float16') {
      if (Number.isFinite(n) && Math.abs(n) > FLOAT16_MAX)
        throw badValue(name, t.type, i, v, `is beyond the largest float16 (${FLOAT16_MAX})`);
      out[i] = float16Bits(n);
    } else {
      if (t.type === 'float32' && Number.isFinite(n) && Math.abs(n) > FLOAT32_MAX)
        throw badValue(name, t.type, i, v, `is beyond the largest float32 (${FLOAT32_MAX})`);
      out[i] = n;
    }
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
