import { constants as bufferConstants } from 'node:buffer';
import { createHash } from 'node:crypto';
import { join, posix } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { BundleFile } from '../contract/bundle.js';
import { AirlockError } from '../errors.js';
import { externalTensors, shown, type ExternalTensor } from './onnx-external.js';

/**
 * One ONNX graph of a bundle as onnxruntime gets it: the graph's bytes and the bytes of every
 * external data file it names, each checked against its signed digest. Sessions are opened from
 * these bytes, at verification and at run alike, so what runs is what was verified: byte for byte,
 * and with the same location → file mapping.
 */
export interface ModelBytes {
  /** Payload path of the graph inside its bundle (`model.onnx`, `det/model.onnx`). */
  readonly path: string;
  readonly model: Uint8Array;
  /** Each external data file: the location as the graph writes it, and the payload file's bytes. */
  readonly externalData: readonly { readonly path: string; readonly data: Uint8Array }[];
}

/** The external_data keys onnxruntime understands; anything else is refused. */
const KNOWN_KEYS = new Set(['location', 'offset', 'length', 'checksum']);

function refused(t: ExternalTensor, problem: string, details: Record<string, unknown> = {}): AirlockError {
  return new AirlockError(
    'MODEL_EXTERNAL_DATA',
    `The ${t.where} keeps its data in an external file, but ${problem}. Airlock only lets a model read payload files of its own signed bundle; the bundle is refused. Ask the publisher to fix the export.`,
    { details: { tensor: t.where, ...details } },
  );
}

/** Why a location may not name a payload file, or null when its form is acceptable. */
function locationProblem(location: string): string | null {
  if (location.length === 0) return 'its location is empty';
  if (location.length > 200) return 'its location is longer than 200 characters';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(location)) return 'its location contains control characters';
  if (location.includes('\\')) return 'its location contains a backslash';
  if (location.startsWith('/') || /^[A-Za-z]:/.test(location))
    return `its location ${shown(location)} is an absolute path`;
  const segments = location.split('/');
  if (segments.includes('..')) return `its location ${shown(location)} climbs out of the bundle with ".."`;
  if (segments.some((s) => s === '' || s === '.'))
    return `its location ${shown(location)} has an empty or "." path segment`;
  // onnxruntime reads "*/_ORT_MEM_ADDR_/*" and its kin as a raw memory address, not a file.
  if (segments[0] === '*') return `its location ${shown(location)} is an onnxruntime memory marker`;
  return null;
}

function integer(t: ExternalTensor, key: string, value: string | undefined): number | null {
  if (value === undefined) return null;
  if (!/^[0-9]{1,16}$/.test(value) || !Number.isSafeInteger(Number(value)))
    throw refused(t, `its ${key} ${shown(value)} is not a whole number of bytes`);
  return Number(value);
}

/**
 * Checks every external data reference of a graph and resolves it to a payload file of the
 * bundle: relative to the graph's own folder inside the bundle, as ONNX defines it. Refused
 * (MODEL_EXTERNAL_DATA): an absolute location, "..", a file the bundle does not list, a range past
 * the file's end, a size that does not match the tensor, and any place onnxruntime would read
 * from disk instead of from the verified bytes handed to it (subgraphs, sparse tensors, functions,
 * attributes other than a main-graph Constant's value). Returns location → payload file.
 */
export function externalDataFiles(
  graphPath: string,
  model: Uint8Array,
  files: readonly BundleFile[],
): Map<string, BundleFile> {
  const byPath = new Map(files.map((f) => [f.path, f]));
  const folder = posix.dirname(graphPath);
  const resolved = new Map<string, BundleFile>();
  for (const t of externalTensors(model)) {
    if (t.dataLocation !== 1)
      throw refused(t, 'it is not marked EXTERNAL (data_location), so its entries are ambiguous');
    if (t.entries.length === 0) throw refused(t, 'it names no file (no external_data entries)');
    const values = new Map<string, string>();
    for (const [key, value] of t.entries) {
      if (!KNOWN_KEYS.has(key)) throw refused(t, `it has an unknown external_data key ${shown(key)}`);
      if (values.has(key)) throw refused(t, `its external_data key ${shown(key)} appears twice`);
      values.set(key, value);
    }
    const location = values.get('location');
    if (location === undefined) throw refused(t, 'it has no location');
    const problem = locationProblem(location);
    if (problem) throw refused(t, problem, { location });
    const path = folder === '.' ? location : `${folder}/${location}`;
    const file = byPath.get(path);
    if (!file)
      throw refused(
        t,
        `it names ${shown(path)}, which is not a payload file of the bundle (a publisher adds it with --file NAME=PATH)`,
        {
          location,
          file: path,
        },
      );
    if (!t.inMemory)
      throw refused(
        t,
        'it sits where onnxruntime-node reads external data from disk by itself, not from the verified copy Airlock hands it (only initializers and Constant nodes of the main graph may keep their data in a second file)',
        { location, file: path },
      );
    const offset = integer(t, 'offset', values.get('offset')) ?? 0;
    const length = integer(t, 'length', values.get('length'));
    if (t.byteSize === null)
      throw refused(t, 'its element type has no fixed size (strings cannot be external)', { location });
    if (length !== null && length !== 0 && BigInt(length) !== t.byteSize)
      throw refused(t, `its length ${length} does not match the tensor's ${t.byteSize} bytes`, { location });
    if (BigInt(offset) + t.byteSize > BigInt(file.size))
      throw refused(
        t,
        `bytes ${offset} to ${BigInt(offset) + t.byteSize} lie past the end of ${shown(path)} (${file.size} bytes)`,
        { location, file: path },
      );
    if (file.size > bufferConstants.MAX_LENGTH)
      throw refused(t, `${shown(path)} is larger than the ${bufferConstants.MAX_LENGTH} bytes it can load`, {
        file: path,
      });
    resolved.set(location, file);
  }
  return resolved;
}

