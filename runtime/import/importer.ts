import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import semver from 'semver';
import type { Actor } from '../audit/audit-log.js';
import type { Airlock } from '../airlock.js';
import { parseCard } from '../bundle/card-check.js';
import { BUNDLE_EXTENSION } from '../bundle/limits.js';
import { describeSignatures, readBundle, type ReadBundleResult } from '../bundle/reader.js';
import type { BundleInspection, VerificationReport } from '../contract/bundle.js';
import type { ModelCard } from '../contract/card.js';
import type { ProgressEvent } from '../contract/channel.js';
import type { ImportItem, ImportReport } from '../contract/models.js';
import { AirlockError, toErrorInfo } from '../errors.js';
import { compareIo, readModelIo } from '../inference/model-io.js';
import type { Staging } from '../store/model-store.js';
import { checkStatementRevocation, consumeDowngrade } from '../policy/actions.js';

export interface WorkOptions {
  readonly signal?: AbortSignal | undefined;
  readonly onProgress?: ((event: Omit<ProgressEvent, 'operationId'>) => void) | undefined;
}

/** A bundle file, or the bundles in a folder (a mounted stick): its top level and its airlock/ folder. */
export async function findBundles(path: string): Promise<string[]> {
  let info;
  try {
    info = await stat(path);
  } catch (cause) {
    throw new AirlockError(
      'NOT_FOUND',
      `${path} does not exist or cannot be read. Check the path and that the medium is mounted.`,
      { cause },
    );
  }
  if (info.isFile()) return [path];
  if (!info.isDirectory()) throw new AirlockError('USAGE', `${path} is neither a bundle file nor a folder.`);
  const found: string[] = [];
  for (const dir of [path, join(path, 'airlock')]) {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries)
      if (e.isFile() && e.name.endsWith(BUNDLE_EXTENSION)) found.push(join(dir, e.name));
  }
  return found.sort();
}

interface Verified {
  readonly read: ReadBundleResult;
  readonly card: ModelCard;
  readonly staging: Staging;
}

/**
 * The four verification steps in one streaming pass from the medium into a staging folder on the
 * local disk: what is installed later is exactly these staged, verified bytes, never a second read
 * of the medium.
 */
export async function verifyIntoStaging(
  airlock: Airlock,
  path: string,
  options: WorkOptions,
): Promise<Verified> {
  const staging = await airlock.store.newStaging();
  try {
    const total = (await stat(path)).size;
    const started = performance.now();
    let lastReport = 0;
    const read = await readBundle(createReadStream(path, { highWaterMark: 1 << 20 }), {
      trust: (statement) => airlock.trustDecision(statement),
      sink: (file) => staging.sink(file.path),
      limits: airlock.limits,
      signal: options.signal,
      onBytes: (done) => {
        const t = performance.now();
        if (options.onProgress && (t - lastReport > 100 || done === total)) {
          lastReport = t;
          options.onProgress({
            phase: 'verifying',
            done,
            total,
            rate: done / Math.max((t - started) / 1000, 1e-3),
            unit: 'bytes',
          });
        }
      },
    });
    const card = parseCard(read.statement, read.files);
    checkStatementRevocation(airlock, read.envelope, `${card.name}@${card.version}`);
    compareIo(card, await readModelIo(staging.fileFor(card.model)));
    return { read, card, staging };
  } catch (error) {
    await staging.discard();
    throw error;
  }
}

function report(path: string, v: Partial<Verified>, error: unknown): VerificationReport {
  return {
    path,
    ok: error === null,
    sha256: v.read?.sha256 ?? null,
    size: v.read?.size ?? 0,
    card: v.card ?? null,
    files: v.read?.files ?? [],
    signatures: v.read?.signatures ?? [],
    signers: v.read?.signers ?? [],
    error: error === null ? null : toErrorInfo(error),
  };
}

/**
 * What can still be shown about a refused bundle (card, files, signers) for the verdict: read again
 * without trust or payload checks. Never used for a decision; empty when even that fails.
 */
async function describeRefused(
  airlock: Airlock,
  path: string,
): Promise<
  Partial<Verified> & { signatures?: BundleInspection['signatures']; declared?: BundleInspection['files'] }
