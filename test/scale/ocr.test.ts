import { readdirSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { call } from '../../runtime/api/handlers.js';
import { main } from '../../runtime/cli/main.js';
import { ctx, normalizeText, ocrEnvironment, textImage, type OcrEnv } from './helpers.js';

let env: OcrEnv;
beforeAll(async () => {
  env = await ocrEnvironment();
});
afterAll(async () => env?.close());

/** Files of the data directory (not the database) with sizes, the model rows and the audit count. */
function snapshot(e: OcrEnv) {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (!/\.(db|sqlite)(-wal|-shm)?$/.test(name))
        files.push(`${relative(e.dataDir, p)}:${statSync(p).size}`);
    }
  };
  walk(e.dataDir);
  return {
    files: files.sort(),
    models: JSON.stringify(e.airlock.registry.list()),
    audit: e.airlock.audit.head().count,
  };
}

describe('images as inputs, with the card’s pre- and post-processing', () => {
  test('the PP-OCR recogniser reads a rendered text line', async () => {
    const png = await textImage(['AIRLOCK 2026']);
    const r = await call(
      env.handlers,
      'inference:run',
      { model: 'ppocr-rec', image: { bytes: png, name: 'line.png' } },
      ctx,
    );
    expect(r.result?.kind).toBe('text');
    if (r.result?.kind !== 'text') return;
    expect(r.result.text).toBe('AIRLOCK 2026');
    expect(r.result.confidence).toBeGreaterThan(0.9);
    const record = env.airlock.audit.list({ limit: 1 })[0]!;
    expect(record.action).toBe('inference.run');
    expect(JSON.stringify(record.details)).toContain('line.png');
    // The chosen session configuration is audited for image runs too (issue 4, auto-tuning).
    expect(record.details).toMatchObject({ config: { source: r.config!.source, config: r.config!.config } });
    expect(r.config?.source).toBe('default');
  });

  test('the orientation classifier sees an upside-down line as 180 with its labels', async () => {
    const upright = await call(
      env.handlers,
      'inference:run',
      { model: 'ppocr-cls', image: { bytes: await textImage(['Offline 42']) } },
      ctx,
    );
    const flipped = await call(
      env.handlers,
      'inference:run',
      { model: 'ppocr-cls', image: { bytes: await textImage(['Offline 42'], { upsideDown: true }) } },
      ctx,
    );
    expect(upright.result?.kind === 'classes' && upright.result.top[0]!.label).toBe('0');
    expect(flipped.result?.kind === 'classes' && flipped.result.top[0]!.label).toBe('180');
  });

  test('a tensor run of a model whose card declares post-processing also gets the readable result', async () => {
    const { decodeImage } = await import('../../runtime/processing/image.js');
    const { prepareImage, knownSteps } = await import('../../runtime/processing/preprocess.js');
    const model = env.airlock.registry.resolve('ppocr-rec');
    const prepared = await prepareImage(
      await decodeImage(await textImage(['HELLO'])),
      knownSteps(model.card.preprocess, 'rec'),
      model.card.inputs[0]!,
    );
    const r = await call(
      env.handlers,
      'inference:run',
      { model: 'ppocr-rec', inputs: { x: prepared.tensor } },
      ctx,
    );
    expect(r.result?.kind === 'text' && r.result.text).toBe('HELLO');
  });
});

describe('the ppocr pipeline bundle reads the text in an image', () => {
  test('detect, classify, recognise: one line', async () => {
    const r = await call(
      env.handlers,
      'inference:run',
      { model: 'ppocr', image: { bytes: await textImage(['AIRLOCK 2026'], { format: 'jpeg' }) } },
      ctx,
    );
    expect(r.result?.kind).toBe('lines');
    if (r.result?.kind !== 'lines') return;
    expect(r.result.lines).toHaveLength(1);
    expect(normalizeText(r.result.text)).toBe('AIRLOCK2026');
  });

  test('two lines of an upside-down page come back upright, in reading order', async () => {
    const r = await call(
      env.handlers,
      'inference:run',
      {
        model: 'ppocr',
        image: {
          bytes: await textImage(['HELLO WORLD', 'Offline 42'], { upsideDown: true, format: 'webp' }),
        },
      },
      ctx,
    );
    if (r.result?.kind !== 'lines') throw new Error('expected lines');
    // Turned upside down, the second line is now on top.
    expect(r.result.lines.map((l) => normalizeText(l.text))).toEqual(['OFFLINE42', 'HELLOWORLD']);
    expect(r.result.lines.every((l) => l.angle === 180)).toBe(true);
  });

  test('airlock run ppocr --input page.png prints the text', async () => {
    const file = join(env.root, 'page.png');
    await writeFile(file, await textImage(['AIRLOCK 2026']));
    let out = '';
    const code = await main(['run', 'ppocr', '--input', file, '--data-dir', env.dataDir, '--json'], {
      stdout: (t) => (out += t),
      stderr: () => undefined,
      isTTY: false,
      env: {},
    });
    expect(code).toBe(0);
    const json = JSON.parse(out) as { result: { kind: string; text: string } };
    expect(json.result.kind).toBe('lines');
    expect(normalizeText(json.result.text)).toBe('AIRLOCK2026');
  });
});

