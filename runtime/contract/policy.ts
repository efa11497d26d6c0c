import { z } from 'zod';
import { channel } from './channel.js';

/**
 * The facility trust policy and revocation lists: JSON documents carried in DSSE envelopes signed
 * by facility admin keys (docs/trust-policy.md). The schemas live here so every layer shows the
 * same fields; verification and storage live in runtime/policy.
 */
export const POLICY_PAYLOAD_TYPE = 'application/vnd.airlock.policy+json';
export const POLICY_TYPE = 'https://airlock.invalid/trust-policy/v1';
export const REVOCATIONS_PAYLOAD_TYPE = 'application/vnd.airlock.revocations+json';
export const REVOCATIONS_TYPE = 'https://airlock.invalid/revocations/v1';

/** A key id: SHA-256 of the public key's SPKI DER, 64 lower-case hex characters. */
export const KEY_ID_PATTERN = /^[0-9a-f]{64}$/;
/** A key's name: never 64 hex characters, so that a rule entry is unambiguously a name or a key id. */
export const KEY_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const keyNameSchema = z
  .string()
  .regex(KEY_NAME_PATTERN, 'a key name is 1-64 letters, digits, ".", "_" or "-"')
  .refine(
    (s) => !KEY_ID_PATTERN.test(s),
    'a key name cannot be 64 hex characters: that is how a key id is written',
  );
const keyName = keyNameSchema;
const sha256Hex = z
  .string()
  .regex(KEY_ID_PATTERN, 'a sha256 digest or key id is 64 lower-case hex characters');
const publicKeyEntry = z.strictObject({ name: keyName, publicKeyPem: z.string().min(1).max(10_000) });
/** Glob over model names: lower-case name characters plus "*" (any run) and "?" (one character). */
export const modelPatternSchema = z
  .string()
  .regex(
    /^[a-z0-9._*?-]{1,64}$/,
    'a model pattern is 1-64 characters: model-name characters plus "*" and "?"',
  );

export const policyRuleSchema = z.strictObject({
  pattern: modelPatternSchema,
  /**
   * The publisher keys whose signatures count: key ids (what `airlock trust policy create` writes
   * for the keys it is given), or names of keys of the policy or of the trust store, which are
   * resolved to key ids when the policy is applied and stored by id; "*" = any key that counts.
   */
  keys: z
    .array(z.union([sha256Hex, keyName, z.literal('*')]))
    .min(1)
    .max(64),
  /** Distinct counted signatures required. */
  threshold: z.number().int().min(1).max(64),
});
export type PolicyRule = z.infer<typeof policyRuleSchema>;

export const policyDocumentSchema = z
  .strictObject({
    _type: z.literal(POLICY_TYPE),
    /** Strictly increasing: a policy whose version is not above the current one is refused. */
    version: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
    issued: z.iso.datetime({ offset: true }),
    /** Admin signatures a later policy or a revocation list needs. */
    adminThreshold: z.number().int().min(1).max(16).default(1),
    /**
     * The admin keys whose signatures count for the next policy and for revocation lists, from
     * this version on. Omitted: unchanged (the policy in force's, or for the first policy the
     * trust store's admin keys). Once a policy is in force this is the only way to add or remove
     * an admin key: it needs the signatures of the admins in force.
     */
    admins: z.array(publicKeyEntry).min(1).max(16).optional(),
    /** Publisher keys this policy trusts (key rotation: add the new one here and re-sign). */
    keys: z.array(publicKeyEntry).max(256).default([]),
    /** First rule whose pattern matches the model name decides; otherwise the default applies. */
    rules: z.array(policyRuleSchema).max(256).default([]),
    /** Signatures required from any trusted publisher key for models no rule matches. */
    defaultThreshold: z.number().int().min(1).max(64).default(1),
  })
  .superRefine((doc, ctx) => {
    const names = new Set<string>();
    for (const k of doc.keys) {
      if (names.has(k.name))
        ctx.addIssue({ code: 'custom', message: `key "${k.name}" is listed twice`, path: ['keys'] });
      names.add(k.name);
    }
    const admins = new Set<string>();
    for (const k of doc.admins ?? []) {
      if (admins.has(k.name))
        ctx.addIssue({ code: 'custom', message: `admin key "${k.name}" is listed twice`, path: ['admins'] });
      admins.add(k.name);
    }
    if (doc.admins && doc.adminThreshold > doc.admins.length)
      ctx.addIssue({
        code: 'custom',
        message: `adminThreshold ${doc.adminThreshold} is more than the ${doc.admins.length} admin key(s) the policy lists: no later policy or revocation list could ever be signed`,
        path: ['adminThreshold'],
      });
    doc.rules.forEach((r, i) => {
      if (!r.keys.includes('*') && r.threshold > new Set(r.keys).size) {
        ctx.addIssue({
          code: 'custom',
          message: `rule "${r.pattern}" needs ${r.threshold} signatures but names only ${new Set(r.keys).size} key(s)`,
          path: ['rules', i, 'threshold'],
        });
      }
    });
  });
