import {
  KEY_ID_PATTERN,
  type PolicyDocument,
  type PolicyKey,
  type ResolvedPolicy,
  type ResolvedRule,
} from '../contract/policy.js';
import type { TrustKey } from '../contract/trust.js';
import { keyIdOf, parsePublicKey, publicKeyPem } from '../crypto/keys.js';
import { AirlockError } from '../errors.js';

/** What a policy is resolved against when it is applied. */
export interface ResolveBase {
  /** The policy in force, or null: the first policy adopts the trust store's keys. */
  readonly previous: ResolvedPolicy | null;
  /** The trust store, read only for the first policy (later it cannot change: TRUST_STORE_LOCKED). */
  readonly trustStore: readonly TrustKey[];
  /** Revoked key ids: they never count, so they do not count towards the admin threshold either. */
  readonly revoked: ReadonlySet<string>;
}

type Publisher = ResolvedPolicy['publishers'][number];

function invalid(message: string, details: Record<string, unknown> = {}): AirlockError {
  return new AirlockError('POLICY_INVALID', message, { details });
}

function own(entry: { name: string; publicKeyPem: string }, label: string): PolicyKey {
  const key = parsePublicKey(entry.publicKeyPem, `${label} "${entry.name}"`);
  return { name: entry.name, keyId: keyIdOf(key), publicKeyPem: publicKeyPem(key) };
}

/**
 * What a signed policy means here, fixed once when it is applied: every key that counts, by key
 * id. Pure over its inputs (no database, no clock); refuses with POLICY_INVALID what could not be
 * meant (a rule naming a key nobody holds or two keys, a key that is both admin and publisher, an
 * admin threshold no set of live admin keys could meet).
 *
 * - Publisher keys: those adopted from the trust store when the first policy was applied (carried
 *   from version to version), and the policy's own `keys`.
 * - Admin keys: the policy's `admins` if it lists them, else those of the policy in force (for the
 *   first policy, the trust store's admin keys).
 * - Rules: each entry is a key id, a name (of exactly one publisher key above) or "*".
 */
export function resolvePolicy(document: PolicyDocument, base: ResolveBase): ResolvedPolicy {
  const adopted: Publisher[] = base.previous
    ? base.previous.publishers.filter((k) => k.source === 'trust-store')
    : base.trustStore
        .filter((k) => k.role === 'publisher')
        .map((k) => ({ name: k.name, keyId: k.keyId, publicKeyPem: k.publicKeyPem, source: 'trust-store' }));
  const mine: Publisher[] = document.keys.map((k) => ({ ...own(k, 'policy key'), source: 'policy' }));

  const byName = new Map<string, Set<string>>();
  for (const k of [...adopted, ...mine]) byName.set(k.name, (byName.get(k.name) ?? new Set()).add(k.keyId));
  const publishers: Publisher[] = [];
  const publisherIds = new Set<string>();
  for (const k of [...adopted, ...mine]) {
    if (publisherIds.has(k.keyId)) continue;
    publisherIds.add(k.keyId);
    publishers.push(k);
  }

  let admins: readonly PolicyKey[];
  if (document.admins) {
    admins = document.admins.map((k) => own(k, 'admin key'));
    const seen = new Set<string>();
    for (const a of admins) {
      if (seen.has(a.keyId))
        throw invalid(`The policy lists the same admin key twice (as "${a.name}" and another name).`, {
          keyId: a.keyId,
        });
      seen.add(a.keyId);
    }
  } else if (base.previous) {
    admins = base.previous.admins;
  } else {
    admins = base.trustStore
      .filter((k) => k.role === 'admin')
      .map((k) => ({ name: k.name, keyId: k.keyId, publicKeyPem: k.publicKeyPem }));
  }
  const both = admins.find((a) => publisherIds.has(a.keyId));
  if (both)
    throw invalid(
      `Key "${both.name}" (${both.keyId.slice(0, 16)}…) would be both an admin key and a publisher key. A key signs either bundles or the facility's policy and revocation lists, never both; use two keys.`,
      { keyId: both.keyId },
    );
  const live = admins.filter((a) => !base.revoked.has(a.keyId));
  if (live.length < document.adminThreshold)
    throw invalid(
      `The policy needs ${document.adminThreshold} admin signature(s) for the next policy and for revocation lists, but only ${live.length} admin key(s) that are not revoked would count (${live.map((a) => a.name).join(', ') || 'none'}). Applying it would lock this facility out of every later change; list enough keys under "admins" or lower "adminThreshold".`,
      { adminThreshold: document.adminThreshold, admins: live.map((a) => a.keyId) },
    );

  const rules: ResolvedRule[] = document.rules.map((rule) => {
    if (rule.keys.includes('*')) return { pattern: rule.pattern, keyIds: '*', threshold: rule.threshold };
    const ids = new Set<string>();
    for (const entry of rule.keys) {
      if (KEY_ID_PATTERN.test(entry)) {
        if (!publisherIds.has(entry))
          throw invalid(
            `Rule "${rule.pattern}" names key id ${entry.slice(0, 16)}…, which is neither one of the policy's keys nor a publisher key of this trust store${base.previous ? ' as adopted by the first policy' : ''}. Add it to the policy's "keys".`,
            { pattern: rule.pattern, keyId: entry },
          );
        ids.add(entry);
        continue;
      }
      const named = byName.get(entry);
      if (!named)
        throw invalid(
          `Rule "${rule.pattern}" names key "${entry}", but no publisher key of the policy or of this trust store${base.previous ? ' (as adopted by the first policy)' : ''} has that name${admins.some((a) => a.name === entry) ? ' (an admin key never counts for a bundle)' : ''}. Name the key by its key id, or add it to the policy's "keys".`,
          { pattern: rule.pattern, name: entry },
        );
      if (named.size > 1)
        throw invalid(
          `Rule "${rule.pattern}" names key "${entry}", which is the name of ${named.size} different keys here (the policy's and the trust store's). Name the key by its key id.`,
          { pattern: rule.pattern, name: entry, keyIds: [...named] },
        );
      ids.add([...named][0]!);
    }
    if (ids.size < rule.threshold)
      throw invalid(
        `Rule "${rule.pattern}" needs ${rule.threshold} signatures but its entries are only ${ids.size} distinct key(s).`,
        { pattern: rule.pattern, keyIds: [...ids] },
      );
    return { pattern: rule.pattern, keyIds: [...ids], threshold: rule.threshold };
  });

  return {
    version: document.version,
    adminThreshold: document.adminThreshold,
    defaultThreshold: document.defaultThreshold,
    admins,
    publishers,
    rules,
  };
}
