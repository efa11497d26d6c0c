import type { Actor, AuditLog } from '../audit/audit-log.js';
import type { ErrorInfo } from '../contract/errors.js';
import { toErrorInfo } from '../errors.js';
import { accessFor, allowed } from './permissions.js';

/** Checks a call before its handler runs; returns the refusal as error data, or null to go on. */
export type Authorizer = (channel: string, actor: Actor) => ErrorInfo | null;

/** Where createHandlers keeps the authorizer (not a channel: a symbol, invisible to transports). */
export const AUTHORIZER: unique symbol = Symbol('airlock.authorizer');

/**
 * Least privilege for every transport: a call whose actor has no role (not signed in) gets
 * AUTH_REQUIRED, a call the role does not allow gets ROLE_FORBIDDEN, and either refusal is
 * written to the audit log first. If the refusal cannot be recorded, the caller gets
 * AUDIT_WRITE_FAILED instead (still refused).
 */
export function createAuthorizer(audit: Pick<AuditLog, 'append'>): Authorizer {
  return (channel, actor) => {
    if (allowed(channel, actor.role)) return null;
    const required = accessFor(channel);
    const code = actor.role === undefined ? 'AUTH_REQUIRED' : 'ROLE_FORBIDDEN';
    try {
      audit.append(actor, {
        action: 'auth.refused',
        target: channel,
        outcome: 'refused',
        details: { role: actor.role ?? null, required, code },
      });
    } catch (error) {
      return toErrorInfo(error);
    }
    const message =
      code === 'AUTH_REQUIRED'
        ? `Sign in first: "${channel}" needs an account. The attempt was recorded.`
        : `The ${actor.role} role may not use "${channel}" (it needs ${Array.isArray(required) ? required.join(' or ') : String(required)}). Ask an admin; the attempt was recorded.`;
    return { code, message, details: { channel, role: actor.role ?? null, required } };
  };
}

/** Attaches the authorizer to a handlers object for dispatch to find. */
export function withAuthorizer<T extends object>(handlers: T, authorizer: Authorizer): T {
  Object.defineProperty(handlers, AUTHORIZER, { value: authorizer, enumerable: false });
  return handlers;
}

/**
 * The hook dispatch runs before every handler. Handlers built without an authorizer (a bare
 * object in a unit test) still refuse every non-public call from an actor without a role.
 */
export function authorizeCall(handlers: object, channel: string, actor: Actor): ErrorInfo | null {
  const authorizer = (handlers as { [AUTHORIZER]?: Authorizer })[AUTHORIZER];
  if (authorizer) return authorizer(channel, actor);
  if (allowed(channel, actor.role)) return null;
  return {
    code: actor.role === undefined ? 'AUTH_REQUIRED' : 'ROLE_FORBIDDEN',
    message: `"${channel}" is not allowed for this caller.`,
    details: { channel },
  };
}
