import type { Actor, AuditLog } from '../audit/audit-log.js';
import type { TrustKey } from '../contract/trust.js';
import { AirlockError, toErrorInfo } from '../errors.js';
import type { TrustStore } from '../trust/trust-store.js';
import type { PolicyStore } from './policy-store.js';

/** What adding and removing trusted keys use. */
export interface TrustChangeServices {
  readonly trust: Pick<TrustStore, 'add' | 'remove'>;
  readonly policy: Pick<PolicyStore, 'current'>;
  readonly audit: Pick<AuditLog, 'recorded' | 'attempt'>;
  readonly now: () => Date;
}

/**
 * The trust store is the facility's to fill until a signed policy is in force; from then on the
 * keys that count are the ones the policy was resolved to, and they change only through the next
 * policy, signed by the admin keys in force. A change of the trust store would mean nothing then
 * (admission and the admin check no longer read it), and a lone admin account must not be able to
 * stage keys for a later policy to adopt: refused, TRUST_STORE_LOCKED.
 */
function refuseWhileLocked(
  policy: TrustChangeServices['policy'],
  change: { op: 'add'; role: 'publisher' | 'admin' } | { op: 'remove' },
  name: string,
): void {
  const current = policy.current();
  if (!current) return;
  const signatures = `${current.resolved.adminThreshold} admin key(s) in force`;
  const how =
    change.op === 'remove'
      ? `To stop a key counting, leave it out of the next policy's "admins" (an admin key) or revoke it with a revocation list (a publisher key); both are signed by ${signatures}.`
      : change.role === 'admin'
        ? `To add an admin key, list it under "admins" in the next policy ("airlock trust policy create --admin NAME=PUBFILE"), signed by ${signatures}.`
        : `To trust a publisher key, add it to the next policy's "keys" ("airlock trust policy create --key NAME=PUBFILE"), signed by ${signatures}.`;
  throw new AirlockError(
    'TRUST_STORE_LOCKED',
    `The trust store cannot change while signed policy version ${current.version} is in force: the keys that count are the ones that policy names, by key id, and no single admin account changes them. ${how}`,
    { details: { policy: current.version, adminThreshold: current.resolved.adminThreshold, name } },
  );
}

/** Runs a trust-store change beside its record; a refusal by the lock is recorded as refused. */
function change<T>(
  services: TrustChangeServices,
  actor: Actor,
  action: string,
  target: string,
  work: () => T,
): T {
  try {
    return work();
  } catch (error) {
    if (toErrorInfo(error).code !== 'TRUST_STORE_LOCKED') throw error;
    return services.audit.attempt(actor, action, target, () => {
      throw error;
    });
  }
}

export function addTrustedKey(
  services: TrustChangeServices,
  actor: Actor,
  input: { name: string; publicKeyPem: string; role: 'publisher' | 'admin' },
): TrustKey {
  return change(services, actor, 'trust.key.add', input.name, () =>
    services.audit.recorded(actor, () => {
      // Checked under the write lock: a policy applied meanwhile cannot be slipped past.
      refuseWhileLocked(services.policy, { op: 'add', role: input.role }, input.name);
      const key = services.trust.add(input, actor.name, services.now());
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
  );
}

export function removeTrustedKey(services: TrustChangeServices, actor: Actor, name: string): TrustKey {
  return change(services, actor, 'trust.key.remove', name, () =>
    services.audit.recorded(actor, () => {
      refuseWhileLocked(services.policy, { op: 'remove' }, name);
      const key = services.trust.remove(name);
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
  );
}
