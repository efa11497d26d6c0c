import type { KeyObject } from 'node:crypto';
import type { AdmissionGate } from '../admission/gate.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Envelope } from '../crypto/dsse.js';
import { parsePublicKey } from '../crypto/keys.js';
import type { ModelRegistry } from '../store/model-registry.js';
import type { TrustStore } from '../trust/trust-store.js';
import type { PolicyStore } from './policy-store.js';
import { checkAdminSignatures } from './signed-document.js';

/** What applying policies, importing revocation lists and granting downgrades use. */
export interface PolicyServices {
  readonly trust: Pick<TrustStore, 'list'>;
  readonly policy: PolicyStore;
  readonly audit: Pick<AuditLog, 'append' | 'recorded' | 'attempt'>;
  readonly now: () => Date;
}

/** ...and what a revocation list does to installed models. */
export interface RevocationServices extends PolicyServices {
  readonly registry: Pick<ModelRegistry, 'list' | 'disable'>;
  readonly admission: Pick<AdmissionGate, 'forModel'>;
}

/**
 * The facility's admin keys, by key id: who may sign a policy or a revocation list. While a policy
 * is in force, the admin keys it was resolved to (never the trust store, which a single local admin
 * account could otherwise fill with keys of his own); before any, the trust store's.
 */
export function adminKeys(
  services: Pick<PolicyServices, 'trust' | 'policy'>,
): Map<string, { readonly name: string; readonly key: KeyObject }> {
  const current = services.policy.current();
  const admins = current ? current.resolved.admins : services.trust.list().filter((k) => k.role === 'admin');
  const map = new Map<string, { name: string; key: KeyObject }>();
  for (const k of admins)
    map.set(k.keyId, { name: k.name, key: parsePublicKey(k.publicKeyPem, `admin key "${k.name}"`) });
  return map;
}

/** Admin signatures a policy or revocation list needs: the current policy's threshold, 1 before any. */
export function adminThreshold(policy: Pick<PolicyStore, 'current'>): number {
  return policy.current()?.document.adminThreshold ?? 1;
}

/**
 * The admins whose valid signatures on a policy or revocation list count: the admin keys in force
 * (see adminKeys), never revoked ones, at least the current policy's admin threshold (throws
 * otherwise).
 */
export function adminSigners(
  services: Pick<PolicyServices, 'trust' | 'policy'>,
  envelope: Envelope,
  what: 'trust policy' | 'revocation list',
): string[] {
  return checkAdminSignatures(
    envelope,
    adminKeys(services),
    services.policy.revokedKeyIds(),
    adminThreshold(services.policy),
    what,
  );
}
