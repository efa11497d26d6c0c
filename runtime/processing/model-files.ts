import type { InstalledModel } from '../contract/models.js';
import { AirlockError } from '../errors.js';
import { readVerified } from '../inference/model-bytes.js';
import type { ModelStore } from '../store/model-store.js';
import { parseLabels } from './postprocess.js';

const labelCache = new Map<string, Promise<string[]>>();

/** The store blob of one payload file of an installed model. */
export function payloadBlob(model: InstalledModel, path: string): string {
  const file = model.files.find((f) => f.path === path);
  if (!file)
    throw new AirlockError(
      'MODEL_TAMPERED',
      `${model.name}@${model.version} names "${path}" but no such file was installed with it; re-import its bundle.`,
      { details: { file: path } },
    );
  return file.sha256;
}

/**
 * Labels (or a CTC dictionary) of an installed model, read once from the content-addressed store
 * and checked against their signed digest: the bytes parsed are the bytes hashed.
 */
export async function modelLabels(
  store: Pick<ModelStore, 'read'>,
  model: InstalledModel,
  path = model.card.labels,
): Promise<string[] | null> {
  if (!path) return null;
  const sha256 = payloadBlob(model, path);
  let entry = labelCache.get(sha256);
  if (!entry) {
    const file = model.files.find((f) => f.sha256 === sha256)!;
    entry = (async () => {
      const bytes = await readVerified(
        file,
        (f) => store.read(f.sha256),
        () =>
          new AirlockError(
            'MODEL_TAMPERED',
            `The labels file of ${model.name}@${model.version} no longer matches its signed digest; re-import the bundle from the original medium.`,
            { details: { sha256 } },
          ),
      );
      return parseLabels(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
    })();
    labelCache.set(sha256, entry);
    entry.catch(() => labelCache.delete(sha256));
  }
  return entry;
}
