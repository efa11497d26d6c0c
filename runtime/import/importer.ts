import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { AdmissionGate } from '../admission/gate.js';
import type { Allowed } from '../admission/admit.js';
import type { Actor, AuditLog } from '../audit/audit-log.js';
import { parseCard } from '../bundle/card-check.js';
import { BUNDLE_EXTENSION, type BundleLimits } from '../bundle/limits.js';
import { openBundleFile, readBundle, type ReadBundleResult } from '../bundle/reader.js';
import type { BundleInspection, BundleSignature, VerificationReport } from '../contract/bundle.js';
import type { ModelCard } from '../contract/card.js';
import type { ProgressEvent } from '../contract/channel.js';
import type { ImportItem, ImportReport } from '../contract/models.js';
import type { Envelope } from '../crypto/dsse.js';
import { AirlockError, toErrorInfo } from '../errors.js';
import { readGraph } from '../inference/model-bytes.js';
import { compareIo, readModelIo } from '../inference/model-io.js';
import type { PolicyStore } from '../policy/policy-store.js';
import type { ModelRegistry } from '../store/model-registry.js';
import type { ModelStore, Staging } from '../store/model-store.js';

export interface WorkOptions {
  readonly signal?: AbortSignal | undefined;
  readonly onProgress?: ((event: Omit<ProgressEvent, 'operationId'>) => void) | undefined;
}

/** What verifying and installing bundles uses. */
export interface ImportServices {
  readonly admission: AdmissionGate;
  readonly store: Pick<ModelStore, 'newStaging' | 'commitSync'>;
  readonly registry: Pick<ModelRegistry, 'insert'>;
  readonly policy: Pick<PolicyStore, 'openDowngrade' | 'useDowngrade'>;
  readonly audit: Pick<AuditLog, 'append' | 'recorded'>;
  readonly limits: BundleLimits;
  readonly now: () => Date;
}

/** A bundle to read, and whether a symbolic link may lead to it. */
export interface FoundBundle {
  readonly path: string;
  /**
   * True for the path a person named (a picker, a command-line argument): it may go through a
   * link on their own medium. False for a bundle found by listing a folder: listing skips links,
   * and the file is opened without following one, so a link put in its place later is refused.
   */
  readonly named: boolean;
}

/** A bundle file, or the bundles in a folder (a mounted stick): its top level and its airlock/ folder. */
export async function findBundles(path: string): Promise<FoundBundle[]> {
  let info;
  try {
    // Only to tell a file from a folder: a file is then opened once and checked on its descriptor.
    info = await stat(path);
  } catch (cause) {
    throw new AirlockError(
      'NOT_FOUND',
      `${path} does not exist or cannot be read. Check the path and that the medium is mounted.`,
      { cause },
    );
  }
  if (info.isFile()) return [{ path, named: true }];
  if (!info.isDirectory()) throw new AirlockError('USAGE', `${path} is neither a bundle file nor a folder.`);
  const found: FoundBundle[] = [];
  for (const dir of [path, join(path, 'airlock')]) {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries)
      if (e.isFile() && e.name.endsWith(BUNDLE_EXTENSION))
        found.push({ path: join(dir, e.name), named: false });
  }
  return found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export interface Verified {
  readonly read: ReadBundleResult;
  readonly card: ModelCard;
  readonly staging: Staging;
}

/**
 * The verification steps in one streaming pass from the medium into a staging folder on the
 * local disk: what is installed later is exactly these staged, verified bytes, never a second read
 * of the medium. Admission takes its first look at the envelope, before any payload byte is used.
 */
