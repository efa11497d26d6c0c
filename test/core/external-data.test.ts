/**
 * ONNX models whose weights live in a second file (external data): what is verified is what runs.
 * Real bundles (runtime/bundle/writer.ts, then re-signed hostile variants), real SQLite, real
 * onnxruntime sessions. A good model verifies, installs and runs with the right output, batched
 * and not; every reference that points anywhere but a payload file of its own bundle is refused
 * at verify and import with its exact code and nothing changed; a file changed after install is
 * MODEL_TAMPERED at run.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call } from '../../runtime/api/handlers.js';
import { createBundle, signBundle } from '../../runtime/bundle/writer.js';
import type { ErrorCode } from '../../runtime/contract/errors.js';
import type { InstalledModel } from '../../runtime/contract/models.js';
import { NO_EXTERNAL_DATA_FOLDER, openSession, sessionArgs } from '../../runtime/inference/model-bytes.js';
import { stageModel } from '../../runtime/pipeline/ocr.js';
import {
  addExternal,
  attr,
  FLOAT,
  floats,
  graph,
  model as onnxModel,
  node,
  tensor,
  valueInfo,
  type ExternalRef,
} from '../fixtures/onnx-proto.js';
import {
  auditRows,
  ctx,
  envelopeOf,
  environment,
  model,
  readTar,
  resign,
  sha256,
  snapshot,
  statementOf,
  withEnvelope,
  writeTar,
  type Env,
  type TarEntry,
} from './helpers.js';

let env: Env;
beforeEach(async () => {
  env = await environment();
});
afterEach(async () => env.close());

const X = { x: { type: 'float32' as const, dims: [1, 4], data: [1, 1, 1, 1] } };
/** x @ W + b + c for x = [1, 1, 1, 1], with the fixture's W, b and c (make-models.py). */
const EXPECTED = [22 + 0.5 + 100, 26 + 0.25 + 200, 30 + 0.125 + 300];

/** The fixture onnx wrote, bundled with its external data file under the name the graph uses. */
async function externalBundle(version = '1.0.0'): Promise<string> {
  const out = join(env.root, `external-${version}.airlock`);
  await createBundle({
    model: model('external-weights.onnx'),
    name: 'external',
    version,
    out,
    extraFiles: { 'external-weights.bin': model('external-weights.bin') },
    publisher: 'ACME Models',
  });
  await signBundle(out, env.pub.privateKeyPem);
  return out;
}

/**
 * A legitimately signed bundle around any graph: the good bundle's card and entries with
 * model.onnx replaced (and payload files added or dropped), the statement listing what
 * `listed` says, re-signed by the trusted publisher. What the writer itself would refuse to make.
 */
async function crafted(
  name: string,
  graphBytes: Buffer,
  options: {
    files?: Record<string, Buffer>;
    listed?: (entry: string) => boolean;
    card?: Record<string, unknown>;
  } = {},
): Promise<string> {
  const entries = await readTar(await externalBundle());
  const envelope = envelopeOf(entries);
  const statement = statementOf(envelope);
  const payload: TarEntry[] = [
    ...entries.filter((e) => e.name !== 'envelope.json' && e.name !== 'model.onnx'),
    { name: 'model.onnx', data: graphBytes },
    ...Object.entries(options.files ?? {}).map(([n, data]) => ({ name: n, data })),
  ];
  const listed = options.listed ?? (() => true);
  statement.subject = payload
    .filter((e) => listed(e.name))
    .map((e) => ({
      name: e.name,
      digest: { sha256: sha256(e.data!) },
      annotations: { size: e.data!.length },
    }));
  Object.assign(statement.predicate, {
    inputs: [{ name: 'x', type: 'float32', shape: [1, 3] }],
    outputs: [{ name: 'y', type: 'float32', shape: [1, 3] }],
    ...options.card,
  });
  const signed = withEnvelope(
    [entries.find((e) => e.name === 'envelope.json')!],
    resign(envelope, statement, env.pub),
  );
  const file = join(env.root, `${name}.airlock`);
  await writeTar(file, [...signed, ...payload]);
  return file;
}

/** Imports `file`: refused with `code`, nothing changed, one audit row; verify-only agrees. */
async function expectRefused(file: string, code: ErrorCode, message?: RegExp): Promise<void> {
  const before = snapshot(env);
  const auditBefore = auditRows(env).length;
  const report = await env.handlers['models:import']({ path: file }, ctx);
  expect(report.items[0]!.outcome).toBe('rejected');
  expect(report.items[0]!.error?.code).toBe(code);
  if (message) expect(report.items[0]!.error?.message).toMatch(message);
  expect(report.installed).toBe(0);
  expect(snapshot(env)).toEqual(before);
  const audit = auditRows(env);
  expect(audit).toHaveLength(auditBefore + 1);
  expect(audit.at(-1)).toMatchObject({ action: 'bundle.reject', outcome: 'refused' });
  expect(JSON.parse(audit.at(-1)!.details).error.code).toBe(code);
  const verdict = await env.handlers['bundle:verify']({ path: file }, ctx);
  expect(verdict.ok).toBe(false);
  expect(verdict.error?.code).toBe(code);
  expect(snapshot(env)).toEqual(before);
}

