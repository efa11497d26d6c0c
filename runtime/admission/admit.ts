import semver from 'semver';
import type { BundleSignature } from '../contract/bundle.js';
import type { ErrorCode } from '../contract/errors.js';
import type { ResolvedPolicy, ResolvedRule } from '../contract/policy.js';

/**
 * The one door: may this bundle be installed, may this model run here? A pure function over plain
 * data (no database, no clock, no crypto: the caller hands in the facts, signature checks
 * included), so every rule is in this file and its table-driven test beside it. Import, verify,
 * media scan, enable, the revocation re-check (at start and after a revocation list) and every run
 * ask it through runtime/admission/gate.ts; nothing else decides.
 */

/**
 * What is being asked.
 * - `envelope`: a bundle's first look, at its signed envelope before any payload byte is used
 *   (signatures and statement revocation only; the rest is not known yet).
 * - `install`: a bundle read whole (import, verify, media scan).
 * - `enable`: an installed model an admin wants back: judged under today's keys, policy and
 *   revocations as an import today would judge its bundle.
 * - `recheck`: an enabled model after revocations changed (at start, after a revocation list): a
 *   revoked bundle, or a revoked signer it cannot do without, disables it.
 * - `run`: a model about to run: it must be enabled and pass the re-check.
 */
export type AdmissionPurpose = 'envelope' | 'install' | 'enable' | 'recheck' | 'run';

/**
 * The signed policy in force as admission reads it: its rules with their keys resolved to key ids
 * when it was applied (runtime/policy/resolve.ts), and the default threshold.
 */
export type TrustPolicy = Pick<ResolvedPolicy, 'rules' | 'defaultThreshold'>;

/**
 * A publisher key that may count for a bundle: from the trust store (no policy in force) or the
 * keys the policy in force was resolved to. Matched by key id; the name is only for people.
 */
export interface CandidateKey {
  readonly name: string;
  readonly keyId: string;
  readonly source: 'trust-store' | 'policy';
}

/**
 * One signature of the envelope: `valid` says whether it verifies with the candidate key of that
 * id (checked by the caller over the DSSE pre-authentication encoding), null when no candidate
 * key has that id.
 */
export interface SignatureFact {
  readonly keyId: string;
  readonly valid: boolean | null;
}

export interface RevocationFact {
  readonly reason: string;
  /** The number of the revocation list that revoked it, when known. */
  readonly list: number | null;
}

export interface Revocations {
  /** Revoked key ids. */
  readonly keys: ReadonlyMap<string, RevocationFact>;
  /** Revoked bundles: file SHA-256 digests and signed-statement SHA-256 digests. */
  readonly bundles: ReadonlyMap<string, RevocationFact>;
}

/** What the signed statement says, and the digests that identify the bundle. */
export interface BundleFacts {
  readonly name: string;
  readonly version: string;
  /** The card's expiry (ISO 8601), if any. */
  readonly expires: string | null;
  /** SHA-256 of the decoded DSSE payload: survives repacking and re-signing. */
  readonly statementSha256: string;
  /** SHA-256 of the bundle file; null at the envelope look (not read yet). */
  readonly fileSha256: string | null;
  readonly signatures: readonly SignatureFact[];
}

/** What is installed under the bundle's name (install only). */
export interface InstalledFacts {
  /** The model installed from this very bundle file, if any. */
  readonly sameFile: { readonly name: string; readonly version: string } | null;
  /**
   * The installed version equal to this one under semantic-version precedence, if any, and the
   * bundle file it was installed from. Build metadata does not count (SemVer 2.0.0 §10): 1.0.0 and
   * 1.0.0+build are the same version, so one is a conflict for the other.
   */
  readonly sameVersion: { readonly version: string; readonly bundleSha256: string } | null;
  /** The highest version ever installed under the name (kept after removal). */
  readonly highWater: string | null;
  /** Whether an unused admin allowance exists for exactly NAME@VERSION below the high-water mark. */
  readonly downgradeAllowed: boolean;
}

/** An installed model's own state (run only). */
export interface ModelState {
  readonly enabled: boolean;
  readonly disabledReason: string | null;
}

interface CommonFacts {
  readonly bundle: BundleFacts;
  readonly keys: readonly CandidateKey[];
  /** The signed facility policy in force; null while none was applied. */
  readonly policy: TrustPolicy | null;
  readonly revocations: Revocations;
  /** Now, in milliseconds since the epoch, and the allowance for clocks that disagree. */
  readonly now: number;
  readonly clockSkewMs: number;
}

