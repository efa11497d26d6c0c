/**
 * Airlock's own reading of ONNX external data references: which tensors name a second file, where
 * they sit, and which references are refused (MODEL_EXTERNAL_DATA) before onnxruntime sees them.
 * Pure: protobuf bytes in, a verdict out. Models come from onnx's own writer (the committed
 * fixture) and from test/fixtures/onnx-proto.ts for the hostile shapes onnx would not write.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  addExternal,
  attr,
  encode,
  FLOAT,
  fn,
  graph,
  int64Tensor,
  model,
  node,
  sparseTensor,
  tensor,
  valueInfo,
  type ExternalRef,
  type Field,
} from '../../test/fixtures/onnx-proto.js';
import type { BundleFile } from '../contract/bundle.js';
import { externalDataFiles } from './model-bytes.js';
import { externalTensors, MAX_NESTING } from './onnx-external.js';

const FIXTURES = new URL('../../test/fixtures/models/', import.meta.url).pathname;
const file = (path: string, size: number): BundleFile => ({ path, size, sha256: '0'.repeat(64) });
const files = [file('model.onnx', 100), file('weights.bin', 12), file('sub/other.bin', 12)];
const io = { inputs: [valueInfo('x', FLOAT, [1, 3])], outputs: [valueInfo('y', FLOAT, [1, 3])] };
const ext = (ref: ExternalRef) => ({ external: ref });
const ok: ExternalRef = { location: 'weights.bin', offset: 0, length: 12 };

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

/** The refusal and its message for a model's references against `files`. */
function refusal(
  bytes: Uint8Array,
  graphPath = 'model.onnx',
  list = files,
): { code?: string; message: string } {
  try {
    externalDataFiles(graphPath, bytes, list);
  } catch (error) {
    return error as { code?: string; message: string };
  }
  return { message: 'accepted' };
}

describe("onnx's own external data layout (make-models.py)", () => {
  const bytes = readFileSync(`${FIXTURES}external-weights.onnx`);
  const data = readFileSync(`${FIXTURES}external-weights.bin`);

  it('finds the initializers and the Constant value, all served from memory', () => {
    const found = externalTensors(bytes);
    expect(found.map((t) => [t.where, t.inMemory, t.byteSize])).toEqual([
      ['initializer "W" of the main graph', true, 48n],
      ['initializer "b" of the main graph', true, 12n],
      ['tensor in attribute "value" of node #2 ("Constant") of the main graph', true, 12n],
    ]);
    expect(found[1]!.entries).toEqual([
      ['location', 'external-weights.bin'],
      ['offset', '48'],
      ['length', '12'],
    ]);
  });

  it('resolves every reference to the payload file beside the graph', () => {
    const list = [
      file('model.onnx', bytes.length),
      {
        path: 'external-weights.bin',
        size: data.length,
        sha256: createHash('sha256').update(data).digest('hex'),
      },
    ];
    const resolved = externalDataFiles('model.onnx', bytes, list);
    expect([...resolved].map(([location, f]) => [location, f.path])).toEqual([
      ['external-weights.bin', 'external-weights.bin'],
    ]);
  });

  it('a graph without external data names no file', () => {
    expect(externalTensors(readFileSync(`${FIXTURES}classifier.onnx`))).toEqual([]);
    expect(externalDataFiles('model.onnx', readFileSync(`${FIXTURES}classifier.onnx`), files).size).toBe(0);
  });
});