/** protobuf's hard limit on one message: no ONNX graph file is larger. */
const MAX_GRAPH_BYTES = 2 ** 31 - 1;

/** Reads a payload file's bytes (staging or the store); null when it is missing or unreadable. */
export type ReadPayload = (file: BundleFile) => Promise<Uint8Array | null>;

/** One payload file's bytes, read once and hashed: the bytes returned are the bytes checked. */
export async function readVerified(
  file: BundleFile,
  read: ReadPayload,
  changed: (file: BundleFile) => AirlockError,
): Promise<Uint8Array> {
  const bytes = await read(file);
  if (
    !bytes ||
    bytes.length !== file.size ||
    createHash('sha256').update(bytes).digest('hex') !== file.sha256
  )
    throw changed(file);
  return bytes;
}

/**
 * Reads one graph and the external data files it names, each hashed against its signed digest
 * (`changed` makes the error when one differs: DIGEST_MISMATCH in staging, MODEL_TAMPERED in the
 * store). What it returns is the only thing a session of that graph is ever opened from.
 */
export async function readGraph(
  graphPath: string,
  files: readonly BundleFile[],
  read: ReadPayload,
  changed: (file: BundleFile) => AirlockError,
): Promise<ModelBytes> {
  const checked = (file: BundleFile) => readVerified(file, read, changed);
  const graphFile = files.find((f) => f.path === graphPath);
  if (!graphFile)
    throw new AirlockError('MODEL_INVALID', `The bundle has no file ${shown(graphPath)} for its model.`, {
      details: { file: graphPath },
    });
  if (graphFile.size > MAX_GRAPH_BYTES)
    throw new AirlockError(
      'MODEL_INVALID',
      `The graph ${shown(graphPath)} is ${graphFile.size} bytes; an ONNX protobuf cannot exceed 2 GiB (larger weights belong in external data files).`,
      { details: { file: graphPath } },
    );
  const model = await checked(graphFile);
  const externalData: { path: string; data: Uint8Array }[] = [];
  const seen = new Map<string, Uint8Array>();
  for (const [location, file] of externalDataFiles(graphPath, model, files)) {
    let data = seen.get(file.sha256);
    if (!data) {
      data = await checked(file);
      seen.set(file.sha256, data);
    }
    externalData.push({ path: location, data });
  }
  return { path: graphPath, model, externalData };
}

/**
 * Where onnxruntime would look for external data it was not handed: a path under a regular file
 * (the running executable), which cannot exist. A reference Airlock's own walk missed therefore
 * fails to load instead of reading whatever file sits beside the working directory.
 */
export const NO_EXTERNAL_DATA_FOLDER = join(process.execPath, 'airlock-no-external-data');

/** onnxruntime's model argument and options for a graph: its verified bytes, and only those. */
export function sessionArgs(
  bytes: ModelBytes,
  options: ort.InferenceSession.SessionOptions,
): [Uint8Array, ort.InferenceSession.SessionOptions] {
  const extra = (options.extra ?? {}) as Record<string, unknown>;
  const session = (extra['session'] ?? {}) as Record<string, unknown>;
  return [
    bytes.model,
    {
      ...options,
      externalData: bytes.externalData.map((e) => ({ path: e.path, data: e.data })),
      extra: {
        ...extra,
        session: { ...session, model_external_initializers_file_folder_path: NO_EXTERNAL_DATA_FOLDER },
      },
    },
  ];
}

/** Opens an onnxruntime session on a graph's verified bytes. */
export function openSession(
  bytes: ModelBytes,
  options: ort.InferenceSession.SessionOptions,
): Promise<ort.InferenceSession> {
  const [model, opts] = sessionArgs(bytes, options);
  return ort.InferenceSession.create(model, opts);
}