export type PolicyDocument = z.infer<typeof policyDocumentSchema>;
export type PolicyDocumentInput = z.input<typeof policyDocumentSchema>;

export const revocationListSchema = z.strictObject({
  _type: z.literal(REVOCATIONS_TYPE),
  /** The issuer's own sequence number; shown, and a list is imported once (by digest). */
  number: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  issued: z.iso.datetime({ offset: true }),
  keys: z
    .array(z.strictObject({ keyId: sha256Hex, reason: z.string().max(500).default('') }))
    .max(10_000)
    .default([]),
  bundles: z
    .array(z.strictObject({ sha256: sha256Hex, reason: z.string().max(500).default('') }))
    .max(10_000)
    .default([]),
});
export type RevocationList = z.infer<typeof revocationListSchema>;
export type RevocationListInput = z.input<typeof revocationListSchema>;

export interface PolicyVersion {
  readonly version: number;
  readonly issued: string;
  /** SHA-256 of the envelope file as applied. */
  readonly sha256: string;
  readonly appliedAt: string;
  readonly appliedBy: string;
  /** Names of the admin keys whose signatures counted. */
  readonly signers: readonly string[];
}

/** A key as the policy in force holds it: bound by key id, the name only for people. */
export interface PolicyKey {
  readonly name: string;
  readonly keyId: string;
  readonly publicKeyPem: string;
}

/** A rule with its keys resolved to key ids when the policy was applied. */
export interface ResolvedRule {
  readonly pattern: string;
  /** Key ids whose valid signatures count, or "*": any publisher key the policy trusts. */
  readonly keyIds: readonly string[] | '*';
  readonly threshold: number;
}

/**
 * What a policy means on this installation, fixed when it was applied (and stored beside it):
 * every key that counts, by key id. Admission and the admin-signature check read only this while
 * a policy is in force; the trust store is read once, when the first policy is applied.
 */
export interface ResolvedPolicy {
  readonly version: number;
  readonly adminThreshold: number;
  readonly defaultThreshold: number;
  /** The admin keys that sign the next policy and revocation lists. */
  readonly admins: readonly PolicyKey[];
  /** The publisher keys that count: adopted from the trust store, and the policy's own `keys`. */
  readonly publishers: readonly (PolicyKey & { readonly source: 'trust-store' | 'policy' })[];
  readonly rules: readonly ResolvedRule[];
}

export interface PolicyView {
  /** Null while no signed policy was applied: every trusted publisher key counts, one signature. */
  readonly current:
    (PolicyVersion & { readonly document: PolicyDocument; readonly resolved: ResolvedPolicy }) | null;
  readonly history: readonly PolicyVersion[];
}

export interface Revocation {
  readonly kind: 'key' | 'bundle';
  /** A key id or a bundle SHA-256. */
  readonly value: string;
  readonly reason: string;
  readonly listSha256: string;
  readonly importedAt: string;
}

export interface RevocationImport {
  readonly sha256: string;
  readonly number: number;
  readonly signers: readonly string[];
  /** Entries new to this installation. */
  readonly added: number;
  /** Installed models disabled by this list. */
  readonly disabled: readonly { readonly name: string; readonly version: string; readonly reason: string }[];
}

export interface DowngradeAllowance {
  readonly name: string;
  readonly version: string;
  readonly grantedAt: string;
  readonly grantedBy: string;
  readonly usedAt: string | null;
}

const pathSchema = z.string().min(1).max(4096);

export const policyChannels = {
  'policy:show': channel<PolicyView>()(z.object({})),
  /** Applies a signed policy file (admin signatures, version above the current one). */
  'policy:apply': channel<PolicyVersion>()(z.object({ path: pathSchema })),
  /** Lets NAME@VERSION be installed once even though it is below the high-water mark. */
  'policy:allow-downgrade': channel<DowngradeAllowance>()(
    z.object({ name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/), version: z.string().min(1).max(100) }),
  ),
  'revocations:list': channel<Revocation[]>()(z.object({})),
  /** Imports a signed revocation list and disables matching installed models at once. */
  'revocations:import': channel<RevocationImport>()(z.object({ path: pathSchema })),
};