export async function verifyIntoStaging(
  services: Pick<ImportServices, 'admission' | 'store' | 'limits'>,
  bundle: FoundBundle,
  options: WorkOptions,
): Promise<Verified> {
  // Opened once (a regular file within the bundle limit, checked on its descriptor) before
  // anything is made in the data directory.
  const { stream, size: total } = await openBundleFile(bundle.path, {
    limits: services.limits,
    followLinks: bundle.named,
    highWaterMark: 1 << 20,
  });
  let staging: Staging;
  try {
    staging = await services.store.newStaging();
  } catch (error) {
    stream.destroy();
    throw error;
  }
  try {
    const started = performance.now();
    let lastReport = 0;
    const read = await readBundle(stream, {
      admit: (envelope, statement) => services.admission.atEnvelope(envelope, statement),
      sink: (file) => staging.sink(file.path),
      limits: services.limits,
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
    // Every graph the card names (the model, each pipeline stage) is opened from its staged bytes
    // and the external data files it names, exactly as a run opens it from the store.
    for (const graph of graphsOf(card)) {
      const bytes = await readGraph(
        graph,
        read.files,
        (f) => staging.read(f.path),
        (f) =>
          new AirlockError(
            'DIGEST_MISMATCH',
            `The staged copy of ${f.path} no longer matches its signed digest: the local staging folder was changed during the import. Nothing was installed; check who can write to the data directory.`,
            { details: { file: f.path } },
          ),
      );
      const io = await readModelIo(bytes);
      if (graph === card.model) compareIo(card, io);
    }
    return { read, card, staging };
  } catch (error) {
    await staging.discard();
    throw error;
  }
}

/** The ONNX graphs a card names: its model and the model of each pipeline stage. */
function graphsOf(card: ModelCard): string[] {
  const stages = card.pipeline
    ? [card.pipeline.detect, card.pipeline.classify, card.pipeline.recognize].flatMap((s) =>
        s ? [s.model] : [],
      )
    : [];
  return [...new Set([card.model, ...stages])];
}

/** The whole admission verdict on a verified bundle (throws the refusal). */
export function admitVerified(services: Pick<ImportServices, 'admission'>, v: Verified): Allowed {
  return services.admission.forBundle(v.read.envelope, v.card, v.read.sha256);
}

function report(
  path: string,
  v: Partial<Verified>,
  verdict: Pick<Allowed, 'signers' | 'signatures'> | null,
  error: unknown,
): VerificationReport {
  return {
    path,
    ok: error === null,
    sha256: v.read?.sha256 ?? null,
    size: v.read?.size ?? 0,
    card: v.card ?? null,
    files: v.read?.files ?? [],
    signatures: verdict?.signatures ?? v.read?.signatures ?? [],
    signers: verdict?.signers ?? v.read?.signers ?? [],
    error: error === null ? null : toErrorInfo(error),
  };
}

/**
 * The verdict report of a refused bundle. What can still be shown (card, files, signers) is read
 * again without trust or payload checks; never used for a decision, empty when even that fails.
 */
async function refusedReport(
  services: Pick<ImportServices, 'admission'>,
  bundle: FoundBundle,
  error: unknown,
  verified: Verified | null,
): Promise<VerificationReport> {
  const { path } = bundle;
  if (verified) return report(path, verified, null, error);
  const seen = await inspectBundle(path, (e) => services.admission.describe(e), {
    followLinks: bundle.named,
  }).catch(() => null);
  return {
    ...report(path, { ...(seen ? { card: seen.card } : {}) }, null, error),
    files: seen?.files ?? [],
    signatures: seen?.signatures ?? [],
  };
}

/**
 * Checks a bundle against the trust store and this facility's import policy without installing
 * it: the verdict `import` would reach. Audited either way.
 */
export async function verifyBundle(
  services: Pick<ImportServices, 'admission' | 'store' | 'limits' | 'audit'>,
  actor: Actor,
  path: string,
  options: WorkOptions = {},
): Promise<VerificationReport> {
  // A path a person named (bundle:verify, "airlock bundle verify").
  const bundle: FoundBundle = { path, named: true };
  let verified: Verified | null = null;
  try {
    verified = await verifyIntoStaging(services, bundle, options);
    const verdict = admitVerified(services, verified);
    const result = report(path, verified, verdict, null);
    services.audit.append(actor, {
      action: 'bundle.verify',
      target: `${verified.card.name}@${verified.card.version}`,
      outcome: 'success',
      details: { file: basename(path), sha256: verified.read.sha256, signers: verdict.signers },
    });
    return result;
  } catch (error) {
    const result = await refusedReport(services, bundle, error, verified);
    if (result.error?.code === 'AUDIT_WRITE_FAILED') throw error;
    services.audit.append(actor, {
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

/**
 * Installs a verified bundle. Admission decides again inside the install transaction, under the
 * database write lock, so nothing (a revocation, another import, a used allowance) can change
 * between the verdict and the install. Blobs move into the store and the rows are written under
 * that lock: a crash leaves either nothing (orphan blobs are removed at the next start) or the
 * complete model.
 */
function install(
  services: ImportServices,
  actor: Actor,
  path: string,
  verified: Verified,
): { outcome: 'installed' | 'already-installed'; verdict: Allowed } {
  const { card, read, staging } = verified;
  const target = `${card.name}@${card.version}`;
  return services.audit.recorded<{ outcome: 'installed' | 'already-installed'; verdict: Allowed }>(
    actor,
    () => {
      const verdict = admitVerified(services, verified);
      if (verdict.outcome === 'already-installed')
        return {
          result: { outcome: 'already-installed' as const, verdict },
          event: {
            action: 'model.import',
            target,
            outcome: 'success',
            details: {
              file: basename(path),
              sha256: read.sha256,
              note: 'already installed; nothing changed',
            },
          },
        };
      const downgrade = verdict.downgrade
        ? useDowngrade(services, actor, card, verdict.downgrade.highWater)
        : null;
      services.store.commitSync(staging, read.files);
      services.registry.insert(
        {
          card,
          bundleSha256: read.sha256,
          envelope: read.envelope satisfies Envelope,
          signers: verdict.signers,
          files: read.files,
        },
        actor.name,
        services.now(),
      );
      return {
        result: { outcome: 'installed' as const, verdict },
        event: {
          action: 'model.install',
          target,
          outcome: 'success',
          details: {
            file: basename(path),
            sha256: read.sha256,
            size: read.size,
            signers: verdict.signers,
            publisher: card.publisher,
            files: read.files.map((f) => ({ path: f.path, sha256: f.sha256 })),
            ...(downgrade ? { downgrade } : {}),
          },
        },
      };
    },
  );
}

/** Marks the admin's one-time allowance that admission counted on as used (inside the install). */
function useDowngrade(
  services: Pick<ImportServices, 'policy' | 'now'>,
  actor: Actor,
  card: { name: string; version: string },
  highWater: string,
): { grantedBy: string; grantedAt: string; highWater: string } {
  const allowance = services.policy.openDowngrade(card.name, card.version)!;
  services.policy.useDowngrade(allowance, actor.name, services.now());
  return { grantedBy: allowance.grantedBy, grantedAt: allowance.grantedAt, highWater };
}

async function importOne(
  services: ImportServices,
  actor: Actor,
  bundle: FoundBundle,
  options: WorkOptions,
): Promise<ImportItem> {
  const { path } = bundle;
  let verified: Verified | null = null;
  try {
    verified = await verifyIntoStaging(services, bundle, options);
    const model = { name: verified.card.name, version: verified.card.version };
    options.onProgress?.({ phase: 'installing', done: 0, total: 1, rate: null, unit: 'steps' });
    const { outcome, verdict } = install(services, actor, path, verified);
    options.onProgress?.({ phase: 'installing', done: 1, total: 1, rate: null, unit: 'steps' });
    return { path, outcome, model, error: null, verification: report(path, verified, verdict, null) };
  } catch (error) {
    const info = toErrorInfo(error);
    if (info.code === 'AUDIT_WRITE_FAILED') throw error;
    const verification = await refusedReport(services, bundle, error, verified);
    const card = verification.card;
    services.audit.append(actor, {
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
  services: ImportServices,
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
    items.push(await importOne(services, actor, bundle, options));
  }
  return {
    items,
    installed: items.filter((i) => i.outcome === 'installed').length,
    rejected: items.filter((i) => i.outcome === 'rejected').length,
  };
}

/**
 * Reads the card, file list and signatures without a trust decision or payload check; `describe`
 * says which trusted key each signature belongs to (none: key ids only). The file is opened once
 * and checked like every bundle (a regular file within the default bundle limit).
 */
export async function inspectBundle(
  path: string,
  describe: ((envelope: Envelope) => BundleSignature[]) | null = null,
  options: { readonly followLinks?: boolean } = {},
): Promise<BundleInspection> {
  // A path a person named unless the caller found it by listing a folder (media scan).
  const { stream } = await openBundleFile(path, { followLinks: options.followLinks ?? true });
  const read = await readBundle(stream, { skipPayload: true });
  const card = parseCard(read.statement, read.files);
  return {
    path,
    size: read.size,
    sha256: read.sha256,
    card,
    files: read.statement.subject
      .map((s) => ({ path: s.name, size: s.annotations.size, sha256: s.digest.sha256 }))
      .sort((a, b) => a.path.localeCompare(b.path)),
    signatures: describe
      ? describe(read.envelope)
      : read.envelope.signatures.map((s) => ({ keyId: s.keyid, trustedAs: null, valid: null })),
  };
}
