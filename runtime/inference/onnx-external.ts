import { AirlockError } from '../errors.js';

/**
 * Finds every tensor of an ONNX model that keeps its bytes outside the model file
 * (`TensorProto.external_data`), by walking the protobuf wire format itself: Airlock does not
 * leave it to onnxruntime to decide which files a model may read.
 *
 * Field numbers are onnx/onnx.proto's. Every place a TensorProto can sit is visited: graph
 * initializers and sparse initializers, node attributes (t, tensors, sparse_tensor(s)), subgraphs
 * (g, graphs: If/Loop/Scan bodies) to any depth, model-local functions (their nodes and default
 * attributes) and training-info graphs. A singular message field that occurs twice (which
 * protobuf would merge into one) is refused, so what is checked here is what onnxruntime parses.
 */

/** One tensor that names external data, with where it sits in the model. */
export interface ExternalTensor {
  /** Human-readable place: `initializer "W" of graph "main"`. */
  readonly where: string;
  /**
   * True for the places onnxruntime-node serves from the in-memory files handed to it (the main
   * graph's initializers and its Constant nodes' `value`); elsewhere it would read the disk.
   */
  readonly inMemory: boolean;
  /** The key/value entries, in order, as decoded (keys and values are UTF-8). */
  readonly entries: readonly (readonly [string, string])[];
  /** data_location: 0 DEFAULT, 1 EXTERNAL (the last occurrence, as protobuf reads it). */
  readonly dataLocation: number;
  /** Bytes the tensor's data takes (dims × element size), or null when its type has no fixed size. */
  readonly byteSize: bigint | null;
}

/** Messages nested deeper than this (protobuf's own default recursion limit) are refused as hostile. */
export const MAX_NESTING = 100;

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;

function invalid(reason: string): AirlockError {
  return new AirlockError(
    'MODEL_INVALID',
    `The model file is not a well-formed ONNX protobuf (${reason}). Ask the publisher to export it again.`,
    { details: { reason } },
  );
}

interface RawField {
  readonly n: number;
  readonly wire: number;
  /** Varint value (wire 0). */
  readonly value: bigint;
  /** Payload bounds (wire 2). */
  readonly start: number;
  readonly end: number;
}