export type AdmissionFacts = CommonFacts &
  (
    | { readonly purpose: 'envelope' | 'enable' | 'recheck' }
    | { readonly purpose: 'install'; readonly installed: InstalledFacts }
    | { readonly purpose: 'run'; readonly model: ModelState }
  );

export interface Allowed {
  readonly allowed: true;
  /** install: new; already-installed: the same file is installed (nothing to do); admitted: other purposes. */
  readonly outcome: 'install' | 'already-installed' | 'admitted';
  /** Names of the keys whose valid signatures counted. */
  readonly signers: readonly string[];
  /** Every signature, with the counting key it belongs to (if any) and whether it verifies. */
  readonly signatures: readonly BundleSignature[];
  /** The policy rule that decided, or null for the default. */
  readonly rule: ResolvedRule | null;
  /** Set when an install goes below the high-water mark on an admin's one-time allowance. */
  readonly downgrade: { readonly highWater: string } | null;
}

export interface Refused {
  readonly allowed: false;
  readonly code: ErrorCode;
  /** What was wrong and what to do, for the person who asked. */
  readonly message: string;
  /** The short why, as a disabled model records it. */
  readonly reason: string;
  readonly details: Readonly<Record<string, unknown>>;
}

export type Admission = Allowed | Refused;

/** Glob match over a model name: "*" any run of characters, "?" exactly one; the rest literal. */
export function matchPattern(pattern: string, name: string): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\-]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`).test(name);
}

export interface CountingKeys {
  /** The keys whose signatures count for this model, by key id. */
  readonly keys: ReadonlyMap<string, { readonly name: string }>;
  readonly threshold: number;
  /** The rule that decided, or null for the default (every trusted publisher key). */
  readonly rule: ResolvedRule | null;
}

/**
 * Which keys count for a model and how many must sign: without a signed policy, every candidate
 * key and one signature; with one, the first rule whose pattern matches the name (its keys by key
 * id: a candidate of the same name but another key never counts), else the policy's default
 * threshold over every candidate. Revoked keys never count.
 */
export function decideTrust(
  modelName: string,
  policy: TrustPolicy | null,
  candidates: readonly CandidateKey[],
  revoked: { has(keyId: string): boolean },
): CountingKeys {
  const live = candidates.filter((k) => !revoked.has(k.keyId));
  const toMap = (list: readonly CandidateKey[]) =>
    new Map(list.map((k) => [k.keyId, { name: k.name }] as const));
  const rule = policy?.rules.find((r) => matchPattern(r.pattern, modelName)) ?? null;
  if (!rule) return { keys: toMap(live), threshold: policy?.defaultThreshold ?? 1, rule: null };
  const ids = rule.keyIds === '*' ? null : new Set(rule.keyIds);
  return {
    keys: toMap(ids === null ? live : live.filter((k) => ids.has(k.keyId))),
    threshold: rule.threshold,
    rule,
  };
}

const short = (hex: string) => `${hex.slice(0, 16)}…`;
const listNote = (r: RevocationFact) => (r.list === null ? '' : ` by revocation list #${r.list}`);
const because = (r: RevocationFact) => (r.reason ? ` (${r.reason})` : '');

interface Judged {
  readonly counting: CountingKeys;
  readonly signatures: readonly BundleSignature[];
  readonly signers: readonly string[];
}

function judgeSignatures(f: AdmissionFacts): Judged {
  const counting = decideTrust(f.bundle.name, f.policy, f.keys, f.revocations.keys);
  const signatures = f.bundle.signatures.map((s) => {
    const key = counting.keys.get(s.keyId);
    return { keyId: s.keyId, trustedAs: key?.name ?? null, valid: key ? s.valid === true : null };
  });
  const ids = new Set(signatures.filter((s) => s.valid === true).map((s) => s.keyId));
  return { counting, signatures, signers: [...ids].map((id) => counting.keys.get(id)!.name) };
}

type Rule = (f: AdmissionFacts, j: Judged, label: string) => Refused | null;

function refuse(
  code: ErrorCode,
  message: string,
  reason: string,
  details: Record<string, unknown> = {},
): Refused {
  return { allowed: false, code, message, reason, details };
}

