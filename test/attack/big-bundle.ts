/** A signed bundle of a few megabytes (the classifier plus random weights) for import-path tests. */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createBundle, signBundle } from '../../runtime/bundle/writer.js';
import type { Publisher } from '../core/helpers.js';

export const CLASSIFIER = new URL('../fixtures/models/classifier.onnx', import.meta.url).pathname;

export async function bigBundle(
  dir: string,
  pub: Publisher,
  megabytes: number,
  version = '1.0.0',
): Promise<string> {
  const weights = join(dir, `weights-${megabytes}.bin`);
  await writeFile(weights, randomBytes(megabytes * 1024 * 1024));
  const out = join(dir, `big-${megabytes}-${version}.airlock`);
  await createBundle({
    model: CLASSIFIER,
    name: 'big',
    version,
    out,
    extraFiles: { 'weights.bin': weights },
    publisher: 'ACME Models',
  });
  await signBundle(out, pub.privateKeyPem);
  return out;
}