/** Reads the fields of one message in bytes[start, end). */
function* fields(bytes: Uint8Array, start: number, end: number): Generator<RawField> {
  let pos = start;
  const varint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (pos >= end) throw invalid('a varint runs past the end of its message');
      const b = bytes[pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return BigInt.asUintN(64, result);
    }
    throw invalid('a varint is longer than 10 bytes');
  };
  while (pos < end) {
    const tag = varint();
    const n = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    if (n === 0 || n > 0x1fffffff) throw invalid(`field number ${n}`);
    switch (wire) {
      case WIRE_VARINT:
        yield { n, wire, value: varint(), start: pos, end: pos };
        break;
      case WIRE_FIXED64:
        if (end - pos < 8) throw invalid('a fixed64 field runs past the end');
        pos += 8;
        break;
      case WIRE_FIXED32:
        if (end - pos < 4) throw invalid('a fixed32 field runs past the end');
        pos += 4;
        break;
      case WIRE_LEN: {
        const length = varint();
        if (length > BigInt(end - pos)) throw invalid('a length-delimited field runs past the end');
        const s = pos;
        pos += Number(length);
        yield { n, wire, value: length, start: s, end: pos };
        break;
      }
      default:
        // Groups (3, 4) are deprecated and never written by ONNX tools; 6 and 7 do not exist.
        throw invalid(`wire type ${wire} in field ${n}`);
    }
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function text(bytes: Uint8Array, f: RawField, what: string): string {
  if (f.wire !== WIRE_LEN) throw invalid(`${what} is not a string`);
  try {
    return utf8.decode(bytes.subarray(f.start, f.end));
  } catch {
    throw new AirlockError(
      'MODEL_EXTERNAL_DATA',
      `The model has ${what} that is not valid UTF-8; it cannot name a file of the bundle. The bundle is refused.`,
    );
  }
}

function expectLen(f: RawField, what: string): void {
  if (f.wire !== WIRE_LEN) throw invalid(`${what} (field ${f.n}) has wire type ${f.wire}, not a message`);
}

/** Element sizes in bits by TensorProto.DataType; STRING (8) and unknown types have none. */
const ELEMENT_BITS: Readonly<Record<number, number>> = {
  1: 32, // FLOAT
  2: 8, // UINT8
  3: 8, // INT8
  4: 16, // UINT16
  5: 16, // INT16
  6: 32, // INT32
  7: 64, // INT64
  9: 8, // BOOL
  10: 16, // FLOAT16
  11: 64, // DOUBLE
  12: 32, // UINT32
  13: 64, // UINT64
  14: 64, // COMPLEX64
  15: 128, // COMPLEX128
  16: 16, // BFLOAT16
  17: 8, // FLOAT8E4M3FN
  18: 8, // FLOAT8E4M3FNUZ
  19: 8, // FLOAT8E5M2
  20: 8, // FLOAT8E5M2FNUZ
  21: 4, // UINT4
  22: 4, // INT4
  23: 4, // FLOAT4E2M1
  24: 8, // FLOAT8E8M0
  25: 2, // UINT2
  26: 2, // INT2
};

/** Untrusted names in messages: quoted, short, without control or bidi characters. */
export function shown(name: string): string {
  const short = name.length > 60 ? `${name.slice(0, 60)}…` : name;
  return JSON.stringify(short).replace(
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

class Walker {
  readonly found: ExternalTensor[] = [];

  constructor(private readonly bytes: Uint8Array) {}

  /** Fails when a singular message field occurs a second time in one message. */
  private once(seen: Set<number>, f: RawField, what: string): void {
    if (seen.has(f.n))
      throw invalid(`${what} occurs twice in one message, which protobuf would merge into one`);
    seen.add(f.n);
  }

  private depth(depth: number): number {
    if (depth > MAX_NESTING) throw invalid(`messages nested deeper than ${MAX_NESTING} levels`);
    return depth + 1;
  }

  model(): void {
    const seen = new Set<number>();
    for (const f of fields(this.bytes, 0, this.bytes.length)) {
      if (f.n === 7) {
        expectLen(f, 'ModelProto.graph');
        this.once(seen, f, 'ModelProto.graph');
        this.graph(f, 'the main graph', 1, true);
      } else if (f.n === 20) {
        expectLen(f, 'ModelProto.training_info');
        this.trainingInfo(f, 1);
      } else if (f.n === 25) {
        expectLen(f, 'ModelProto.functions');
        this.function(f, 1);
      }
    }
  }

  private trainingInfo(msg: RawField, depth: number): void {
    const d = this.depth(depth);
    const seen = new Set<number>();
    for (const f of fields(this.bytes, msg.start, msg.end)) {
      if (f.n === 1 || f.n === 2) {
        expectLen(f, 'TrainingInfoProto graph');
        this.once(seen, f, 'a TrainingInfoProto graph');
        this.graph(f, `training graph ${f.n === 1 ? 'initialization' : 'algorithm'}`, d, false);
      }
    }
  }

  private function(msg: RawField, depth: number): void {
    const d = this.depth(depth);
    let name = '';
    let domain = '';
    const nodes: RawField[] = [];
    const attributes: RawField[] = [];
    for (const f of fields(this.bytes, msg.start, msg.end)) {
      if (f.n === 1) name = text(this.bytes, f, 'a function name');
      else if (f.n === 10) domain = text(this.bytes, f, 'a function domain');
      else if (f.n === 7) {
        expectLen(f, 'FunctionProto.node');
        nodes.push(f);
      } else if (f.n === 11) {
        expectLen(f, 'FunctionProto.attribute_proto');
        attributes.push(f);
      }
    }
    const where = `function ${shown(domain ? `${domain}.${name}` : name)}`;
    nodes.forEach((f, i) => this.node(f, where, i, d, false));
    for (const f of attributes) this.attribute(f, `default attribute of ${where}`, d, false, false);
  }

  private graph(msg: RawField, label: string, depth: number, main: boolean): void {
    const d = this.depth(depth);
    let name = '';
    const nodes: RawField[] = [];
    const initializers: RawField[] = [];
    const sparse: RawField[] = [];
    for (const f of fields(this.bytes, msg.start, msg.end)) {
      if (f.n === 2) name = text(this.bytes, f, 'a graph name');
      else if (f.n === 1) {
        expectLen(f, 'GraphProto.node');
        nodes.push(f);
      } else if (f.n === 5) {
        expectLen(f, 'GraphProto.initializer');
        initializers.push(f);
      } else if (f.n === 15) {
        expectLen(f, 'GraphProto.sparse_initializer');
        sparse.push(f);
      }
    }
    const where = main ? label : `${label} ${shown(name)}`;
    for (const f of initializers) this.tensor(f, (t) => `initializer ${shown(t)} of ${where}`, d, main);
    for (const f of sparse) this.sparse(f, `sparse initializer of ${where}`, d);
    nodes.forEach((f, i) => this.node(f, where, i, d, main));
  }

  private node(msg: RawField, graph: string, index: number, depth: number, main: boolean): void {
    const d = this.depth(depth);
    let opType = '';
    let domain = '';
    let name = '';
    const attributes: RawField[] = [];
    for (const f of fields(this.bytes, msg.start, msg.end)) {
      if (f.n === 4) opType = text(this.bytes, f, 'an operator type');
      else if (f.n === 7) domain = text(this.bytes, f, 'an operator domain');
      else if (f.n === 3) name = text(this.bytes, f, 'a node name');
      else if (f.n === 5) {
        expectLen(f, 'NodeProto.attribute');
        attributes.push(f);
      }
    }
    const where = `node ${name ? shown(name) : `#${index}`} (${shown(opType)}) of ${graph}`;
    // onnxruntime turns the main graph's Constant nodes into initializers before it looks up
    // external data in memory; every other tensor attribute it would read from disk.
    const constant = main && opType === 'Constant' && (domain === '' || domain === 'ai.onnx');
    for (const f of attributes) this.attribute(f, where, d, constant, true);
  }

  private attribute(msg: RawField, owner: string, depth: number, constant: boolean, inNode: boolean): void {
    const d = this.depth(depth);
    let name = '';
    const seen = new Set<number>();
    const tensors: RawField[] = [];
    const sparse: RawField[] = [];
    const graphs: RawField[] = [];
    for (const f of fields(this.bytes, msg.start, msg.end)) {
      if (f.n === 1) name = text(this.bytes, f, 'an attribute name');
      else if (f.n === 5 || f.n === 10) {
        expectLen(f, 'AttributeProto tensor');
        if (f.n === 5) this.once(seen, f, 'AttributeProto.t');
        tensors.push(f);
      } else if (f.n === 22 || f.n === 23) {
        expectLen(f, 'AttributeProto sparse tensor');
        if (f.n === 22) this.once(seen, f, 'AttributeProto.sparse_tensor');
        sparse.push(f);
      } else if (f.n === 6 || f.n === 11) {
        expectLen(f, 'AttributeProto graph');
        if (f.n === 6) this.once(seen, f, 'AttributeProto.g');
        graphs.push(f);
      }
    }
    const where = inNode ? `attribute ${shown(name)} of ${owner}` : `${shown(name)} (${owner})`;
    for (const f of tensors)
      this.tensor(f, () => `tensor in ${where}`, d, constant && name === 'value' && f.n === 5);
    for (const f of sparse) this.sparse(f, `sparse tensor in ${where}`, d);
    for (const f of graphs) this.graph(f, `subgraph in ${where}, graph`, d, false);
  }

  private sparse(msg: RawField, where: string, depth: number): void {
    const d = this.depth(depth);
    const seen = new Set<number>();
    for (const f of fields(this.bytes, msg.start, msg.end)) {
      if (f.n === 1 || f.n === 2) {
        expectLen(f, 'SparseTensorProto values/indices');
        this.once(seen, f, 'SparseTensorProto values/indices');
        this.tensor(f, (t) => `${f.n === 1 ? 'values' : 'indices'} ${shown(t)} of ${where}`, d, false);
      }
    }
  }

  private tensor(msg: RawField, where: (name: string) => string, depth: number, inMemory: boolean): void {
    this.depth(depth);
    let name = '';
    let dataType = 0;
    let dataLocation = 0;
    const dims: bigint[] = [];
    const entries: (readonly [string, string])[] = [];
    for (const f of fields(this.bytes, msg.start, msg.end)) {
      if (f.n === 8) name = text(this.bytes, f, 'a tensor name');
      else if (f.n === 2) {
        if (f.wire !== WIRE_VARINT) throw invalid('TensorProto.data_type is not a varint');
        dataType = Number(BigInt.asIntN(32, f.value));
      } else if (f.n === 14) {
        if (f.wire !== WIRE_VARINT) throw invalid('TensorProto.data_location is not a varint');
        dataLocation = Number(BigInt.asIntN(32, f.value));
      } else if (f.n === 1) {
        if (f.wire === WIRE_VARINT) dims.push(BigInt.asIntN(64, f.value));
        else if (f.wire === WIRE_LEN)
          for (const p of packedVarints(this.bytes, f.start, f.end)) dims.push(BigInt.asIntN(64, p));
        else throw invalid('TensorProto.dims has a wrong wire type');
      } else if (f.n === 13) {
        expectLen(f, 'TensorProto.external_data');
        let key = '';
        let value = '';
        for (const e of fields(this.bytes, f.start, f.end)) {
          if (e.n === 1) key = text(this.bytes, e, 'an external_data key');
          else if (e.n === 2) value = text(this.bytes, e, 'an external_data value');
        }
        entries.push([key, value]);
      }
    }
    if (entries.length === 0 && dataLocation === 0) return;
    this.found.push({
      where: where(name),
      inMemory,
      entries,
      dataLocation,
      byteSize: byteSize(dataType, dims),
    });
  }
}

function* packedVarints(bytes: Uint8Array, start: number, end: number): Generator<bigint> {
  let pos = start;
  while (pos < end) {
    let result = 0n;
    let done = false;
    for (let shift = 0n; shift < 70n && pos < end; shift += 7n) {
      const b = bytes[pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) {
        done = true;
        break;
      }
    }
    if (!done) throw invalid('a packed varint runs past its field');
    yield BigInt.asUintN(64, result);
  }
}

function byteSize(dataType: number, dims: readonly bigint[]): bigint | null {
  const bits = ELEMENT_BITS[dataType];
  if (bits === undefined || dims.some((d) => d < 0n)) return null;
  const count = dims.reduce((a, b) => a * b, 1n);
  return (count * BigInt(bits) + 7n) / 8n;
}

/**
 * Every tensor of the model that names external data (or is marked EXTERNAL), in model order.
 * Throws MODEL_INVALID for bytes that are not a well-formed protobuf within the bounds above.
 */
export function externalTensors(model: Uint8Array): ExternalTensor[] {
  const walker = new Walker(model);
  walker.model();
  return walker.found;
}
