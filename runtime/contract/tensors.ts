import { z } from 'zod';
import { ELEMENT_TYPES, type ElementType } from './card.js';

export type TypedArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

function isTypedArray(value: unknown): value is TypedArray {
  return ArrayBuffer.isView(value) && !(value instanceof DataView);
}

/**
 * A tensor as data: `{"type": "float32", "dims": [1, 3], "data": [...]}`. int64 data may be JSON
 * numbers or decimal strings; `dims: []` is a scalar. In-process and over IPC, `data` may also be a
 * typed array (no per-element copy or validation).
 */
export const tensorJsonSchema = z.strictObject({
  type: z.enum(ELEMENT_TYPES),
  dims: z.array(z.number().int().nonnegative()).max(16),
  data: z.union([
    z.array(z.union([z.number(), z.string(), z.boolean()])),
    z.custom<TypedArray>(isTypedArray),
  ]),
});
export type TensorJson = z.infer<typeof tensorJsonSchema>;
export type TensorMapJson = Record<string, TensorJson>;
export const tensorMapSchema = z.record(z.string().min(1), tensorJsonSchema);

export type { ElementType };
