/**
 * Helpers for the inference-at-scale tests: a data directory with the demo publisher trusted and
 * the real PP-OCR bundles (signed, imported through the normal path), and text images rendered
 * with sharp (SVG text through librsvg, DejaVu Sans: fonts present on the build machines).
 */
import { readFile, rm } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { Airlock } from '../../runtime/airlock.js';
import { createHandlers, type Handlers } from '../../runtime/api/handlers.js';
import type { CallContext } from '../../runtime/api/context.js';
import { prepareDemoStick } from '../../runtime/demo/demo.js';

export const actor = { name: 'tester', source: `test:${process.pid}`, role: 'admin' } as const;
export const ctx: CallContext = { actor };

export interface OcrEnv {
  readonly root: string;
  readonly dataDir: string;
  readonly airlock: Airlock;
  readonly handlers: Handlers;
  close(): Promise<void>;
}

/** A fresh data directory with the demo PP-OCR bundles imported. */
export async function ocrEnvironment(): Promise<OcrEnv> {
  const root = await mkdtemp(join(tmpdir(), 'airlock-scale-'));
  const dataDir = join(root, 'data');
  const stick = await prepareDemoStick(root);
  const airlock = Airlock.open({ dataDir });
  const handlers = createHandlers(airlock);
  await handlers['trust:add'](
    { name: 'demo', publicKeyPem: await readFile(stick.publicKey, 'utf8'), role: 'publisher' },
    ctx,
  );
  const report = await handlers['models:import']({ path: stick.stick }, ctx);
  if (report.rejected > 0)
    throw new Error(`demo import refused: ${JSON.stringify(report.items.map((i) => i.error))}`);
  return {
    root,
    dataDir,
    airlock,
    handlers,
    async close() {
      await airlock.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A PNG of dark text on white (one line per entry), optionally upside down. */
export async function textImage(
  lines: readonly string[],
  options: { width?: number; fontSize?: number; upsideDown?: boolean; format?: 'png' | 'jpeg' | 'webp' } = {},
): Promise<Buffer> {
  const fontSize = options.fontSize ?? 32;
  const lineHeight = Math.round(fontSize * 2);
  const width = options.width ?? Math.max(...lines.map((l) => l.length)) * fontSize * 0.75 + 2 * fontSize;
  const height = lineHeight * lines.length + fontSize;
  const texts = lines
    .map(
      (l, i) =>
        `<text x="${fontSize}" y="${fontSize + lineHeight * i + fontSize}" font-family="DejaVu Sans" font-size="${fontSize}" fill="#111">${escapeXml(l)}</text>`,
    )
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${Math.round(width)}" height="${height}"><rect width="100%" height="100%" fill="#fff"/>${texts}</svg>`;
  let image = sharp(Buffer.from(svg));
  if (options.upsideDown) image = image.rotate(180);
  const format = options.format ?? 'png';
  return image.toFormat(format).toBuffer();
}

/** Case- and space-insensitive form of recognised text. */
export const normalizeText = (s: string) => s.replace(/\s+/g, '').toUpperCase();
