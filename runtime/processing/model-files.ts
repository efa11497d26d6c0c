import type { InstalledModel } from '../contract/models.js';
import { AirlockError } from '../errors.js';
import type { ModelStore } from '../store/model-store.js';
import { sha256Hex } from '../util/hash.js';
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
 * The bytes of one installed payload file, read once from the store and checked against the
 * signed digest on those same bytes (never a check of one read and a use of another). The store
 * opens the blob without following a link and only as a regular file (ModelStore.read); anything
 * else, or bytes that do not match, is MODEL_TAMPERED.
 */
export async function readPayloadFile(
  store: Pick<ModelStore, 'read'>,
  model: InstalledModel,
  path: string,
): Promise<Buffer> {
  const sha256 = payloadBlob(model, path);
  const bytes = await store.read(sha256);
  if (bytes === null || sha256Hex(bytes) !== sha256)
    throw new AirlockError(
      'MODEL_TAMPERED',
      `The file ${path} of ${model.name}@${model.version} no longer matches its signed digest; re-import the bundle from the original medium.`,
      { details: { file: path, sha256 } },
    );
  return bytes;
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
    entry = (async () => parseLabels((await readPayloadFile(store, model, path)).toString('utf8')))();
    labelCache.set(sha256, entry);
    entry.catch(() => labelCache.delete(sha256));
  }
  return entry;
}
