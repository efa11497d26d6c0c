import { lstat, opendir } from 'node:fs/promises';
import { join } from 'node:path';
import type { BundleFile } from '../contract/bundle.js';
import type { Envelope } from '../crypto/dsse.js';
import { AirlockError } from '../errors.js';
import { sha256File } from '../util/hash.js';
import { MAX_OMS_RESOURCES, type OmsBundle, type OmsManifest, publicKeyHint } from './model-sig.js';

const MAX_DEPTH = 32;

function ignored(path: string, ignorePaths: readonly string[]): boolean {
  return ignorePaths.some((p) => path === p || path.startsWith(`${p.replace(/\/+$/, '')}/`));
}

/**
 * Checks a model folder against the signed manifest, exactly: every signed file present as a
 * regular file with its digest (DIGEST_MISMATCH, FILE_MISSING), nothing else there (FILE_EXTRA)
 * except paths the signed `ignore_paths` name and the signature file itself, and no symbolic link
 * or special file anywhere (OMS_LINK: never followed, whatever `allow_symlinks` says). Every entry
 * is looked at with lstat and every file opened without following links; the walk is bounded.
 */
export async function checkModelFolder(
  dir: string,
  manifest: OmsManifest,
  options: { readonly signatureName: string; readonly signal?: AbortSignal },
): Promise<BundleFile[]> {
  const seen: BundleFile[] = [];
  let entries = 0;
  const walk = async (rel: string, depth: number): Promise<void> => {
    if (depth > MAX_DEPTH)
      throw new AirlockError(
        'OMS_INVALID',
        `The model folder nests deeper than ${MAX_DEPTH} levels at ${rel}; it was not read.`,
      );
    const handle = await opendir(rel === '' ? dir : join(dir, rel));
    for await (const entry of handle) {
      options.signal?.throwIfAborted();
      if (++entries > MAX_OMS_RESOURCES * 2)
        throw new AirlockError(
          'OMS_INVALID',
          `The model folder holds more than ${MAX_OMS_RESOURCES * 2} entries; it was not read.`,
        );
      const path = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (path === options.signatureName || ignored(path, manifest.ignorePaths)) continue;
      const info = await lstat(join(dir, path));
      if (info.isSymbolicLink() || (!info.isFile() && !info.isDirectory()))
        throw new AirlockError(
          'OMS_LINK',
          `${path} in the model folder is ${info.isSymbolicLink() ? 'a symbolic link' : 'not a regular file or folder (a device, FIFO or socket)'}; Airlock never follows links or reads special files in a signed model. Copy the model folder again without links.`,
          { details: { file: path } },
        );
      if (info.isDirectory()) {
        await walk(path, depth + 1);
        continue;
      }
      const signed = manifest.files.get(path);
      if (signed === undefined)
        throw new AirlockError(
          'FILE_EXTRA',
          `${path} is in the model folder but not in its signed manifest. Remove it or ask the publisher to sign the folder as it is; nothing was installed.`,
          { details: { file: path } },
        );
      const { sha256, size } = await sha256File(
        join(dir, path),
        options.signal ? { signal: options.signal } : {},
      );
      if (sha256 !== signed)
        throw new AirlockError(
          'DIGEST_MISMATCH',
          `${path} does not match its signed digest (${sha256.slice(0, 16)}… instead of ${signed.slice(0, 16)}…): it was changed after signing. Do not use this copy; ask the publisher for a new one.`,
          { details: { file: path, expected: signed, actual: sha256 } },
        );
      seen.push({ path, size, sha256 });
    }
  };
  await walk('', 0);
  const present = new Set(seen.map((f) => f.path));
  const missing = [...manifest.files.keys()].filter((p) => !present.has(p));
  if (missing.length > 0)
    throw new AirlockError(
      'FILE_MISSING',
      `The model folder lacks ${missing.length} signed file(s): ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}. Copy the whole folder again; nothing was installed.`,
      { details: { files: missing } },
    );
  return seen.sort((a, b) => (a.path < b.path ? -1 : 1));
}

/**
 * The key method's signature as admission sees it: the DSSE envelope with its one signature
 * attributed to the candidate key whose PEM hash is the bundle's `publicKey.hint` (OpenSSF model
 * signing leaves the DSSE keyid empty). Without a hint (signatures before model_signing 1.0) or
 * with one no candidate has, the signature keeps a key id no candidate holds: UNTRUSTED_SIGNER.
 */
export function keyMethodEnvelope(
  bundle: OmsBundle,
  envelope: Envelope,
  candidates: readonly { readonly keyId: string; readonly publicKeyPem: string }[],
): Envelope {
  const hint = bundle.verificationMaterial.publicKey?.hint?.toLowerCase();
  const match =
    hint === undefined ? undefined : candidates.find((c) => publicKeyHint(c.publicKeyPem) === hint);
  const keyid = match?.keyId ?? `oms-key-hint:${hint ?? 'none'}`;
  return { ...envelope, signatures: envelope.signatures.map((s) => ({ ...s, keyid })) };
}
