import type { Airlock } from '../airlock.js';
import { authorizeCall, createAuthorizer, withAuthorizer } from '../auth/authorize.js';
import { channels, type ChannelName, type Response } from '../contract/index.js';
import type { Result } from '../contract/errors.js';
import { z } from 'zod';
import { AirlockError, toErrorInfo } from '../errors.js';
import { auditHandlers } from './audit.js';
import { benchHandlers } from './bench.js';
import { bundleHandlers } from './bundle.js';
import type { CallContext } from './context.js';
import type { Handler, Handlers } from './handler.js';
import { hardwareHandlers } from './hardware.js';
import { inferenceHandlers } from './inference.js';
import { jobsHandlers } from './jobs.js';
import { mediaHandlers } from './media.js';
import { modelsHandlers } from './models.js';
import { policyHandlers } from './policy.js';
import { systemHandlers } from './system.js';
import { alertsHandlers } from './alerts.js';
import { tasksHandlers } from './tasks.js';
import { trustHandlers } from './trust.js';
import { usersHandlers } from './users.js';

export type { Handler, Handlers } from './handler.js';

type Merged<P extends readonly object[]> = P extends readonly [infer H, ...infer T extends readonly object[]]
  ? H & Merged<T>
  : unknown;
type Missing<P extends readonly object[]> = Exclude<ChannelName, keyof Merged<P>>;

/**
 * Joins the domains' handlers into one table. A channel served twice is refused when the engine
 * is composed (no silent override, as an object spread would do); a channel no domain serves
 * fails to compile, naming it.
 */
export function composeHandlers<const P extends readonly object[]>(
  ...parts: P & ([Missing<P>] extends [never] ? unknown : { readonly missingHandlers: Missing<P> })
): Handlers {
  const all: Record<string, unknown> = {};
  for (const part of parts as readonly object[]) {
    for (const [name, handler] of Object.entries(part)) {
      if (Object.hasOwn(all, name))
        throw new Error(`Two handlers for the channel "${name}": each channel has exactly one.`);
      all[name] = handler;
    }
  }
  return all as Handlers;
}

/** The engine side of the contract: one handler per channel, one file per contract domain. */
export function createHandlers(airlock: Airlock): Handlers {
  const handlers = composeHandlers(
    systemHandlers(airlock),
    trustHandlers(airlock),
    bundleHandlers(airlock),
    modelsHandlers(airlock),
    inferenceHandlers(airlock),
    jobsHandlers(airlock),
    hardwareHandlers(airlock),
    benchHandlers(airlock),
    auditHandlers(airlock),
    usersHandlers(airlock),
    policyHandlers(airlock),
    mediaHandlers(airlock),
    tasksHandlers(airlock),
    alertsHandlers(airlock),
  );
  return withAuthorizer(handlers, createAuthorizer(airlock.audit));
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
    return { ok: true, value: await handler(parsed.data as never, ctx) };
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