> {
  try {
    const info = await inspectBundle(path, airlock.trust);
    return { card: info.card, signatures: info.signatures, declared: info.files };
  } catch {
    return {};
  }
}

async function refusedReport(
  airlock: Airlock,
  path: string,
  error: unknown,
  verified: Verified | null,
): Promise<VerificationReport> {
  if (verified) return report(path, verified, error);
  const seen = await describeRefused(airlock, path);
  const base = report(path, seen, error);
  return { ...base, files: seen.declared ?? [], signatures: seen.signatures ?? [] };
}

/**
 * Checks a bundle against the trust store and this facility's import policy without installing
 * it: the verdict `import` would reach. Audited either way.
 */
export async function verifyBundle(
  airlock: Airlock,
  actor: Actor,
  path: string,
  options: WorkOptions = {},
): Promise<VerificationReport> {
  let verified: Verified | null = null;
  try {
    verified = await verifyIntoStaging(airlock, path, options);
    checkPolicy(airlock, verified.card, verified.read.sha256);
    const result = report(path, verified, null);
    airlock.audit.append(actor, {
      action: 'bundle.verify',
      target: `${verified.card.name}@${verified.card.version}`,
      outcome: 'success',
      details: { file: basename(path), sha256: verified.read.sha256, signers: verified.read.signers },
    });
    return result;
  } catch (error) {
    const result = await refusedReport(airlock, path, error, verified);
    if (result.error?.code === 'AUDIT_WRITE_FAILED') throw error;
    airlock.audit.append(actor, {
      action: 'bundle.verify',
      target: result.card ? `${result.card.name}@${result.card.version}` : basename(path),
      outcome: 'refused',
      details: { file: path, error: result.error },
    });
    return result;
  } finally {
    await verified?.staging.discard();
  }
}

/** Import-time policy on a verified bundle: revocation, expiry, version conflicts and rollback. */
export function checkPolicy(
  airlock: Airlock,
  card: ModelCard,
  sha256: string,
): 'install' | 'already-installed' {
  const now = airlock.now();
  const revoked = airlock.policy.bundleRevocation(sha256);
  if (revoked) {
    throw new AirlockError(
      'REVOKED',
      `This bundle of ${card.name}@${card.version} (${sha256.slice(0, 16)}…) was revoked by this facility${revoked.reason ? ` (${revoked.reason})` : ''}. It is never installed; ask the publisher for a replacement.`,
      { details: { sha256, reason: revoked.reason } },
    );
  }
  if (card.expires && new Date(card.expires).getTime() + airlock.clockSkewMs < now.getTime()) {
    throw new AirlockError(
      'BUNDLE_EXPIRED',
      `${card.name}@${card.version} expired on ${card.expires} (allowing ${airlock.clockSkewMs / 60_000} minutes of clock skew). Ask the publisher for a current bundle; also check this machine's clock.`,
      { details: { expires: card.expires } },
    );
  }
  if (airlock.registry.bySha256(sha256)) return 'already-installed';
  const same = airlock.registry.find(card.name, card.version);
  if (same) {
    throw new AirlockError(
      'VERSION_CONFLICT',
      `${card.name}@${card.version} is already installed from a different bundle (${same.bundleSha256.slice(0, 16)}…). A version is immutable: the publisher must issue a new version number.`,
      { details: { installed: same.bundleSha256, offered: sha256 } },
    );
  }
  const high = airlock.registry.highWater(card.name);
  if (high && semver.lt(card.version, high) && !airlock.policy.openDowngrade(card.name, card.version)) {
    throw new AirlockError(
      'ROLLBACK',
      `${card.name}@${card.version} is older than ${high}, the highest version ever installed here. Installing it would be a rollback, which is refused; ask the publisher for ${high} or newer.`,
      { details: { offered: card.version, highWater: high } },
    );
  }
  return 'install';
}

