import { rmSync, statSync } from 'node:fs';
import type { AdmissionGate } from '../admission/gate.js';
import { refusal } from '../admission/gate.js';
import type { Actor, AuditLog } from '../audit/audit-log.js';
import type { InstalledModel, RemovedModel } from '../contract/models.js';
import type { Db } from '../db/database.js';
import { AirlockError } from '../errors.js';
import type { ModelRegistry } from './model-registry.js';
import type { ModelStore } from './model-store.js';

/** What disabling, enabling and removing installed models use. */
export interface ModelAdminServices {
  readonly db: Db;
  readonly registry: ModelRegistry;
  readonly store: Pick<ModelStore, 'blobPath'>;
  readonly admission: Pick<AdmissionGate, 'forModel'>;
  readonly audit: Pick<AuditLog, 'recorded' | 'attempt'>;
  /** Closes the sessions and workers holding a model's files (its runs stop at once). */
  readonly dropSessions: (model: InstalledModel) => Promise<void>;
}

/** Admin: stop a version from running. Kept installed; audited with the reason. */
export async function disableModel(
  services: ModelAdminServices,
  actor: Actor,
  ref: string,
  reason: string,
): Promise<InstalledModel> {
  const { registry, audit } = services;
  const model = audit.attempt(actor, 'model.disable', ref, () =>
    audit.recorded(actor, () => {
      const found = registry.resolve(ref);
      if (!found.enabled)
        throw new AirlockError(
          'MODEL_DISABLED',
          `${ref} is already disabled (${found.disabledReason ?? 'no reason recorded'}).`,
          { details: { ref } },
        );
      registry.disable(found.name, found.version, `by ${actor.name}: ${reason}`);
      return {
        result: registry.find(found.name, found.version)!,
        event: {
          action: 'model.disable',
          target: ref,
          outcome: 'success',
          details: { bundleSha256: found.bundleSha256, reason },
        },
      };
    }),
  );
  await services.dropSessions(model);
  return model;
}

/**
 * Admin: let a disabled version run again. Admission judges it as an import today would judge its
 * bundle (today's keys, policy and revocations): a model disabled by a revocation stays disabled,
 * one disabled by an admin comes back. Enabling an enabled version is a recorded no-op.
 */
export function enableModel(services: ModelAdminServices, actor: Actor, ref: string): InstalledModel {
  const { registry, audit, admission } = services;
  return audit.attempt(actor, 'model.enable', ref, () =>
    audit.recorded(actor, () => {
      const found = registry.resolve(ref);
      if (found.enabled)
        return {
          result: found,
          event: {
            action: 'model.enable',
            target: ref,
            outcome: 'success',
            details: { bundleSha256: found.bundleSha256, unchanged: 'already enabled' },
          },
        };
      const verdict = admission.forModel(found, 'enable');
      if (!verdict.allowed) throw refusal(verdict);
      registry.enable(found.name, found.version);
      return {
        result: registry.find(found.name, found.version)!,
        event: {
          action: 'model.enable',
          target: ref,
          outcome: 'success',
          details: { bundleSha256: found.bundleSha256, wasDisabledFor: found.disabledReason },
        },
      };
    }),
  );
}

/**
 * Admin: uninstall a version. Its rows and the audit record commit first; then its sessions close
 * and the files no other model shares leave the store. The high-water mark stays (rollback
 * protection).
 */
export async function removeModel(
  services: ModelAdminServices,
  actor: Actor,
  ref: string,
): Promise<RemovedModel> {
  const { registry, audit, store, db } = services;
  let model: InstalledModel | null = null;
  let orphans: string[] = [];
  const removed = audit.attempt(actor, 'model.remove', ref, () =>
    audit.recorded(actor, () => {
      const found = registry.resolve(ref);
      model = found;
      orphans = registry.remove(found.name, found.version);
      let bytesFreed = 0;
      for (const f of orphans) {
        try {
          bytesFreed += statSync(store.blobPath(f)).size;
        } catch {
          // Already gone: nothing to free.
        }
      }
      const result: RemovedModel = {
        name: found.name,
        version: found.version,
        bundleSha256: found.bundleSha256,
        blobsRemoved: orphans.length,
        bytesFreed,
        highWater: registry.highWater(found.name),
      };
      return {
        result,
        event: {
          action: 'model.remove',
          target: ref,
          outcome: 'success',
          details: {
            bundleSha256: found.bundleSha256,
            blobsRemoved: orphans.length,
            bytesFreed,
            highWater: result.highWater,
          },
        },
      };
    }),
  );
  // Sessions on the removed files close first (Windows cannot delete a file held open).
  if (model) await services.dropSessions(model);
  // The files go now, under the write lock and only while still unreferenced (an import may have
  // brought the same file back meanwhile). A file that cannot be deleted now (or a crash before
  // this point) is an unreferenced blob, which ModelStore.recover deletes at the next start:
  // never a model row without its files.
  try {
    db.transaction(() => {
      for (const f of orphans) {
        if (registry.blobInUse(f)) continue;
        try {
          rmSync(store.blobPath(f), { force: true });
        } catch {
          // Left for ModelStore.recover at the next start.
        }
      }
    }).immediate();
  } catch {
    // The database was busy: the same clean-up runs at the next start.
  }
  return removed;
}
