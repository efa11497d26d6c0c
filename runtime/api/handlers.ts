import type { Airlock } from '../airlock.js';
import { channels, type ChannelName, type ParsedRequest, type Response } from '../contract/index.js';
import type { Result } from '../contract/errors.js';
import { z } from 'zod';
import { AirlockError, toErrorInfo } from '../errors.js';
import { importPath, inspectBundle, verifyBundle } from '../import/importer.js';
import type { CallContext } from './context.js';
import { authorizeCall, createAuthorizer, withAuthorizer } from '../auth/authorize.js';
import { createUsersHandlers } from '../auth/handlers.js';
import { createAuditExportHandlers } from '../audit/handlers.js';
import { basename } from 'node:path';
import { runModel } from './inference.js';
import { inputFileKind, readInputFile, tensorsFromFile } from '../run/input-file.js';
import { createHardwareHandlers } from './hardware-handlers.js';
import { createBenchHandlers } from './bench-handlers.js';
import { runImageTuned } from './tuned-image.js';
import { createPolicyHandlers } from './policy-handlers.js';
import { createMediaHandlers } from './media-handlers.js';
import { createJobsHandlers } from '../jobs/handlers.js';
import { createModelsAdminHandlers } from './models-handlers.js';

export type Handler<K extends ChannelName> = (
  request: ParsedRequest<K>,
  ctx: CallContext,
) => Promise<Response<K>>;
export type Handlers = { [K in ChannelName]: Handler<K> };

const VERSION = '0.1.0';

/** Runs `work` with an AbortController registered under the request's operationId (if any). */
async function cancellable<T>(
  airlock: Airlock,
  operationId: string | undefined,
  ctx: CallContext,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const onOuter = () => controller.abort(ctx.signal?.reason);
  ctx.signal?.addEventListener('abort', onOuter, { once: true });
  if (operationId) airlock.operations.set(operationId, controller);
  try {
    return await work(controller.signal);
  } finally {
    ctx.signal?.removeEventListener('abort', onOuter);
    if (operationId) airlock.operations.delete(operationId);
  }
}

/** The engine side of the contract: one handler per channel. */
export function createHandlers(airlock: Airlock): Handlers {
  return withAuthorizer(createAllHandlers(airlock), createAuthorizer(airlock));
}

function createAllHandlers(airlock: Airlock): Handlers {
  return {
    ...createJobsHandlers(airlock),
    ...createUsersHandlers(airlock),
    ...createAuditExportHandlers(airlock),
    ...createPolicyHandlers(airlock),
    ...createMediaHandlers(airlock),
    ...createHardwareHandlers(airlock),
    ...createBenchHandlers(airlock),
    ...createModelsAdminHandlers(airlock),
    'system:info': async () => ({
      version: VERSION,
      dataDir: airlock.paths.root,
      installationId: airlock.installationId,
      platform: `${process.platform}-${process.arch}`,
      node: process.versions.node,
    }),
    'operation:cancel': async ({ operationId }) => {
      const controller = airlock.operations.get(operationId);
      controller?.abort();
      return { cancelled: controller !== undefined };
    },
    'trust:list': async () => airlock.trust.list(),
    'trust:add': async (req, ctx) =>
      airlock.recorded(ctx.actor, () => {
        const key = airlock.trust.add(req, ctx.actor.name, airlock.now());
        return {
          result: key,
          event: {
            action: 'trust.key.add',
            target: key.name,
            outcome: 'success',
            details: { keyId: key.keyId, role: key.role },
          },
        };
      }),
    'trust:remove': async (req, ctx) =>
      airlock.recorded(ctx.actor, () => {
        const key = airlock.trust.remove(req.name);
        return {
          result: key,
          event: {
            action: 'trust.key.remove',
            target: key.name,
            outcome: 'success',
            details: { keyId: key.keyId, role: key.role },
          },
        };
      }),
    'bundle:inspect': async (req) => inspectBundle(req.path, airlock.trust),
    'bundle:verify': async (req, ctx) => verifyBundle(airlock, ctx.actor, req.path, { signal: ctx.signal }),
    'models:list': async (req) => airlock.registry.list().filter((m) => req.includeDisabled || m.enabled),
    'models:get': async (req) => airlock.registry.resolve(req.ref),
    'models:import': async (req, ctx) =>
      cancellable(airlock, req.operationId, ctx, (signal) =>
        importPath(airlock, ctx.actor, req.path, {
          signal,
          onProgress: (e) => ctx.onProgress?.({ ...e, operationId: req.operationId ?? 'import' }),
        }),
      ),
    'inference:run': async (req, ctx) => {
      if (req.image) return runImageTuned(airlock, ctx.actor, req.model, req.image, req.config);
      if (req.file) {
        const bytes = req.file.bytes ?? (await readInputFile(req.file.path!));
        const name = req.file.name ?? basename(req.file.path!);
        if (inputFileKind(name) === 'image')
          return runImageTuned(airlock, ctx.actor, req.model, { bytes, name }, req.config);
        const model = airlock.registry.resolve(req.model);
        const inputs = tensorsFromFile(bytes, name, model.card.inputs, req.model);
        return runModel(airlock, ctx.actor, req.model, inputs, req.config, req.batched);
      }
      return runModel(airlock, ctx.actor, req.model, req.inputs ?? {}, req.config, req.batched);
    },
    'audit:list': async (req) => airlock.audit.list(req),
    'audit:verify': async (_req, ctx) => {
      const result = airlock.audit.verify();
      airlock.audit.append(ctx.actor, {
        action: 'audit.verify',
        target: 'audit_log',
        outcome: result.ok ? 'success' : 'failure',
        details: { count: result.count, headHash: result.headHash, firstBroken: result.firstBroken },
      });
      return result;
    },
  };
}

/**
 * The one way into the engine for every transport: parse the request with the contract's schema,
 * call the handler, and return the result as data (never a thrown stack across the boundary).
 */
export async function dispatch<K extends ChannelName>(
  handlers: Handlers,
  name: K,
  request: unknown,
  ctx: CallContext,
): Promise<Result<Response<K>>> {
  const channel = channels[name];
  if (!channel) return { ok: false, error: { code: 'USAGE', message: `Unknown channel "${String(name)}".` } };
  // Least privilege (runtime/auth/permissions.ts): refused and audited before the handler runs.
  const refused = authorizeCall(handlers, name, ctx.actor);
  if (refused) return { ok: false, error: refused };
  const parsed = channel.request.safeParse(request ?? {});
  if (!parsed.success) {
    return {
      ok: false,
      error: { code: 'USAGE', message: `Invalid request for ${name}: ${z.prettifyError(parsed.error)}` },
    };
  }
  try {
    const handler = handlers[name] as Handler<K>;
    return { ok: true, value: await handler(parsed.data as ParsedRequest<K>, ctx) };
  } catch (error) {
    return { ok: false, error: toErrorInfo(error) };
  }
}

/** For in-process callers (CLI, tests): dispatch and throw the error back as an AirlockError. */
export async function call<K extends ChannelName>(
  handlers: Handlers,
  name: K,
  request: unknown,
  ctx: CallContext,
): Promise<Response<K>> {
  const result = await dispatch(handlers, name, request, ctx);
  if (result.ok) return result.value;
  throw new AirlockError(
    result.error.code,
    result.error.message,
    result.error.details ? { details: { ...result.error.details } } : {},
  );
}
