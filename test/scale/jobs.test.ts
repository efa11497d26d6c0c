import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { call } from '../../runtime/api/handlers.js';
import type { JobLine } from '../../runtime/contract/jobs.js';
import { writeNpy } from '../../runtime/inference/npy.js';
import { ctx, normalizeText, ocrEnvironment, textImage, type OcrEnv } from './helpers.js';

const BIN = new URL('../../bin/airlock.js', import.meta.url).pathname;
const WORDS = [
  'ALPHA',
  'BRAVO',
  'CHARLIE',
  'DELTA',
  'ECHO',
  'FOXTROT',
  'GOLF',
  'HOTEL',
  'INDIA',
  'JULIET',
  'KILO',
  'LIMA',
  'MIKE',
  'NOVEMBER',
  'OSCAR',
  'PAPA',
  'QUEBEC',
  'ROMEO',
  'SIGMA',
  'TANGO',
  'UNIFORM',
  'VICTOR',
  'WHISKEY',
  'XRAY',
];

let env: OcrEnv;
let images: string;
beforeAll(async () => {
  env = await ocrEnvironment();
  images = join(env.root, 'images');
  mkdirSync(images);
  for (const [i, word] of WORDS.entries())
    writeFileSync(
      join(images, `${String(i).padStart(2, '0')}-${word.toLowerCase()}.png`),
      await textImage([word]),
    );
});
afterAll(async () => env?.close());

