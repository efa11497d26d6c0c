/**
 * Turns a chosen file into the contract's tensor map: .npy (NumPy v1-3, little-endian, C order)
 * or JSON (a tensor map, or one tensor for a single-input model). Pure: unit-testable.
 */
import type { ElementType, TensorJson, TensorMapJson, TensorSpec } from '../../runtime/contract/index.js';

const NPY_TYPES: Record<string, ElementType> = {
  '<f4': 'float32',
  '<f8': 'float64',
  '|i1': 'int8',
  '|u1': 'uint8',
  '<i2': 'int16',
  '<u2': 'uint16',
  '<i4': 'int32',
  '<u4': 'uint32',
  '<i8': 'int64',
  '<u8': 'uint64',
  '|b1': 'bool',
};

export class InputError extends Error {
  override name = 'InputError';
}

export function parseNpy(buffer: ArrayBuffer): TensorJson {
  const bytes = new Uint8Array(buffer);
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (bytes.length < 10 || magic.some((b, i) => bytes[i] !== b))
    throw new InputError(
      'This is not a .npy file (its magic bytes are missing). Save the array with numpy.save.',
    );
  const view = new DataView(buffer);
  const major = bytes[6]!;
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*True/.test(header);
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || shape === undefined)
    throw new InputError('The .npy header cannot be read. Save the array again with numpy.save.');
  if (fortran)
    throw new InputError('The .npy array is in Fortran order. Save it with numpy.ascontiguousarray first.');
  const type = NPY_TYPES[descr];
  if (!type)
    throw new InputError(
      `The .npy element type ${descr} is not supported. Use float32, float64, int8-64, uint8-64 or bool, little-endian.`,
    );
  const dims = shape
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  const count = dims.reduce((a, b) => a * b, 1);
  const body = buffer.slice(start + headerLen);
  const data = toArray(type, body, count);
  return { type, dims, data };
}

function toArray(type: ElementType, body: ArrayBuffer, count: number): (number | string | boolean)[] {
  const need =
    count *
    (
      {
        float32: 4,
        float64: 8,
        int8: 1,
        uint8: 1,
        int16: 2,
        uint16: 2,
        int32: 4,
        uint32: 4,
        int64: 8,
        uint64: 8,
        bool: 1,
      } as Record<string, number>
    )[type]!;
  if (body.byteLength < need)
    throw new InputError(`The .npy file is truncated: it should hold ${count} values.`);
  switch (type) {
    case 'float32':
      return Array.from(new Float32Array(body, 0, count));
    case 'float64':
      return Array.from(new Float64Array(body, 0, count));
    case 'int8':
      return Array.from(new Int8Array(body, 0, count));
    case 'uint8':
      return Array.from(new Uint8Array(body, 0, count));
    case 'int16':
      return Array.from(new Int16Array(body, 0, count));
    case 'uint16':
      return Array.from(new Uint16Array(body, 0, count));
    case 'int32':
      return Array.from(new Int32Array(body, 0, count));
    case 'uint32':
      return Array.from(new Uint32Array(body, 0, count));
    case 'int64':
      return Array.from(new BigInt64Array(body, 0, count), (v) => v.toString());
    case 'uint64':
      return Array.from(new BigUint64Array(body, 0, count), (v) => v.toString());
    case 'bool':
      return Array.from(new Uint8Array(body, 0, count), (v) => v !== 0);
    default:
      throw new InputError(`The .npy element type ${type} is not supported.`);
  }
}

function isTensor(value: unknown): value is TensorJson {
  return typeof value === 'object' && value !== null && 'type' in value && 'dims' in value && 'data' in value;
}

/** Builds the request's inputs from a file, using the model's input names. */
export function inputsFromFile(
  name: string,
  buffer: ArrayBuffer,
  inputs: readonly TensorSpec[],
): TensorMapJson {
  const lower = name.toLowerCase();
  const only = inputs.length === 1 ? inputs[0]!.name : null;
  if (lower.endsWith('.npy')) {
    if (!only)
      throw new InputError(
        `This model takes ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ')}); give a JSON file naming each.`,
      );
    return { [only]: parseNpy(buffer) };
  }
  if (lower.endsWith('.json')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder().decode(buffer));
    } catch {
      throw new InputError('The JSON file cannot be parsed. Check it with a JSON validator.');
    }
    if (isTensor(parsed)) {
      if (!only)
        throw new InputError(
          'This model takes several inputs; the JSON must map each input name to a tensor.',
        );
      return { [only]: parsed };
    }
    if (typeof parsed === 'object' && parsed !== null) return parsed as TensorMapJson;
    throw new InputError(
      'The JSON must be a tensor {"type","dims","data"} or a map of input name to tensor.',
    );
  }
  throw new InputError('Choose a .npy or .json file (images need the image input of a later version).');
}

/** Top-k of a probability-like vector: the last axis of the first row. */
export function topK(
  data: readonly (number | string | boolean)[],
  dims: readonly number[],
  k: number,
): { index: number; value: number }[] {
  const n = dims.length === 0 ? data.length : dims[dims.length - 1]!;
  const row = data.slice(0, n).map(Number);
  return row
    .map((value, index) => ({ index, value }))
    .sort((a, b) => b.value - a.value)
    .slice(0, k);
}