async function installed(): Promise<InstalledModel> {
  const report = await env.handlers['models:import']({ path: await externalBundle() }, ctx);
  expect(report.items[0]!.error).toBeNull();
  expect(report.installed).toBe(1);
  return call(env.handlers, 'models:get', { ref: 'external' }, ctx);
}

const run = (batched: boolean) =>
  call(env.handlers, 'inference:run', { model: 'external', inputs: X, batched }, ctx);

describe('a model with external data (written by onnx itself)', () => {
  it('verifies, imports and runs with the right output, on the session cache and in a worker', async () => {
    const verdict = await env.handlers['bundle:verify']({ path: await externalBundle() }, ctx);
    expect(verdict).toMatchObject({ ok: true, error: null });
    expect(verdict.files.map((f) => f.path).sort()).toEqual(['external-weights.bin', 'model.onnx']);
    const m = await installed();
    expect(m.files.find((f) => f.path === 'external-weights.bin')?.sha256).toBe(
      sha256(readFileSync(model('external-weights.bin'))),
    );
    for (const batched of [false, true]) {
      const result = await run(batched);
      expect(Array.from(result.outputs['y']!.data as Float32Array)).toEqual(EXPECTED);
    }
  });

  it('the writer refuses to make a bundle whose graph names a file it was not given', async () => {
    await expect(
      createBundle({
        model: model('external-weights.onnx'),
        name: 'external',
        version: '1.0.0',
        out: join(env.root, 'missing-data.airlock'),
      }),
    ).rejects.toMatchObject({ code: 'MODEL_EXTERNAL_DATA', message: expect.stringMatching(/--file/) });
  });

  it('an external data file changed after install → MODEL_TAMPERED at run, batched or not', async () => {
    const m = await installed();
    const data = m.files.find((f) => f.path === 'external-weights.bin')!;
    appendFileSync(env.airlock.store.blobPath(data.sha256), Buffer.from([0]));
    for (const batched of [false, true])
      await expect(run(batched)).rejects.toMatchObject({
        code: 'MODEL_TAMPERED',
        message: expect.stringContaining('external-weights.bin'),
      });
  });

  it('an external data blob replaced by a link (even to an identical copy) → MODEL_TAMPERED', async () => {
    const m = await installed();
    const blob = env.airlock.store.blobPath(m.files.find((f) => f.path === 'external-weights.bin')!.sha256);
    const copy = join(env.root, 'copy.bin');
    copyFileSync(blob, copy);
    rmSync(blob);
    symlinkSync(copy, blob);
    await expect(run(false)).rejects.toMatchObject({ code: 'MODEL_TAMPERED' });
  });

  it('a removed model takes its external data file with it; re-import brings it back', async () => {
    const m = await installed();
    const data = m.files.find((f) => f.path === 'external-weights.bin')!;
    await run(false);
    const removed = await call(env.handlers, 'models:remove', { ref: 'external@1.0.0' }, ctx);
    expect(removed.blobsRemoved).toBe(2);
    expect(Object.keys(snapshot(env).files).some((f) => f.includes(data.sha256))).toBe(false);
  });
});