describe('locations are resolved inside the bundle, relative to the graph', () => {
  it('a graph in a folder names the files of that folder', () => {
    const bytes = addExternal({ location: 'other.bin', offset: 0, length: 12 });
    expect([...externalDataFiles('sub/model.onnx', bytes, files).values()].map((f) => f.path)).toEqual([
      'sub/other.bin',
    ]);
    // The same name from the top-level graph is not that file.
    expect(refusal(bytes).code).toBe('MODEL_EXTERNAL_DATA');
  });

  const refused: [string, ExternalRef, RegExp][] = [
    ['an absolute path', { location: '/etc/passwd', offset: 0, length: 12 }, /absolute path/],
    ['a drive letter', { location: 'C:/weights.bin', offset: 0, length: 12 }, /absolute path/],
    ['".."', { location: '../weights.bin', offset: 0, length: 12 }, /climbs out/],
    ['".." that comes back', { location: 'sub/../weights.bin', offset: 0, length: 12 }, /climbs out/],
    ['"./"', { location: './weights.bin', offset: 0, length: 12 }, /"\." path segment/],
    ['an empty segment', { location: 'sub//other.bin', offset: 0, length: 12 }, /empty or "\."/],
    ['an empty location', { location: '', offset: 0, length: 12 }, /location is empty/],
    ['a backslash', { location: 'sub\\other.bin', offset: 0, length: 12 }, /backslash/],
    ['a control character', { location: 'weights\u0085.bin', offset: 0, length: 12 }, /control/],
    ['a file not in the bundle', { location: 'secrets.bin', offset: 0, length: 12 }, /not a payload file/],
    ['the envelope', { location: 'envelope.json', offset: 0, length: 12 }, /not a payload file/],
    [
      "onnxruntime's memory-address marker",
      { location: '*/_ORT_MEM_ADDR_/*', offset: 4096, length: 12 },
      /memory marker/,
    ],
    ['no location', { offset: 0, length: 12 }, /has no location/],
    ['a second location', { ...ok, extra: [['location', '/etc/passwd']] }, /key "location" appears twice/],
    ['an unknown key', { ...ok, extra: [['basepath', '/']] }, /unknown external_data key "basepath"/],
    [
      'an offset that is not a number',
      { location: 'weights.bin', offset: '-4', length: 12 },
      /not a whole number/,
    ],
    ['a range past the end', { location: 'weights.bin', offset: 4, length: 12 }, /past the end/],
    ['a length that does not match', { location: 'weights.bin', offset: 0, length: 8 }, /does not match/],
  ];
  for (const [what, ref, message] of refused) {
    it(`${what} → MODEL_EXTERNAL_DATA`, () => {
      const r = refusal(addExternal(ref));
      expect(r.code).toBe('MODEL_EXTERNAL_DATA');
      expect(r.message).toMatch(message);
      expect(r.message).toContain('initializer "W" of the main graph');
    });
  }

  it('a tensor marked EXTERNAL without entries, or with entries but not marked → MODEL_EXTERNAL_DATA', () => {
    const bare = model(
      graph({
        name: 'g',
        nodes: [node('Add', ['x', 'W'], ['y'])],
        initializers: [
          [
            { n: 1, varint: 1 },
            { n: 1, varint: 3 },
            { n: 2, varint: FLOAT },
            { n: 8, bytes: 'W' },
            { n: 14, varint: 1 },
          ],
        ],
        ...io,
      }),
    );
    expect(refusal(bare).message).toMatch(/names no file/);
    const unmarked = model(
      graph({
        name: 'g',
        nodes: [node('Add', ['x', 'W'], ['y'])],
        initializers: [tensor('W', [1, 3], { external: ok, location: 0 })],
        ...io,
      }),
    );
    expect(refusal(unmarked).message).toMatch(/not marked EXTERNAL/);
  });
});

