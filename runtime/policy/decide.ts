import type { KeyObject } from 'node:crypto';
import type { PolicyDocument, PolicyRule } from '../contract/policy.js';
import type { TrustDecision } from '../bundle/reader.js';

/** A publisher key that may count for a bundle: from the trust store or from the signed policy. */
export interface CandidateKey {
  readonly name: string;
  readonly keyId: string;
  readonly key: KeyObject;
  readonly source: 'trust-store' | 'policy';
}

/** Glob match over a model name: "*" any run of characters, "?" exactly one; the rest literal. */
export function matchPattern(pattern: string, name: string): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\-]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`).test(name);
}

export interface PolicyDecision extends TrustDecision {
  /** The rule that decided, or null for the default (every trusted publisher key). */
  readonly rule: PolicyRule | null;
}

/**
 * Which keys count for a model and how many must sign, as a pure function of the signed policy
 * (null: none applied yet), the candidate publisher keys and the revoked key ids. Revoked keys
 * never count, whatever the policy says. The first rule whose pattern matches the name decides.
 */
export function decideTrust(
  modelName: string,
  policy: PolicyDocument | null,
  candidates: readonly CandidateKey[],
  revoked: ReadonlySet<string>,
): PolicyDecision {
  const live = candidates.filter((k) => !revoked.has(k.keyId));
  const toMap = (list: readonly CandidateKey[]) =>
    new Map(list.map((k) => [k.keyId, { name: k.name, key: k.key }] as const));
  const rule = policy?.rules.find((r) => matchPattern(r.pattern, modelName)) ?? null;
  if (!rule) return { keys: toMap(live), threshold: policy?.defaultThreshold ?? 1, revoked, rule: null };
  const any = rule.keys.includes('*');
  const named = new Set(rule.keys);
  return {
    keys: toMap(any ? live : live.filter((k) => named.has(k.name))),
    threshold: rule.threshold,
    revoked,
    rule,
  };
}