async function importOne(
  airlock: Airlock,
  actor: Actor,
  path: string,
  options: WorkOptions,
): Promise<ImportItem> {
  let verified: Verified | null = null;
  try {
    verified = await verifyIntoStaging(airlock, path, options);
    const { card, read, staging } = verified;
    const decision = checkPolicy(airlock, card, read.sha256);
    const model = { name: card.name, version: card.version };
    if (decision === 'already-installed') {
      airlock.audit.append(actor, {
        action: 'model.import',
        target: `${card.name}@${card.version}`,
        outcome: 'success',
        details: { file: basename(path), sha256: read.sha256, note: 'already installed; nothing changed' },
      });
      return {
        path,
        outcome: 'already-installed',
        model,
        error: null,
        verification: report(path, verified, null),
      };
    }
    options.onProgress?.({ phase: 'installing', done: 0, total: 1, rate: null, unit: 'steps' });
    // Blobs move into the store and the rows are written under one database write lock: a crash
    // leaves either nothing (orphan blobs are removed at the next start) or the complete model.
    airlock.recorded(actor, () => {
      const downgrade = consumeDowngrade(airlock, actor, card);
      airlock.store.commitSync(staging, read.files);
      airlock.registry.insert(
        {
          card,
          bundleSha256: read.sha256,
          envelope: read.envelope,
          signers: read.signers,
          files: read.files,
        },
        actor.name,
        airlock.now(),
      );
      return {
        result: undefined,
        event: {
          action: 'model.install',
          target: `${card.name}@${card.version}`,
          outcome: 'success',
          details: {
            file: basename(path),
            sha256: read.sha256,
            size: read.size,
            signers: read.signers,
            publisher: card.publisher,
            files: read.files.map((f) => ({ path: f.path, sha256: f.sha256 })),
            ...(downgrade ? { downgrade } : {}),
          },
        },
      };
    });
    options.onProgress?.({ phase: 'installing', done: 1, total: 1, rate: null, unit: 'steps' });
    return { path, outcome: 'installed', model, error: null, verification: report(path, verified, null) };
  } catch (error) {
    const info = toErrorInfo(error);
    if (info.code === 'AUDIT_WRITE_FAILED') throw error;
    const verification = await refusedReport(airlock, path, error, verified);
    const card = verification.card;
    airlock.audit.append(actor, {
      action: 'bundle.reject',
      target: card ? `${card.name}@${card.version}` : basename(path),
      outcome: info.code === 'CANCELLED' ? 'failure' : 'refused',
      details: { file: path, error: info },
    });
    return {
      path,
      outcome: 'rejected',
      model: card ? { name: card.name, version: card.version } : null,
      error: info,
      verification,
    };
  } finally {
    await verified?.staging.discard();
  }
}

/** Imports a bundle file or every bundle in a folder. Each is verified before anything reaches the store. */
export async function importPath(
  airlock: Airlock,
  actor: Actor,
  path: string,
  options: WorkOptions = {},
): Promise<ImportReport> {
  const bundles = await findBundles(path);
  if (bundles.length === 0) {
    throw new AirlockError(
      'NOT_FOUND',
      `No *.airlock bundles in ${path} (looked at its top level and its airlock/ folder).`,
    );
  }
  const items: ImportItem[] = [];
  for (const bundle of bundles) {
    if (options.signal?.aborted) break;
    items.push(await importOne(airlock, actor, bundle, options));
  }
  return {
    items,
    installed: items.filter((i) => i.outcome === 'installed').length,
    rejected: items.filter((i) => i.outcome === 'rejected').length,
  };
}

/** Reads the card, file list and signatures without a trust decision or payload check. */
export async function inspectBundle(
  path: string,
  keys: Airlock['trust'] | null = null,
): Promise<BundleInspection> {
  const read = await readBundle(createReadStream(path), { trust: null, skipPayload: true });
  const card = parseCard(read.statement, read.files);
  const signatures = keys
    ? describeSignatures(read.envelope, keys.publisherKeys())
    : read.envelope.signatures.map((s) => ({ keyId: s.keyid, trustedAs: null, valid: null }));
  return {
    path,
    size: read.size,
    sha256: read.sha256,
    card,
    files: read.statement.subject
      .map((s) => ({ path: s.name, size: s.annotations.size, sha256: s.digest.sha256 }))
      .sort((a, b) => a.path.localeCompare(b.path)),
    signatures,
  };
}
