import type { ElementType } from '../contract/card.js';
import type { TensorJson, TypedArray } from '../contract/tensors.js';
import { AirlockError } from '../errors.js';

const DESCR: Record<
  string,
  { type: ElementType; bytes: number; make: (b: ArrayBuffer, o: number, n: number) => TypedArray }
> = {
  '<f4': { type: 'float32', bytes: 4, make: (b, o, n) => new Float32Array(b, o, n) },
  '<f8': { type: 'float64', bytes: 8, make: (b, o, n) => new Float64Array(b, o, n) },
  '|i1': { type: 'int8', bytes: 1, make: (b, o, n) => new Int8Array(b, o, n) },
  '|u1': { type: 'uint8', bytes: 1, make: (b, o, n) => new Uint8Array(b, o, n) },
  '<i2': { type: 'int16', bytes: 2, make: (b, o, n) => new Int16Array(b, o, n) },
  '<u2': { type: 'uint16', bytes: 2, make: (b, o, n) => new Uint16Array(b, o, n) },
  '<i4': { type: 'int32', bytes: 4, make: (b, o, n) => new Int32Array(b, o, n) },
  '<u4': { type: 'uint32', bytes: 4, make: (b, o, n) => new Uint32Array(b, o, n) },
  '<i8': { type: 'int64', bytes: 8, make: (b, o, n) => new BigInt64Array(b, o, n) },
  '<u8': { type: 'uint64', bytes: 8, make: (b, o, n) => new BigUint64Array(b, o, n) },
  '|b1': { type: 'bool', bytes: 1, make: (b, o, n) => new Uint8Array(b, o, n) },
};

function bad(message: string): AirlockError {
  return new AirlockError(
    'INPUT_INVALID',
    `Not a usable .npy file: ${message}. Save it with numpy.save() from a C-ordered little-endian array.`,
  );
}

/** Parses a NumPy .npy file (format 1.0-3.0, C order, little-endian numeric or bool). */
export function parseNpy(bytes: Uint8Array): TensorJson {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (bytes.length < 10 || !magic.every((m, i) => bytes[i] === m))
    throw bad('it does not start with the \\x93NUMPY magic');
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = major === 1 ? 10 : 12;
  if (headerStart + headerLen > bytes.length) throw bad('its header is truncated');
  const header = Buffer.from(bytes.subarray(headerStart, headerStart + headerLen)).toString('latin1');
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined)
    throw bad('its header lacks descr, fortran_order or shape');
  if (fortran === 'True') throw bad('it is in Fortran order');
  const spec = DESCR[descr === '<b1' ? '|b1' : descr === '<i1' ? '|i1' : descr === '<u1' ? '|u1' : descr];
  if (!spec)
    throw bad(
      `element type ${descr} is not supported (use float32, float64, int8-64, uint8-64 or bool, little-endian)`,
    );
  const dims = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  if (dims.some((d) => !Number.isInteger(d) || d < 0))
    throw bad(`its shape (${shapeText}) is not a list of sizes`);
  const count = dims.reduce((a, b) => a * b, 1);
  const dataStart = headerStart + headerLen;
  if (bytes.length - dataStart < count * spec.bytes)
    throw bad(
      `it holds ${bytes.length - dataStart} data bytes but shape (${dims.join(', ')}) needs ${count * spec.bytes}`,
    );
  // Copy into an aligned buffer: the data offset inside the file need not be aligned.
  const aligned = new ArrayBuffer(count * spec.bytes);
  new Uint8Array(aligned).set(bytes.subarray(dataStart, dataStart + count * spec.bytes));
  return { type: spec.type, dims, data: spec.make(aligned, 0, count) };
}

/** Writes a tensor as .npy (format 1.0). */
export function writeNpy(tensor: { type: ElementType; dims: readonly number[]; data: TypedArray }): Buffer {
  const entry = Object.entries(DESCR).find(([, v]) => v.type === tensor.type);
  if (!entry) throw new AirlockError('INPUT_INVALID', `Cannot write ${tensor.type} tensors as .npy.`);
  const shape = tensor.dims.length === 1 ? `(${tensor.dims[0]},)` : `(${tensor.dims.join(', ')})`;
  let header = `{'descr': '${entry[0]}', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  head.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  head.writeUInt16LE(header.length, 8);
  return Buffer.concat([
    head,
    Buffer.from(header, 'latin1'),
    Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength),
  ]);
}