const lines = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as JobLine);
const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('batch jobs', () => {
  test('a folder of mixed inputs: one line per file, bad inputs reported per file, audited', async () => {
    const dir = join(env.root, 'mixed');
    mkdirSync(dir);
    writeFileSync(join(dir, 'a-good.png'), await textImage(['AIRLOCK 2026']));
    writeFileSync(join(dir, 'b-broken.png'), 'not an image at all');
    // A tensor of the wrong shape (the recogniser's height is fixed at 48).
    writeFileSync(
      join(dir, 'c-wrong-shape.npy'),
      writeNpy({ type: 'float32', dims: [1, 3, 32, 100], data: new Float32Array(3 * 32 * 100) }),
    );
    writeFileSync(join(dir, 'd-not-json.json'), '{ nope');
    writeFileSync(join(dir, 'e-notes.txt'), 'hello');
    const out = join(env.root, 'mixed.jsonl');
    const job = await call(
      env.handlers,
      'jobs:start',
      { model: 'ppocr-rec', inputsDir: dir, outFile: out },
      ctx,
    );
    expect(job.state).toBe('completed');
    expect([job.total, job.done, job.failed]).toEqual([5, 1, 4]);
    // No tuned config for this model on this machine yet: onnxruntime's defaults, recorded as such.
    expect(job.config).toMatchObject({ executionProvider: 'cpu', source: 'default' });
    const got = lines(out);
    expect(got.map((l) => l.file)).toEqual([
      'a-good.png',
      'b-broken.png',
      'c-wrong-shape.npy',
      'd-not-json.json',
      'e-notes.txt',
    ]);
    expect(got.map((l) => l.error?.code ?? 'ok')).toEqual([
      'ok',
      'MEDIA_READ_FAILED',
      'INPUT_SHAPE_MISMATCH',
      'INPUT_INVALID',
      'INPUT_INVALID',
    ]);
    expect((got[0]!.result as { text: string }).text).toBe('AIRLOCK 2026');
    expect(job.outputSha256).toBe(sha256(out));
    const record = env.airlock.audit.list({ action: 'job.complete', limit: 1 })[0]!;
    expect(record.target).toBe(job.id);
    expect(record.details).toMatchObject({
      count: 5,
      outputSha256: sha256(out),
      inputsDigest: job.inputsDigest,
      config: { maxBatchSize: 16 },
    });
  });

  test('a model that is not installed: every file gets MODEL_NOT_FOUND and the job still completes', async () => {
    const out = join(env.root, 'missing.csv');
    const job = await call(
      env.handlers,
      'jobs:start',
      { model: 'no-such-model', inputsDir: images, outFile: out },
      ctx,
    );
    expect(job.state).toBe('completed');
    expect(job.failed).toBe(WORDS.length);
    const rows = readFileSync(out, 'utf8').trim().split('\n');
    expect(rows[0]).toBe('file,ok,result,error_code,error_message,sha256');
    expect(rows.slice(1).every((r) => r.includes(',false,,MODEL_NOT_FOUND,'))).toBe(true);
    expect(rows).toHaveLength(WORDS.length + 1);
  });

  test('refusals: an existing output file (USAGE, untouched), an unknown job (JOB_NOT_FOUND), a missing folder', async () => {
    const out = join(env.root, 'exists.jsonl');
    writeFileSync(out, 'keep me\n');
    const jobsBefore = (await call(env.handlers, 'jobs:list', {}, ctx)).length;
    await expect(
      call(env.handlers, 'jobs:start', { model: 'ppocr-rec', inputsDir: images, outFile: out }, ctx),
    ).rejects.toMatchObject({ code: 'USAGE' });
    expect(readFileSync(out, 'utf8')).toBe('keep me\n');
    await expect(
      call(
        env.handlers,
        'jobs:start',
        { model: 'ppocr-rec', inputsDir: join(env.root, 'nowhere'), outFile: join(env.root, 'n.jsonl') },
        ctx,
      ),
    ).rejects.toMatchObject({ code: 'MEDIA_NOT_FOUND' });
    expect(existsSync(join(env.root, 'n.jsonl'))).toBe(false);
    expect((await call(env.handlers, 'jobs:list', {}, ctx)).length).toBe(jobsBefore);
    await expect(call(env.handlers, 'jobs:get', { id: 'nope' }, ctx)).rejects.toMatchObject({
      code: 'JOB_NOT_FOUND',
    });
  });

  test('cancel through the operation, then resume: every input exactly once', async () => {
    const out = join(env.root, 'cancelled.jsonl');
    const controller = new AbortController();
    const job = await call(
      env.handlers,
      'jobs:start',
      {
        model: 'ppocr-rec',
        inputsDir: images,
        outFile: out,
        config: { concurrency: 2, intraOpNumThreads: 1 },
      },
      {
        ...ctx,
        signal: controller.signal,
        onProgress: (e) => {
          if (e.done >= 3) controller.abort();
        },
      },
    );
    expect(job.state).toBe('cancelled');
    expect(job.config).toMatchObject({ intraOpNumThreads: 1, source: 'explicit' });
    expect(job.done + job.failed).toBeLessThan(WORDS.length);
    expect(lines(out).length).toBe(job.done + job.failed);
    const resumed = await call(env.handlers, 'jobs:resume', { id: job.id }, ctx);
    expect(resumed.state).toBe('completed');
    const got = lines(out);
    expect(got.map((l) => l.file)).toEqual(readdirSync(images).sort());
    expect(got.map((l) => normalizeText((l.result as { text: string }).text))).toEqual(WORDS);
  });

  test('jobs:cancel stops a running job once (one audit record); a completed job cannot resume', async () => {
    const out = join(env.root, 'cancel-by-id.jsonl');
    let id = '';
    let cancelling: Promise<unknown> | null = null;
    const job = await call(
      env.handlers,
      'jobs:start',
      { model: 'ppocr-rec', inputsDir: images, outFile: out, config: { concurrency: 1 } },
      {
        ...ctx,
        onProgress: (e) => {
          if (e.done >= 2 && !cancelling) {
            id = env.airlock.db.prepare('SELECT id FROM jobs WHERE out_file = ?').pluck().get(out) as string;
            cancelling = call(env.handlers, 'jobs:cancel', { id }, ctx);
          }
        },
      },
    );
    await cancelling;
    expect(job.id).toBe(id);
    expect(job.state).toBe('cancelled');
    expect(lines(out).length).toBe(job.done + job.failed);
    const cancels = env.airlock.audit
      .list({ action: 'job.cancel', limit: 100 })
      .filter((r) => r.target === id);
    expect(cancels).toHaveLength(1);
    const done = await call(env.handlers, 'jobs:resume', { id }, ctx);
    expect(done.state).toBe('completed');
    expect(lines(out).map((l) => l.file)).toEqual(readdirSync(images).sort());
    await expect(call(env.handlers, 'jobs:resume', { id }, ctx)).rejects.toMatchObject({ code: 'USAGE' });
  });

  test('SIGKILL mid-job, then resume: no input skipped, no line written twice', async () => {
    const out = join(env.root, 'killed.jsonl');
    // The ppocr pipeline, two at a time: slow enough to be killed part way.
    const child = spawn(
      process.execPath,
      [
        BIN,
        'batch',
        'ppocr',
        '--data-dir',
        env.dataDir,
        '--inputs',
        images,
        '--out',
        out,
        '--concurrency',
        '2',
      ],
      { stdio: 'ignore' },
    );
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && (!existsSync(out) || readFileSync(out, 'utf8').split('\n').length < 5))
      await new Promise((r) => setTimeout(r, 10));
    child.kill('SIGKILL');
    await exited;
    const [job] = await call(env.handlers, 'jobs:list', {}, ctx).then((jobs) =>
      jobs.filter((j) => j.outFile === out),
    );
    expect(job!.state).toBe('running'); // it really died part way
    const written = lines(out).length;
    expect(written).toBeGreaterThanOrEqual(4);
    expect(written).toBeLessThan(WORDS.length);
    // A torn write at the moment of the crash: half a line the database never recorded.
    appendFileSync(out, '{"file":"15-papa.png","ok":tr');
    const resumed = await call(env.handlers, 'jobs:resume', { id: job!.id }, ctx);
    expect(resumed.state).toBe('completed');
    const got = lines(out);
    expect(got.map((l) => l.file)).toEqual(readdirSync(images).sort());
    expect(new Set(got.map((l) => l.file)).size).toBe(WORDS.length);
    expect(got.every((l) => l.ok)).toBe(true);
    expect(got.map((l) => normalizeText((l.result as { text: string }).text))).toEqual(WORDS);
    expect(resumed.outputSha256).toBe(sha256(out));
    const actions = env.airlock.audit
      .list({ limit: 1000 })
      .filter((r) => r.target === job!.id)
      .map((r) => r.action);
    expect(actions).toEqual(['job.complete', 'job.resume', 'job.start']);
  });
});
