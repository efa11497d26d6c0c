import { rmSync, statSync } from 'node:fs';
import type { Airlock } from '../airlock.js';
import { checkSignatures } from '../bundle/reader.js';
import type { InstalledModel } from '../contract/models.js';
import { envelopeSchema } from '../crypto/dsse.js';
import { AirlockError } from '../errors.js';
import { auditedRefusal, checkStatementRevocation, policyDecision } from '../policy/actions.js';
import { decodeStatement } from '../bundle/statement.js';
import type { Handler } from './handlers.js';

type ModelsAdminChannel = 'models:disable' | 'models:enable' | 'models:remove';

/** The installed file's graph blob: the one the inference caches key their sessions by. */
function graphSha256(model: InstalledModel): string | null {
  return model.files.find((f) => f.path === model.card.model)?.sha256 ?? null;
}

async function dropSessions(airlock: Airlock, model: InstalledModel): Promise<void> {
  await airlock.inference.forget(model.bundleSha256);
  const graph = graphSha256(model);
  if (graph) await airlock.batching.forget(graph);
}

/**
 * Enabling re-checks the installed bundle as an import today would: not revoked (file or
 * statement), and its signatures still meet the current policy with the keys trusted now. A model
 * disabled by a revocation therefore stays disabled; one disabled by an admin comes back.
 */
function recheckTrust(airlock: Airlock, model: InstalledModel): void {
  const revoked = airlock.policy.bundleRevocation(model.bundleSha256);
  if (revoked)
    throw new AirlockError(
      'REVOKED',
      `${model.name}@${model.version} came in a bundle this facility revoked${revoked.reason ? ` (${revoked.reason})` : ''}; it cannot be enabled. Remove it, and import a replacement from the publisher.`,
      { details: { bundleSha256: model.bundleSha256 } },
    );
  const envelope = envelopeSchema.parse(airlock.registry.envelope(model.name, model.version));
  const label = `${model.name}@${model.version}`;
  try {
    checkStatementRevocation(airlock, envelope, label);
    checkSignatures(envelope, policyDecision(airlock, decodeStatement(envelope)));
  } catch (error) {
    if (!(error instanceof AirlockError)) throw error;
    throw new AirlockError(
      error.code,
      `${label} cannot be enabled: under today's keys, policy and revocations its bundle would be refused. ${error.message}`,
      { ...(error.details ? { details: { ...error.details } } : {}), cause: error },
    );
  }
}

/** Admin verbs on installed models: disable, enable, remove. Each is one audited transaction. */
export function createModelsAdminHandlers(airlock: Airlock): {
  [K in ModelsAdminChannel]: Handler<K>;
} {
  return {
    'models:disable': async (req, ctx) => {
      const model = auditedRefusal(airlock, ctx.actor, 'model.disable', req.ref, () =>
        airlock.recorded(ctx.actor, () => {
          const found = airlock.registry.resolve(req.ref);
          if (!found.enabled)
            throw new AirlockError(
              'MODEL_DISABLED',
              `${req.ref} is already disabled (${found.disabledReason ?? 'no reason recorded'}).`,
              { details: { ref: req.ref } },
            );
          airlock.policy.disableModel(found.name, found.version, `by ${ctx.actor.name}: ${req.reason}`);
          return {
            result: airlock.registry.find(found.name, found.version)!,
            event: {
              action: 'model.disable',
              target: req.ref,
              outcome: 'success',
              details: { bundleSha256: found.bundleSha256, reason: req.reason },
            },
          };
        }),
      );
      await dropSessions(airlock, model);
      return model;
    },
    'models:enable': async (req, ctx) =>
      auditedRefusal(airlock, ctx.actor, 'model.enable', req.ref, () =>
        airlock.recorded(ctx.actor, () => {
          const found = airlock.registry.resolve(req.ref);
          // Already enabled: nothing changes, and the record says so.
          if (found.enabled)
            return {
              result: found,
              event: {
                action: 'model.enable',
                target: req.ref,
                outcome: 'success',
                details: { bundleSha256: found.bundleSha256, unchanged: 'already enabled' },
              },
            };
          recheckTrust(airlock, found);
          airlock.db
            .prepare('UPDATE models SET enabled = 1, disabled_reason = NULL WHERE name = ? AND version = ?')
            .run(found.name, found.version);
          return {
            result: airlock.registry.find(found.name, found.version)!,
            event: {
              action: 'model.enable',
              target: req.ref,
              outcome: 'success',
              details: { bundleSha256: found.bundleSha256, wasDisabledFor: found.disabledReason },
            },
          };
        }),
      ),
    'models:remove': async (req, ctx) => {
      let model: InstalledModel | null = null;
      let orphans: string[] = [];
      const removed = auditedRefusal(airlock, ctx.actor, 'model.remove', req.ref, () =>
        airlock.recorded(ctx.actor, () => {
          const found = airlock.registry.resolve(req.ref);
          model = found;
          airlock.db
            .prepare('DELETE FROM models WHERE name = ? AND version = ?')
            .run(found.name, found.version);
          const shared = airlock.db.prepare('SELECT 1 FROM model_files WHERE sha256 = ? LIMIT 1').pluck();
          orphans = [...new Set(found.files.map((f) => f.sha256))].filter((f) => !shared.get(f));
          let bytesFreed = 0;
          for (const f of orphans) {
            try {
              bytesFreed += statSync(airlock.store.blobPath(f)).size;
            } catch {
              // Already gone: nothing to free.
            }
          }
          const result = {
            name: found.name,
            version: found.version,
            bundleSha256: found.bundleSha256,
            blobsRemoved: orphans.length,
            bytesFreed,
            highWater: airlock.registry.highWater(found.name),
          };
          return {
            result,
            event: {
              action: 'model.remove',
              target: req.ref,
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
      if (model) await dropSessions(airlock, model);
      // The rows and the audit record are committed; the files go now, under the write lock and
      // only while still unreferenced (an import may have brought the same file back meanwhile).
      // A file that cannot be deleted now (or a crash before this point) is an unreferenced blob,
      // which ModelStore.recover deletes at the next start: never a model row without its files.
      try {
        airlock.db
          .transaction(() => {
            const shared = airlock.db.prepare('SELECT 1 FROM model_files WHERE sha256 = ? LIMIT 1').pluck();
            for (const f of orphans) {
              if (shared.get(f)) continue;
              try {
                rmSync(airlock.store.blobPath(f), { force: true });
              } catch {
                // Left for ModelStore.recover at the next start.
              }
            }
          })
          .immediate();
      } catch {
        // The database was busy: the same clean-up runs at the next start.
      }
      return removed;
    },
  };
}