describe('every place a tensor can sit is checked', () => {
  const ifModel = (thenInit: Field[][], thenNodes: Field[][] = [node('Identity', ['Wt'], ['Wo'])]) =>
    model(
      graph({
        name: 'main',
        nodes: [
          node(
            'If',
            ['cond'],
            ['W'],
            [
              attr.graph(
                'then_branch',
                graph({
                  name: 'then',
                  nodes: thenNodes,
                  initializers: thenInit,
                  outputs: [valueInfo('Wo', FLOAT, [1, 3])],
                }),
              ),
              attr.graph(
                'else_branch',
                graph({
                  name: 'else',
                  nodes: [node('Identity', ['We'], ['Wo'])],
                  initializers: [tensor('We', [1, 3], { floats: [0, 0, 0] })],
                  outputs: [valueInfo('Wo', FLOAT, [1, 3])],
                }),
              ),
            ],
          ),
          node('Add', ['x', 'W'], ['y']),
        ],
        ...io,
      }),
    );
  const constant = (ref: ExternalRef) =>
    node('Constant', [], ['W'], [attr.tensor('value', tensor('c', [1, 3], ext(ref)))]);

  it('a subgraph initializer: a bad location is refused as such, a good one because onnxruntime would read it from disk', () => {
    const bad = refusal(
      ifModel([tensor('Wt', [1, 3], ext({ location: '../../etc/passwd', offset: 0, length: 12 }))]),
    );
    expect(bad.code).toBe('MODEL_EXTERNAL_DATA');
    expect(bad.message).toMatch(
      /initializer "Wt" of subgraph in attribute "then_branch" of node #0 \("If"\) of the main graph, graph "then".*climbs out/,
    );
    const good = refusal(ifModel([tensor('Wt', [1, 3], ext(ok))]));
    expect(good.code).toBe('MODEL_EXTERNAL_DATA');
    expect(good.message).toMatch(/reads external data from disk by itself/);
  });

  it('a Constant node: its value in the main graph is served from memory, inside a subgraph it is refused', () => {
    const main = model(graph({ name: 'main', nodes: [constant(ok), node('Add', ['x', 'W'], ['y'])], ...io }));
    expect(externalDataFiles('model.onnx', main, files).size).toBe(1);
    const absolute = model(
      graph({
        name: 'main',
        nodes: [constant({ location: '/etc/shadow', offset: 0, length: 12 }), node('Add', ['x', 'W'], ['y'])],
        ...io,
      }),
    );
    expect(refusal(absolute).message).toMatch(
      /tensor in attribute "value" of node #0 \("Constant"\).*absolute path/,
    );
    const nested = refusal(ifModel([], [constant(ok)]));
    expect(nested.message).toMatch(/node #0 \("Constant"\) of subgraph.*reads external data from disk/);
  });

  it('other tensor attributes, tensor lists and sparse tensors', () => {
    const ofShape = model(
      graph({
        name: 'main',
        nodes: [
          node(
            'ConstantOfShape',
            ['s'],
            ['W'],
            [attr.tensor('value', tensor('v', [1], ext({ location: 'weights.bin', offset: 0, length: 4 })))],
          ),
        ],
        initializers: [int64Tensor('s', [2], [1, 3])],
        ...io,
      }),
    );
    expect(refusal(ofShape).message).toMatch(/node #0 \("ConstantOfShape"\).*from disk/);
    const list = model(
      graph({
        name: 'main',
        nodes: [node('Foo', [], ['W'], [attr.tensors('ts', [tensor('t', [1, 3], ext({ location: '/x' }))])])],
        ...io,
      }),
    );
    expect(refusal(list).message).toMatch(/attribute "ts".*absolute/);
    const sparse = model(
      graph({
        name: 'main',
        nodes: [node('Add', ['x', 'W'], ['y'])],
        sparseInitializers: [
          sparseTensor(tensor('W', [3], ext(ok)), int64Tensor('i', [3], [0, 1, 2]), [1, 3]),
        ],
        ...io,
      }),
    );
    expect(refusal(sparse).message).toMatch(/values "W" of sparse initializer of the main graph.*from disk/);
    const sparseAttr = model(
      graph({
        name: 'main',
        nodes: [
          node(
            'Constant',
            [],
            ['W'],
            [
              attr.sparse(
                'sparse_value',
                sparseTensor(
                  tensor('v', [3], ext({ location: '../v' })),
                  int64Tensor('i', [3], [0, 1, 2]),
                  [1, 3],
                ),
              ),
            ],
          ),
        ],
        ...io,
      }),
    );
    expect(refusal(sparseAttr).message).toMatch(/sparse tensor in attribute "sparse_value".*climbs out/);
  });

  it('model-local functions: their nodes and their default attributes', () => {
    const withFn = (f: Field[]) =>
      model(graph({ name: 'main', nodes: [node('AddW', ['x'], ['y'], [], 'local')], ...io }), {
        domains: ['local'],
        functions: [f],
      });
    const inNode = refusal(
      withFn(
        fn({
          domain: 'local',
          name: 'AddW',
          inputs: ['a'],
          outputs: ['b'],
          nodes: [constant({ location: '/etc/passwd' }), node('Add', ['a', 'W'], ['b'])],
        }),
      ),
    );
    expect(inNode.message).toMatch(/of function "local.AddW".*absolute/);
    const inDefault = refusal(
      withFn(
        fn({
          domain: 'local',
          name: 'AddW',
          inputs: ['a'],
          outputs: ['b'],
          nodes: [node('Identity', ['a'], ['b'])],
          attributeProtos: [attr.tensor('w', tensor('d', [1, 3], ext(ok)))],
        }),
      ),
    );
    expect(inDefault.message).toMatch(/"w" \(default attribute of function "local.AddW"\).*from disk/);
  });

  it('training-info graphs', () => {
    const bytes = encode([
      { n: 7, fields: graph({ name: 'main', nodes: [node('Identity', ['x'], ['y'])], ...io }) },
      {
        n: 8,
        fields: [
          { n: 1, bytes: '' },
          { n: 2, varint: 17 },
        ],
      },
      {
        n: 20,
        fields: [
          {
            n: 1,
            fields: graph({
              name: 'init',
              initializers: [tensor('t', [1, 3], ext({ location: '/etc/passwd' }))],
            }),
          },
        ],
      },
    ]);
    expect(refusal(bytes).message).toMatch(
      /initializer "t" of training graph initialization "init".*absolute/,
    );
  });

  it('subgraphs to any depth', () => {
    let body = graph({ name: 'leaf', initializers: [tensor('deep', [1, 3], ext({ location: '../deep' }))] });
    for (let i = 0; i < 20; i++)
      body = graph({ name: `g${i}`, nodes: [node('If', ['c'], ['o'], [attr.graph('then_branch', body)])] });
    expect(refusal(model(body)).message).toMatch(/initializer "deep" of subgraph.*graph "leaf".*climbs out/);
  });
});

describe('the protobuf itself is read strictly and within bounds', () => {
  it('a second ModelProto.graph (which protobuf would merge) → MODEL_INVALID', () => {
    const g = graph({ name: 'main', nodes: [node('Identity', ['x'], ['y'])], ...io });
    expect(
      code(() =>
        externalTensors(
          encode([
            { n: 7, fields: g },
            { n: 7, fields: g },
          ]),
        ),
      ),
    ).toBe('MODEL_INVALID');
  });

  it('a second tensor in one attribute → MODEL_INVALID', () => {
    const a: Field[] = [
      { n: 1, bytes: 'value' },
      { n: 5, fields: tensor('a', [1], { floats: [1] }) },
      { n: 5, fields: tensor('b', [1], ext(ok)) },
    ];
    expect(
      code(() => externalTensors(model(graph({ name: 'g', nodes: [node('Constant', [], ['y'], [a])] })))),
    ).toBe('MODEL_INVALID');
  });

  it('nesting deeper than protobuf allows → MODEL_INVALID, without exhausting the stack', () => {
    let body = graph({ name: 'leaf' });
    for (let i = 0; i < MAX_NESTING; i++)
      body = graph({ name: 'g', nodes: [node('If', [], [], [attr.graph('b', body)])] });
    expect(code(() => externalTensors(model(body)))).toBe('MODEL_INVALID');
  });

  it('truncated messages, runaway varints, groups and wrong wire types → MODEL_INVALID', () => {
    const good = addExternal(ok);
    expect(code(() => externalTensors(good.subarray(0, good.length - 5)))).toBe('MODEL_INVALID');
    expect(
      code(() =>
        externalTensors(
          Buffer.from([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
        ),
      ),
    ).toBe('MODEL_INVALID');
    expect(code(() => externalTensors(Buffer.from([0x3b, 0x3c])))).toBe('MODEL_INVALID'); // group 7
    expect(code(() => externalTensors(encode([{ n: 7, varint: 1 }])))).toBe('MODEL_INVALID');
    expect(code(() => externalTensors(Buffer.from('this is not a protobuf model at all')))).toBe(
      'MODEL_INVALID',
    );
  });

  it('names that are not UTF-8 → MODEL_EXTERNAL_DATA', () => {
    const bytes = model(
      graph({
        name: 'g',
        initializers: [
          [
            { n: 1, varint: 3 },
            { n: 2, varint: FLOAT },
            {
              n: 13,
              fields: [
                { n: 1, bytes: 'location' },
                { n: 2, bytes: Buffer.from([0xc3, 0x28]) },
              ],
            },
            { n: 14, varint: 1 },
          ],
        ],
      }),
    );
    expect(code(() => externalTensors(bytes))).toBe('MODEL_EXTERNAL_DATA');
  });

  it('packed and unpacked dims give the same size; element sizes follow the type', () => {
    const packed: Field[] = [
      { n: 1, bytes: Buffer.from([2, 3]) },
      { n: 2, varint: 7 },
      { n: 8, bytes: 'p' },
      {
        n: 13,
        fields: [
          { n: 1, bytes: 'location' },
          { n: 2, bytes: 'w' },
        ],
      },
      { n: 14, varint: 1 },
    ];
    const int4: Field[] = [
      { n: 1, varint: 5 },
      { n: 2, varint: 22 },
      { n: 8, bytes: 'q' },
      {
        n: 13,
        fields: [
          { n: 1, bytes: 'location' },
          { n: 2, bytes: 'w' },
        ],
      },
      { n: 14, varint: 1 },
    ];
    const str: Field[] = [
      { n: 1, varint: 5 },
      { n: 2, varint: 8 },
      { n: 8, bytes: 's' },
      {
        n: 13,
        fields: [
          { n: 1, bytes: 'location' },
          { n: 2, bytes: 'w' },
        ],
      },
      { n: 14, varint: 1 },
    ];
    const found = externalTensors(model(graph({ name: 'g', initializers: [packed, int4, str] })));
    expect(found.map((t) => t.byteSize)).toEqual([48n, 3n, null]);
  });
});
