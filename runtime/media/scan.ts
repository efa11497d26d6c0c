import { lstat, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { MediaScanReport, ScannedBundle, ScannedDocument } from '../contract/media.js';
import { judgeDocument } from '../policy/judge.js';
import type { PolicyServices } from '../policy/services.js';
import { MAX_SIGNED_DOCUMENT_BYTES } from '../policy/signed-document.js';
import { AirlockError, toErrorInfo } from '../errors.js';
import { readRegularFile } from '../util/read-file.js';
import {
  admitVerified,
  findBundles,
  inspectBundle,
  type FoundBundle,
  verifyIntoStaging,
  type ImportServices,
  type WorkOptions,
} from '../import/importer.js';

/** What a scan reads with: the import's verification and admission, and the policy's judge. */
export type ScanServices = Pick<ImportServices, 'admission' | 'store' | 'limits'> &
  Pick<PolicyServices, 'trust' | 'policy'>;

/**
 * Scans a mounted medium for bundles (its top level and its airlock/ folder) and gives each the
 * verdict an import would reach, without installing anything and without writing to the medium:
 * bundles are read once, into a staging folder in the data directory that is removed afterwards.
 * Nothing is audited here; the caller records the scan once.
 */
export async function scanMedium(
  services: ScanServices,
  mountpoint: string,
  options: WorkOptions = {},
): Promise<MediaScanReport> {
  let info;
  try {
    info = await stat(mountpoint);
  } catch (cause) {
    throw new AirlockError(
      'MEDIA_NOT_FOUND',
      `${mountpoint} is not mounted or cannot be read. Insert the medium again, or pick its folder by hand.`,
      { cause },
    );
  }
  if (!info.isDirectory())
    throw new AirlockError(
      'MEDIA_NOT_FOUND',
      `${mountpoint} is not a folder; give the medium's mount point.`,
    );
  const bundles: ScannedBundle[] = [];
  for (const found of await findBundles(mountpoint)) {
    if (options.signal?.aborted)
      throw new AirlockError('CANCELLED', 'The scan was cancelled; nothing was changed.');
    bundles.push(await scanBundle(services, found, options));
  }
  return { mountpoint, bundles, documents: await scanDocuments(services, mountpoint) };
}

async function scanBundle(
  services: ScanServices,
  found: FoundBundle,
  options: WorkOptions,
): Promise<ScannedBundle> {
  const { path } = found;
  // For the report only (lstat: never opens the file, never follows a link); what is verified is
  // read through one checked descriptor in verifyIntoStaging.
  const size = await lstat(path).then(
    (s) => s.size,
    () => 0,
  );
  try {
    const verified = await verifyIntoStaging(services, found, options);
    try {
      const verdict = admitVerified(services, verified);
      const { card, read } = verified;
      return {
        path,
        size,
        sha256: read.sha256,
        name: card.name,
        version: card.version,
        publisher: card.publisher,
        signers: [...verdict.signers],
        signatures: [...verdict.signatures],
        card,
        verdict: verdict.outcome === 'already-installed' ? 'already-installed' : 'installable',
        error: null,
      };
    } finally {
      await verified.staging.discard();
    }
  } catch (error) {
    if (toErrorInfo(error).code === 'CANCELLED') throw error;
    // What can still be shown (never used for a decision): the card and the signing key ids.
    const seen = await inspectBundle(path, (e) => services.admission.describe(e), {
      followLinks: found.named,
    }).catch(() => null);
    return {
      path,
      size,
      sha256: seen?.sha256 ?? null,
      name: seen?.card.name ?? null,
      version: seen?.card.version ?? null,
      publisher: seen?.card.publisher ?? null,
      signers: [],
      signatures: seen?.signatures ?? [],
      card: seen?.card ?? null,
      verdict: 'refused',
      error: toErrorInfo(error),
    };
  }
}

/** Signed policies and revocation lists (*.json at the top level and in airlock/), judged only. */
async function scanDocuments(services: ScanServices, mountpoint: string): Promise<ScannedDocument[]> {
  const found: ScannedDocument[] = [];
  for (const dir of [mountpoint, join(mountpoint, 'airlock')]) {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (!e.isFile() || !e.name.toLowerCase().endsWith('.json')) continue;
      const path = join(dir, e.name);
      // Found by listing (links skipped there), so never through a link; a FIFO, device or
      // oversized file put in its place is skipped unread, like any file that is no document.
      const bytes = await readRegularFile(path, {
        maxBytes: MAX_SIGNED_DOCUMENT_BYTES,
        what: 'document',
        followLinks: false,
      }).catch(() => null);
      const verdict = bytes ? judgeDocument(services, bytes) : null;
      if (verdict) found.push({ path, ...verdict });
    }
  }
  return found.sort((a, b) => a.path.localeCompare(b.path));
}
