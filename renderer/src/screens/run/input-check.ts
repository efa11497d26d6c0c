import type { ModelCard, TensorSpec } from '../../../../runtime/contract/index.js';

/**
 * A look at the picked file against the card's declared inputs, before Run is enabled. The
 * engine still reads the file itself (and has the last word); this only refuses what plainly
 * cannot fit: a tensor of the wrong shape or element type. What the page cannot read (broken
 * JSON, an unknown layout) is left to the engine, whose message is then shown.
 */
export type InputCheck =
  | { readonly verdict: 'ok'; readonly text: string }
  | { readonly verdict: 'refused'; readonly text: string }
  | { readonly verdict: 'engine'; readonly text: string };

const NPY_TYPES: Record<string, string> = {
  f2: 'float16',
  f4: 'float32',
  f8: 'float64',
  i1: 'int8',
  u1: 'uint8',
  i2: 'int16',
  u2: 'uint16',
  i4: 'int32',
  u4: 'uint32',
  i8: 'int64',
  u8: 'uint64',
  b1: 'bool',
  '?': 'bool',
};

export function shapeWords(shape: readonly (number | string)[]): string {
  return `[${shape.join(', ')}]`;
}

/** Why dims do not fit a declared shape, or null when they do (a named dimension takes any size). */
export function shapeMismatch(spec: TensorSpec, dims: readonly number[]): string | null {
  if (dims.length !== spec.shape.length)
    return `${spec.name} takes ${spec.shape.length} dimension${spec.shape.length === 1 ? '' : 's'} ${shapeWords(spec.shape)}; the file has ${dims.length} ${shapeWords(dims)}.`;
  for (let i = 0; i < dims.length; i++) {
    const want = spec.shape[i]!;
    if (typeof want === 'number' && want !== dims[i])
      return `${spec.name} takes shape ${shapeWords(spec.shape)}; the file has ${shapeWords(dims)} (dimension ${i + 1} is ${dims[i]}, not ${want}).`;
  }
  return null;
}

function typeMismatch(spec: TensorSpec, type: string): string | null {
  return type === spec.type ? null : `${spec.name} takes ${spec.type} values; the file holds ${type}.`;
}

/** The header of a NumPy .npy file: element type and shape, or null when it is not one. */
export function npyHeader(bytes: Uint8Array): { type: string | null; dims: number[] } | null {
  if (bytes.length < 10 || bytes[0] !== 0x93 || String.fromCharCode(...bytes.slice(1, 6)) !== 'NUMPY')
    return null;
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const len = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.slice(start, start + len));
  const descr = /'descr'\s*:\s*'([<>|=]?)([a-z?]\d*)'/.exec(header);
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!shape) return null;
  const dims = shape[1]!
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  if (dims.some((d) => !Number.isInteger(d) || d < 0)) return null;
  return { type: descr ? (NPY_TYPES[descr[2]!] ?? null) : null, dims };
}

const IMAGE = /\.(png|jpe?g|webp|bmp|gif|tiff?)$/i;

function checkTensor(spec: TensorSpec, type: string | null, dims: readonly number[], count?: number) {
  const why =
    (type ? typeMismatch(spec, type) : null) ??
    shapeMismatch(spec, dims) ??
    (count !== undefined && count !== dims.reduce((a, b) => a * b, 1)
      ? `${spec.name}: the shape ${shapeWords(dims)} needs ${dims.reduce((a, b) => a * b, 1)} values; the file has ${count}.`
      : null);
  return why;
}

function isTensor(v: unknown): v is { type: string; dims: number[]; data: unknown[] } {
  if (typeof v !== 'object' || v === null) return false;
  const t = v as Record<string, unknown>;
  return typeof t.type === 'string' && Array.isArray(t.dims) && Array.isArray(t.data);
}

export function checkInput(card: ModelCard, name: string, bytes: Uint8Array): InputCheck {
  const inputs = card.inputs;
  if (IMAGE.test(name)) {
    const prepared = (card.preprocess?.length ?? 0) > 0 || card.pipeline !== undefined;
    return prepared
      ? { verdict: 'ok', text: `An image: the card says how to prepare it for ${inputs[0]!.name}.` }
      : {
          verdict: 'refused',
          text: `This model's card does not say how to turn an image into its input ${inputs.map((i) => `${i.name} ${shapeWords(i.shape)}`).join(', ')}. Give a .npy or .json tensor instead.`,
        };
  }
  if (/\.npy$/i.test(name)) {
    const header = npyHeader(bytes);
    if (!header)
      return { verdict: 'engine', text: 'Not a NumPy header the page can read: the engine will check it.' };
    if (inputs.length !== 1)
      return {
        verdict: 'refused',
        text: `A .npy holds one tensor, but this model takes ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ')}). Give a .json tensor map.`,
      };
    const why = checkTensor(inputs[0]!, header.type, header.dims);
    return why
      ? { verdict: 'refused', text: why }
      : {
          verdict: 'ok',
          text: `${header.type ?? 'tensor'} ${shapeWords(header.dims)} fits ${inputs[0]!.name}.`,
        };
  }
  if (/\.json$/i.test(name)) {
    let doc: unknown;
    try {
      doc = JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      return {
        verdict: 'engine',
        text: 'The page cannot read this JSON: the engine will say what is wrong.',
      };
    }
    const map: Record<string, unknown> | null = isTensor(doc)
      ? inputs.length === 1
        ? { [inputs[0]!.name]: doc }
        : null
      : typeof doc === 'object' && doc !== null
        ? (doc as Record<string, unknown>)
        : null;
    if (!map)
      return {
        verdict: 'engine',
        text: 'Not a tensor or tensor map the page knows: the engine will check it.',
      };
    const fits: string[] = [];
    for (const spec of inputs) {
      const t = map[spec.name];
      if (!isTensor(t))
        return { verdict: 'engine', text: `No tensor named ${spec.name}: the engine will check it.` };
      const why = checkTensor(spec, t.type, t.dims, t.data.length);
      if (why) return { verdict: 'refused', text: why };
      fits.push(`${t.type} ${shapeWords(t.dims)} fits ${spec.name}`);
    }
    return { verdict: 'ok', text: `${fits.join('; ')}.` };
  }
  return { verdict: 'engine', text: 'An unfamiliar kind of file: the engine will check it.' };
}