describe('external data that points anywhere else is refused at verify and import', () => {
  const ref = (location: string): ExternalRef => ({ location, offset: 0, length: 12 });
  const data = floats([10, 20, 30]);

  it('an absolute location → MODEL_EXTERNAL_DATA', async () => {
    await expectRefused(
      await crafted('absolute', addExternal(ref('/etc/passwd'))),
      'MODEL_EXTERNAL_DATA',
      /absolute path/,
    );
  });

  it('a location with ".." → MODEL_EXTERNAL_DATA', async () => {
    await expectRefused(
      await crafted('dotdot', addExternal(ref('../../airlock.db')), { files: { 'w.bin': data } }),
      'MODEL_EXTERNAL_DATA',
      /climbs out/,
    );
  });

  it('a file that is not in the bundle → MODEL_EXTERNAL_DATA', async () => {
    await expectRefused(
      await crafted('absent', addExternal(ref('w.bin'))),
      'MODEL_EXTERNAL_DATA',
      /not a payload file/,
    );
  });

  it('the envelope, which is no payload file → MODEL_EXTERNAL_DATA', async () => {
    await expectRefused(
      await crafted('envelope', addExternal(ref('envelope.json'))),
      'MODEL_EXTERNAL_DATA',
      /not a payload file/,
    );
  });

  it('a file carried in the tar but not listed in the signed statement → FILE_EXTRA', async () => {
    await expectRefused(
      await crafted('unlisted', addExternal(ref('w.bin')), {
        files: { 'w.bin': data },
        listed: (e) => e !== 'w.bin',
      }),
      'FILE_EXTRA',
    );
  });

  it('a range past the end of the payload file → MODEL_EXTERNAL_DATA', async () => {
    await expectRefused(
      await crafted('past-end', addExternal({ location: 'w.bin', offset: 8, length: 12 }), {
        files: { 'w.bin': data },
      }),
      'MODEL_EXTERNAL_DATA',
      /past the end/,
    );
  });

  it('inside a subgraph (an If branch) → MODEL_EXTERNAL_DATA, for a bad location and for a payload file alike', async () => {
    const ifModel = (location: string) =>
      onnxModel(
        graph({
          name: 'main',
          nodes: [
            node(
              'Constant',
              [],
              ['cond'],
              [
                attr.tensor('value', [
                  { n: 2, varint: 9 },
                  { n: 8, bytes: 'cv' },
                  { n: 9, bytes: Buffer.from([1]) },
                ]),
              ],
            ),
            node(
              'If',
              ['cond'],
              ['W'],
              [
                attr.graph(
                  'then_branch',
                  graph({
                    name: 'then',
                    nodes: [node('Identity', ['Wt'], ['Wo'])],
                    initializers: [tensor('Wt', [1, 3], { external: ref(location) })],
                    outputs: [valueInfo('Wo', FLOAT, [1, 3])],
                  }),
                ),
                attr.graph(
                  'else_branch',
                  graph({
                    name: 'else',
                    nodes: [node('Identity', ['We'], ['Wo2'])],
                    initializers: [tensor('We', [1, 3], { floats: [0, 0, 0] })],
                    outputs: [valueInfo('Wo2', FLOAT, [1, 3])],
                  }),
                ),
              ],
            ),
            node('Add', ['x', 'W'], ['y']),
          ],
          inputs: [valueInfo('x', FLOAT, [1, 3])],
          outputs: [valueInfo('y', FLOAT, [1, 3])],
        }),
      );
    await expectRefused(
      await crafted('if-dotdot', ifModel('../w.bin'), { files: { 'w.bin': data } }),
      'MODEL_EXTERNAL_DATA',
      /graph "then".*climbs out/,
    );
    // onnxruntime-node reads a subgraph's external data from disk itself, bypassing the verified
    // bytes it is handed: refused even when the location names a payload file.
    await expectRefused(
      await crafted('if-payload', ifModel('w.bin'), { files: { 'w.bin': data } }),
      'MODEL_EXTERNAL_DATA',
      /from disk by itself/,
    );
  });

  it("inside a Constant node's tensor attribute → MODEL_EXTERNAL_DATA", async () => {
    const constant = onnxModel(
      graph({
        name: 'main',
        nodes: [
          node(
            'Constant',
            [],
            ['W'],
            [attr.tensor('value', tensor('c', [1, 3], { external: ref('/proc/self/environ') }))],
          ),
          node('Add', ['x', 'W'], ['y']),
        ],
        inputs: [valueInfo('x', FLOAT, [1, 3])],
        outputs: [valueInfo('y', FLOAT, [1, 3])],
      }),
    );
    await expectRefused(
      await crafted('constant-absolute', constant),
      'MODEL_EXTERNAL_DATA',
      /attribute "value" of node #0 \("Constant"\).*absolute/,
    );
  });

  it('in a pipeline stage graph (verified at import like the main graph) → MODEL_EXTERNAL_DATA', async () => {
    const stage = addExternal(ref('../etc/shadow'));
    await expectRefused(
      await crafted('stage', addExternal(ref('external-weights.bin')), {
        files: { 'rec/model.onnx': stage },
        card: {
          pipeline: { kind: 'ocr', detect: { model: 'model.onnx' }, recognize: { model: 'rec/model.onnx' } },
        },
      }),
      'MODEL_EXTERNAL_DATA',
      /climbs out/,
    );
  });
});