/** Distinct valid signatures of counting keys, against the threshold of the rule in force. */
const signaturesRule: Rule = (f, { counting, signatures, signers }) => {
  if (signatures.length === 0)
    return refuse(
      'BUNDLE_UNSIGNED',
      'The bundle carries no signature. Ask the publisher to sign it with "airlock bundle sign"; unsigned bundles are never installed.',
      'the bundle carries no signature',
    );
  const short_ = signers.length < counting.threshold;
  const bad = signatures.find((s) => s.valid === false);
  if (bad && short_)
    return refuse(
      'SIGNATURE_INVALID',
      `The signature by trusted key "${bad.trustedAs}" does not match the bundle's contents: the card or file list was changed after signing. Do not import it; ask the publisher for a new copy.`,
      `the signature by "${bad.trustedAs}" does not verify`,
      { keyId: bad.keyId, signature: bad },
    );
  const revoked = f.bundle.signatures.filter((s) => f.revocations.keys.has(s.keyId));
  if (revoked.length > 0 && short_) {
    const first = f.revocations.keys.get(revoked[0]!.keyId)!;
    return refuse(
      'REVOKED',
      `The bundle is signed by a key this facility has revoked (${revoked.map((s) => short(s.keyId)).join(', ')}); revoked keys' signatures no longer count. Do not import it; ask the publisher for a bundle signed with a current key.`,
      `signed by revoked key ${short(revoked[0]!.keyId)}${first.list === null ? '' : ` (revocation list #${first.list})`}; the remaining signatures do not meet the policy`,
      { keyIds: revoked.map((s) => s.keyId) },
    );
  }
  if (signers.length === 0)
    return refuse(
      'UNTRUSTED_SIGNER',
      `No key in this facility's trust store signed the bundle (signed by ${signatures.map((s) => short(s.keyId)).join(', ')}). If you trust the publisher, an admin adds their public key with "airlock trust add"; otherwise do not import it.`,
      'no trusted key signed it',
      { keyIds: signatures.map((s) => s.keyId) },
    );
  if (short_)
    return refuse(
      'THRESHOLD_NOT_MET',
      `The bundle has ${signers.length} valid trusted signature(s) (${signers.join(', ')}) but this facility requires ${counting.threshold} distinct ones for this model. Ask for the bundle to be co-signed with "airlock bundle sign".`,
      `${signers.length} of the ${counting.threshold} signatures the policy requires`,
      { signers, threshold: counting.threshold },
    );
  return null;
};

/** An installed model keeps running after a key is revoked only if it does not need that key. */
const revokedSignersRule: Rule = (f, j, label) => {
  if (!f.bundle.signatures.some((s) => f.revocations.keys.has(s.keyId))) return null;
  const refused = signaturesRule(f, j, label);
  if (!refused) return null;
  const hit = f.bundle.signatures.find((s) => f.revocations.keys.has(s.keyId))!;
  const entry = f.revocations.keys.get(hit.keyId)!;
  return refuse(
    'REVOKED',
    `${label} is signed by key ${short(hit.keyId)}, which this facility revoked${listNote(entry)}${because(entry)}, and its other signatures do not meet the policy. It does not run; ask the publisher for a bundle signed with a current key.`,
    `signed by revoked key ${short(hit.keyId)}${entry.list === null ? '' : ` (revocation list #${entry.list})`}; the remaining signatures do not meet the policy`,
    { keyId: hit.keyId, because: refused.code },
  );
};

const statementRevokedRule: Rule = (f, _j, label) => {
  const digest = f.bundle.statementSha256;
  const entry = f.revocations.bundles.get(digest);
  if (!entry) return null;
  return refuse(
    'REVOKED',
    `This bundle of ${label} carries a signed statement (${short(digest)}) that this facility revoked${because(entry)}, whatever file it arrived in. It is never installed or run; ask the publisher for a replacement.`,
    `bundle statement ${short(digest)} revoked${listNote(entry)}${entry.reason ? `: ${entry.reason}` : ''}`,
    { statementSha256: digest, reason: entry.reason },
  );
};

const fileRevokedRule: Rule = (f, _j, label) => {
  const sha256 = f.bundle.fileSha256;
  const entry = sha256 === null ? undefined : f.revocations.bundles.get(sha256);
  if (!entry || sha256 === null) return null;
  return refuse(
    'REVOKED',
    `This bundle of ${label} (${short(sha256)}) was revoked by this facility${because(entry)}. It is never installed or run; ask the publisher for a replacement.`,
    `bundle ${short(sha256)} revoked${listNote(entry)}${entry.reason ? `: ${entry.reason}` : ''}`,
    { sha256, reason: entry.reason },
  );
};

const expiredRule: Rule = (f, _j, label) => {
  const { expires } = f.bundle;
  if (!expires || new Date(expires).getTime() + f.clockSkewMs >= f.now) return null;
  return refuse(
    'BUNDLE_EXPIRED',
    `${label} expired on ${expires} (allowing ${f.clockSkewMs / 60_000} minutes of clock skew). Ask the publisher for a current bundle; also check this machine's clock.`,
    `expired on ${expires}`,
    { expires },
  );
};

/** Versions: the same file again is nothing to do; a version is immutable; no silent rollback. */
function versionsRule(f: AdmissionFacts & { purpose: 'install' }, label: string): Refused | null {
  const { installed, bundle } = f;
  if (installed.sameFile) return null;
  const same = installed.sameVersion;
  if (same && same.version === bundle.version)
    return refuse(
      'VERSION_CONFLICT',
      `${label} is already installed from a different bundle (${short(same.bundleSha256)}). A version is immutable: the publisher must issue a new version number.`,
      'the same version is installed from another bundle',
      { installed: same.bundleSha256, offered: bundle.fileSha256 },
    );
  if (same)
    return refuse(
      'VERSION_CONFLICT',
      `${label} is the same version as the installed ${bundle.name}@${same.version} (${short(same.bundleSha256)}): build metadata after "+" does not count in a version's precedence, so the two could not be told apart as "latest". A version is immutable: the publisher must issue a new version number.`,
      `the same version as the installed ${same.version} (build metadata does not count)`,
      { installed: same.bundleSha256, installedVersion: same.version, offered: bundle.fileSha256 },
    );
  const high = installed.highWater;
  if (high && semver.lt(bundle.version, high) && !installed.downgradeAllowed)
    return refuse(
      'ROLLBACK',
      `${label} is older than ${high}, the highest version ever installed here. Installing it would be a rollback, which is refused; ask the publisher for ${high} or newer.`,
      `older than ${high}, the highest version installed here`,
      { offered: bundle.version, highWater: high },
    );
  return null;
}

const disabledRule = (f: AdmissionFacts & { purpose: 'run' }, label: string): Refused | null =>
  f.model.enabled
    ? null
    : refuse(
        'MODEL_DISABLED',
        `${label} is disabled (${f.model.disabledReason ?? 'by an admin'}); it cannot run.`,
        f.model.disabledReason ?? 'disabled by an admin',
        { ref: label },
      );

/** The rules each purpose applies, in the order they are tried; the first refusal decides. */
const RULES: Readonly<Record<AdmissionPurpose, readonly Rule[]>> = {
  envelope: [signaturesRule, statementRevokedRule],
  install: [signaturesRule, statementRevokedRule, fileRevokedRule, expiredRule],
  enable: [fileRevokedRule, statementRevokedRule, signaturesRule],
  recheck: [fileRevokedRule, statementRevokedRule, revokedSignersRule],
  run: [fileRevokedRule, statementRevokedRule, revokedSignersRule],
};

/** Decides; see the rules above. Never throws for a refusal: it is returned as data. */
export function admit(facts: AdmissionFacts): Admission {
  const label = `${facts.bundle.name}@${facts.bundle.version}`;
  if (facts.purpose === 'run') {
    const off = disabledRule(facts, label);
    if (off) return off;
  }
  const judged = judgeSignatures(facts);
  for (const rule of RULES[facts.purpose]) {
    const refused = rule(facts, judged, label);
    if (refused) return facts.purpose === 'enable' ? forEnable(refused, label) : refused;
  }
  let outcome: Allowed['outcome'] = 'admitted';
  let downgrade: Allowed['downgrade'] = null;
  if (facts.purpose === 'install') {
    const refused = versionsRule(facts, label);
    if (refused) return refused;
    const { highWater, sameFile } = facts.installed;
    outcome = sameFile ? 'already-installed' : 'install';
    if (!sameFile && highWater && semver.lt(facts.bundle.version, highWater)) downgrade = { highWater };
  }
  return {
    allowed: true,
    outcome,
    signers: judged.signers,
    signatures: judged.signatures,
    rule: judged.counting.rule,
    downgrade,
  };
}

function forEnable(refused: Refused, label: string): Refused {
  return {
    ...refused,
    message: `${label} cannot be enabled: under today's keys, policy and revocations its bundle would be refused. ${refused.message}`,
  };
}