describe('bad image inputs are refused with their code, and change nothing but the audit record', () => {
  test('an unreadable image: MEDIA_READ_FAILED', async () => {
    const before = snapshot(env);
    const bad = Buffer.from('\x89PNG\r\n\x1a\nthis is not really a png');
    await expect(
      call(
        env.handlers,
        'inference:run',
        { model: 'ppocr-rec', image: { bytes: bad, name: 'broken.png' } },
        ctx,
      ),
    ).rejects.toMatchObject({ code: 'MEDIA_READ_FAILED' });
    const after = snapshot(env);
    expect(after.files).toEqual(before.files);
    expect(after.models).toEqual(before.models);
    expect(after.audit).toBe(before.audit + 1);
    const record = env.airlock.audit.list({ limit: 1 })[0]!;
    expect(record.outcome).toBe('failure');
  });
  test('a missing image file: MEDIA_NOT_FOUND', async () => {
    const before = snapshot(env);
    await expect(
      call(
        env.handlers,
        'inference:run',
        { model: 'ppocr-rec', image: { path: join(env.root, 'nope.png') } },
        ctx,
      ),
    ).rejects.toMatchObject({ code: 'MEDIA_NOT_FOUND' });
    expect(snapshot(env).files).toEqual(before.files);
  });
  test('both tensors and an image, or neither: USAGE', async () => {
    await expect(
      call(
        env.handlers,
        'inference:run',
        { model: 'ppocr-rec', image: { bytes: new Uint8Array(1) }, inputs: {} },
        ctx,
      ),
    ).rejects.toMatchObject({ code: 'USAGE' });
    await expect(call(env.handlers, 'inference:run', { model: 'ppocr-rec' }, ctx)).rejects.toMatchObject({
      code: 'USAGE',
    });
  });
  test('an image for a model that is not installed: MODEL_NOT_FOUND', async () => {
    await expect(
      call(
        env.handlers,
        'inference:run',
        { model: 'nothing-here', image: { bytes: await textImage(['x']) } },
        ctx,
      ),
    ).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
  });
});

describe('inference:run with batched: true', () => {
  test('concurrent calls merge in the worker and each gets exactly its unbatched result', async () => {
    const { decodeImage } = await import('../../runtime/processing/image.js');
    const { prepareImage, knownSteps } = await import('../../runtime/processing/preprocess.js');
    const model = env.airlock.registry.resolve('ppocr-cls');
    const words = ['ONE', 'TWO', 'THREE', 'FOUR', 'FIVE', 'SIX', 'SEVEN', 'EIGHT'];
    const tensors = await Promise.all(
      words.map(
        async (w, i) =>
          (
            await prepareImage(
              await decodeImage(await textImage([w], { upsideDown: i % 2 === 1 })),
              knownSteps(model.card.preprocess, 'cls'),
              model.card.inputs[0]!,
            )
          ).tensor,
      ),
    );
    const alone = [];
    for (const x of tensors)
      alone.push(await call(env.handlers, 'inference:run', { model: 'ppocr-cls', inputs: { x } }, ctx));
    const merged = await Promise.all(
      tensors.map((x) =>
        call(env.handlers, 'inference:run', { model: 'ppocr-cls', inputs: { x }, batched: true }, ctx),
      ),
    );
    for (let i = 0; i < words.length; i++) {
      expect(merged[i]!.outputDigest).toBe(alone[i]!.outputDigest);
      expect(merged[i]!.result).toEqual(alone[i]!.result);
    }
    const batcher = await env.airlock.batching.batcher(model);
    expect(batcher.stats.requests).toBe(words.length);
    expect(batcher.stats.batches).toBeLessThan(words.length);
  });
});