describe('a pipeline stage in a folder reads the external data of its own folder', () => {
  it('imports and runs the stage with its weights', async () => {
    const stage = addExternal({ location: 'weights.bin', offset: 0, length: 12 });
    const file = await crafted(
      'stage-good',
      addExternal({ location: 'external-weights.bin', offset: 0, length: 12 }),
      {
        files: { 'rec/model.onnx': stage, 'rec/weights.bin': floats([10, 20, 30]) },
        card: {
          pipeline: { kind: 'ocr', detect: { model: 'model.onnx' }, recognize: { model: 'rec/model.onnx' } },
        },
      },
    );
    const report = await env.handlers['models:import']({ path: file }, ctx);
    expect(report.items[0]!.error).toBeNull();
    const m = await call(env.handlers, 'models:get', { ref: 'external' }, ctx);
    const rec = await stageModel(env.airlock.inference, m, m.card.pipeline!.recognize);
    const out = await env.airlock.inference.run(rec, {
      x: { type: 'float32', dims: [1, 3], data: [1, 2, 3] },
    });
    expect(Array.from(out.outputs['y']!.data as Float32Array)).toEqual([11, 22, 33]);
    const main = await env.airlock.inference.run(m, {
      x: { type: 'float32', dims: [1, 3], data: [0, 0, 0] },
    });
    // The top graph's W is the first 12 bytes of external-weights.bin: 1, 2, 3.
    expect(Array.from(main.outputs['y']!.data as Float32Array)).toEqual([1, 2, 3]);
  });
});

describe('what onnxruntime reads is only the bytes it is handed', () => {
  it('a reference it was not handed fails to load instead of reading the working directory', async () => {
    // A graph whose If branch names w.bin, run in a process whose working directory holds a
    // w.bin: onnxruntime-node, given Airlock's session arguments, must not read it.
    const dir = join(env.root, 'cwd');
    await mkdir(dir);
    writeFileSync(join(dir, 'w.bin'), floats([1000, 2000, 3000]));
    const bytes = onnxModel(
      graph({
        name: 'main',
        nodes: [
          node(
            'Constant',
            [],
            ['cond'],
            [
              attr.tensor('value', [
                { n: 2, varint: 9 },
                { n: 8, bytes: 'cv' },
                { n: 9, bytes: Buffer.from([1]) },
              ]),
            ],
          ),
          node(
            'If',
            ['cond'],
            ['y'],
            [
              attr.graph(
                'then_branch',
                graph({
                  name: 'then',
                  nodes: [node('Identity', ['Wt'], ['Wo'])],
                  initializers: [
                    tensor('Wt', [1, 3], { external: { location: 'w.bin', offset: 0, length: 12 } }),
                  ],
                  outputs: [valueInfo('Wo', FLOAT, [1, 3])],
                }),
              ),
              attr.graph(
                'else_branch',
                graph({
                  name: 'else',
                  nodes: [node('Identity', ['We'], ['Wo2'])],
                  initializers: [tensor('We', [1, 3], { floats: [0, 0, 0] })],
                  outputs: [valueInfo('Wo2', FLOAT, [1, 3])],
                }),
              ),
            ],
          ),
        ],
        outputs: [valueInfo('y', FLOAT, [1, 3])],
      }),
    );
    await writeFile(join(dir, 'm.onnx'), bytes);
    const [, options] = sessionArgs({ path: 'm.onnx', model: bytes, externalData: [] }, {});
    const script = `
      const ort = require(${JSON.stringify(new URL('../../node_modules/onnxruntime-node', import.meta.url).pathname)});
      const options = ${JSON.stringify(options)};
      ort.InferenceSession.create(require('fs').readFileSync('m.onnx'), options)
        .then(async (s) => { const r = await s.run({}); console.log('READ', Array.from(r.y.data).join(',')); })
        .catch((e) => console.log('REFUSED', e.message.split('\\n')[0]));`;
    const r = spawnSync(process.execPath, ['-e', script], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    expect(r.stdout).toMatch(/^REFUSED/);
    expect(r.stdout).toContain(NO_EXTERNAL_DATA_FOLDER);
    // Without Airlock's folder setting, the same graph does read the working directory: the
    // setting is what closes that door.
    const bare = spawnSync(process.execPath, ['-e', script.replace(JSON.stringify(options), '{}')], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(bare.stdout).toMatch(/^READ 1000,2000,3000/);
  });

  it('onnxruntime copies the external bytes at load: changing them afterwards changes nothing', async () => {
    const data = floats([10, 20, 30]);
    const session = await openSession(
      {
        path: 'model.onnx',
        model: addExternal({ location: 'w.bin', offset: 0, length: 12 }),
        externalData: [{ path: 'w.bin', data }],
      },
      { executionProviders: ['cpu'] },
    );
    data.fill(0xff);
    const ort = await import('onnxruntime-node');
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from([1, 2, 3]), [1, 3]) });
    expect(Array.from(out['y']!.data as Float32Array)).toEqual([11, 22, 33]);
    await session.release();
  });
});
