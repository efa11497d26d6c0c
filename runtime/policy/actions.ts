import { createHash } from 'node:crypto';
import semver from 'semver';
import type { Actor } from '../audit/audit-log.js';
import type { Airlock } from '../airlock.js';
import { checkSignatures } from '../bundle/reader.js';
import type { Statement } from '../bundle/statement.js';
import { SEMVER_PATTERN } from '../contract/card.js';
import {
  POLICY_PAYLOAD_TYPE,
  policyDocumentSchema,
  REVOCATIONS_PAYLOAD_TYPE,
  revocationListSchema,
  type DowngradeAllowance,
  type PolicyDocument,
  type PolicyVersion,
  type RevocationImport,
  type RevocationList,
} from '../contract/policy.js';
import { envelopeSchema, type Envelope } from '../crypto/dsse.js';
import { keyIdOf, parsePublicKey } from '../crypto/keys.js';
import { AirlockError, toErrorInfo } from '../errors.js';
import type { ResolvedKey } from '../trust/trust-store.js';
import { decideTrust, type CandidateKey, type PolicyDecision } from './decide.js';
import {
  checkAdminSignatures,
  parseSignedDocument,
  readSignedDocument,
  type SignedDocument,
} from './signed-document.js';

/** Publisher keys of the trust store plus those the current signed policy adds. */
export function candidateKeys(
  airlock: Airlock,
  policy: PolicyDocument | null = airlock.policy.current()?.document ?? null,
): CandidateKey[] {
  const out: CandidateKey[] = [...airlock.trust.publisherKeys().values()].map((k) => ({
    name: k.name,
    keyId: k.keyId,
    key: k.key,
    source: 'trust-store' as const,
  }));
  for (const k of policy?.keys ?? []) {
    const key = parsePublicKey(k.publicKeyPem, `policy key "${k.name}"`);
    out.push({ name: k.name, keyId: keyIdOf(key), key, source: 'policy' });
  }
  return out;
}

/** The facility's decision for the model a statement names (Airlock.trustDecision). */
export function policyDecision(airlock: Airlock, statement: Statement): PolicyDecision {
  const name = typeof statement.predicate['name'] === 'string' ? statement.predicate['name'] : '';
  const policy = airlock.policy.current()?.document ?? null;
  return decideTrust(name, policy, candidateKeys(airlock, policy), airlock.policy.revokedKeyIds());
}

function adminKeys(airlock: Airlock): Map<string, ResolvedKey> {
  const map = new Map<string, ResolvedKey>();
  for (const k of airlock.trust.list())
    if (k.role === 'admin')
      map.set(k.keyId, { ...k, key: parsePublicKey(k.publicKeyPem, `admin key "${k.name}"`) });
  return map;
}

function adminThreshold(airlock: Airlock): number {
  return airlock.policy.current()?.document.adminThreshold ?? 1;
}

/** Runs `work`; a refusal is audited under `action` with its reason before it is thrown on. */
export function auditedRefusal<T>(
  airlock: Airlock,
  actor: Actor,
  action: string,
  target: string,
  work: () => T,
): T {
  try {
    return work();
  } catch (error) {
    const info = toErrorInfo(error);
    if (info.code !== 'AUDIT_WRITE_FAILED')
      airlock.audit.append(actor, { action, target, outcome: 'refused', details: { error: info } });
    throw error;
  }
}

/** Everything applying a policy checks, without applying it; returns the admin signers. */
export function checkPolicyDocument(airlock: Airlock, signed: SignedDocument<PolicyDocument>): string[] {
  const { document, envelope } = signed;
  const signers = checkAdminSignatures(
    envelope,
    adminKeys(airlock),
    airlock.policy.revokedKeyIds(),
    adminThreshold(airlock),
    'trust policy',
  );
  for (const k of document.keys) parsePublicKey(k.publicKeyPem, `policy key "${k.name}"`);
  const current = airlock.policy.current();
  if (current && document.version <= current.version) {
    throw new AirlockError(
      'POLICY_OUTDATED',
      `This policy is version ${document.version}, but version ${current.version} is already in force here. An older or equal policy is never applied again (it could bring back a retired key); ask the admin for a policy above ${current.version}.`,
      { details: { offered: document.version, current: current.version } },
    );
  }
  return signers;
}

/**
 * Applies a signed policy: admin signatures (the current policy's admin threshold, 1 before any),
 * a version above the current one, every key in it a valid Ed25519 public key. Kept in history.
 */
export async function applyPolicy(airlock: Airlock, actor: Actor, path: string): Promise<PolicyVersion> {
  let signed;
  try {
    signed = await readSignedDocument(path, POLICY_PAYLOAD_TYPE, policyDocumentSchema, 'trust policy');
  } catch (error) {
    return auditedRefusal(airlock, actor, 'policy.apply', path, () => {
      throw error;
    });
  }
  const { document, envelope, sha256 } = signed;
  return auditedRefusal(airlock, actor, 'policy.apply', `policy v${document.version}`, () => {
    const signers = checkPolicyDocument(airlock, signed);
    const current = airlock.policy.current();
    return airlock.recorded(actor, () => {
      const applied = airlock.policy.insertPolicy(
        { document, envelope, sha256, signers },
        actor.name,
        airlock.now(),
      );
      return {
        result: applied,
        event: {
          action: 'policy.apply',
          target: `policy v${document.version}`,
          outcome: 'success',
          details: {
            sha256,
            signers,
            previous: current?.version ?? null,
            keys: document.keys.map((k) => k.name),
            rules: document.rules,
            defaultThreshold: document.defaultThreshold,
            adminThreshold: document.adminThreshold,
          },
        },
      };
    });
  });
}

/**
 * Imports a signed revocation list: revoked keys stop counting at once, and installed models
 * whose bundle is revoked, or whose signatures no longer meet their threshold without the revoked
 * keys, are disabled in the same transaction as the audit record.
 */
export async function importRevocations(
  airlock: Airlock,
  actor: Actor,
  path: string,
): Promise<RevocationImport> {
  let signed;
  try {
    signed = await readSignedDocument(
      path,
      REVOCATIONS_PAYLOAD_TYPE,
      revocationListSchema,
      'revocation list',
    );
  } catch (error) {
    return auditedRefusal(airlock, actor, 'revocations.import', path, () => {
      throw error;
    });
  }
  const { document: list, envelope, sha256 } = signed;
  return auditedRefusal(airlock, actor, 'revocations.import', `revocation list #${list.number}`, () => {
    const signers = checkAdminSignatures(
      envelope,
      adminKeys(airlock),
      airlock.policy.revokedKeyIds(),
      adminThreshold(airlock),
      'revocation list',
    );
    return airlock.recorded(actor, () => {
      const already = airlock.policy.hasRevocationList(sha256);
      const added = already
        ? []
        : airlock.policy.insertRevocationList({ list, envelope, sha256, signers }, actor.name, airlock.now());
      const newKeys = new Set(added.filter((r) => r.kind === 'key').map((r) => r.value));
      const disabled: { name: string; version: string; reason: string }[] = [];
      for (const model of airlock.registry.list()) {
        if (!model.enabled) continue;
        const stored = envelopeSchema.parse(airlock.registry.envelope(model.name, model.version));
        const bundle =
          airlock.policy.bundleRevocation(model.bundleSha256) ??
          airlock.policy.bundleRevocation(statementDigest(stored));
        let reason: string | null = bundle
          ? `bundle ${model.bundleSha256.slice(0, 16)}… revoked by revocation list #${list.number}${bundle.reason ? `: ${bundle.reason}` : ''}`
          : null;
        if (!reason && newKeys.size > 0) {
          const hit = stored.signatures.filter((s) => newKeys.has(s.keyid));
          if (hit.length > 0) {
            try {
              checkSignatures(
                stored,
                decideTrust(
                  model.name,
                  airlock.policy.current()?.document ?? null,
                  candidateKeys(airlock),
                  airlock.policy.revokedKeyIds(),
                ),
              );
            } catch {
              reason = `signed by revoked key ${hit[0]!.keyid.slice(0, 16)}… (revocation list #${list.number}); the remaining signatures do not meet the policy`;
            }
          }
        }
        if (reason && airlock.policy.disableModel(model.name, model.version, reason))
          disabled.push({ name: model.name, version: model.version, reason });
      }
      return {
        result: { sha256, number: list.number, signers, added: added.length, disabled },
        event: {
          action: 'revocations.import',
          target: `revocation list #${list.number}`,
          outcome: 'success',
          details: {
            sha256,
            signers,
            ...(already ? { note: 'already imported; nothing new' } : {}),
            revoked: added.map((r) => ({ kind: r.kind, value: r.value, reason: r.reason })),
            disabled,
          },
        },
      };
    });
  });
}

/** A one-time, audited permission to install NAME@VERSION below the high-water mark. */
export function allowDowngrade(
  airlock: Airlock,
  actor: Actor,
  name: string,
  version: string,
): DowngradeAllowance {
  if (!SEMVER_PATTERN.test(version))
    throw new AirlockError('USAGE', `"${version}" is not a semantic version (X.Y.Z).`);
  const high = airlock.registry.highWater(name);
  if (!high || !semver.lt(version, high)) {
    throw new AirlockError(
      'USAGE',
      `${name}@${version} is not below the high-water mark (${high ?? 'none: nothing was ever installed under that name'}); it needs no downgrade allowance.`,
      { details: { highWater: high } },
    );
  }
  return airlock.recorded(actor, () => {
    const allowance = airlock.policy.grantDowngrade(name, version, actor.name, airlock.now());
    return {
      result: allowance,
      event: {
        action: 'model.downgrade.allow',
        target: `${name}@${version}`,
        outcome: 'success',
        details: {
          highWater: high,
          note: 'one import of exactly this version may go below the high-water mark',
        },
      },
    };
  });
}

/**
 * Inside the install transaction: uses the open allowance when this version is below the
 * high-water mark (checkPolicy let it through only because one exists). Null when none applies.
 */
export function consumeDowngrade(
  airlock: Airlock,
  actor: Actor,
  card: { name: string; version: string },
): { grantedBy: string; grantedAt: string; highWater: string } | null {
  const high = airlock.registry.highWater(card.name);
  if (!high || !semver.lt(card.version, high)) return null;
  const allowance = airlock.policy.openDowngrade(card.name, card.version);
  if (!allowance)
    throw new AirlockError(
      'ROLLBACK',
      `${card.name}@${card.version} is older than ${high}; its downgrade allowance was used meanwhile. Nothing was installed.`,
      { details: { offered: card.version, highWater: high } },
    );
  airlock.policy.useDowngrade(allowance, actor.name, airlock.now());
  return { grantedBy: allowance.grantedBy, grantedAt: allowance.grantedAt, highWater: high };
}

/**
 * SHA-256 of a bundle's signed statement (the decoded DSSE payload). Unlike the file digest it
 * survives re-signing and repacking, so a revoked bundle stays revoked under either.
 */
export function statementDigest(envelope: Pick<Envelope, 'payload'>): string {
  return createHash('sha256').update(Buffer.from(envelope.payload, 'base64')).digest('hex');
}

/** REVOKED when the bundle's signed statement digest is on a revocation list. */
export function checkStatementRevocation(
  airlock: Airlock,
  envelope: Pick<Envelope, 'payload'>,
  label: string,
): void {
  const digest = statementDigest(envelope);
  const revoked = airlock.policy.bundleRevocation(digest);
  if (revoked) {
    throw new AirlockError(
      'REVOKED',
      `This bundle of ${label} carries a signed statement (${digest.slice(0, 16)}…) that this facility revoked${revoked.reason ? ` (${revoked.reason})` : ''}, whatever file it arrived in. It is never installed; ask the publisher for a replacement.`,
      { details: { statementSha256: digest, reason: revoked.reason } },
    );
  }
}

/** A policy or revocation list found on a medium, judged as applying or importing it would be. */
export interface DocumentVerdict {
  readonly kind: 'policy' | 'revocations';
  /** Policy version or revocation list number. */
  readonly number: number;
  readonly signers: readonly string[];
  readonly verdict: 'applicable' | 'already-applied' | 'refused';
  readonly error: ReturnType<typeof toErrorInfo> | null;
}

/**
 * Pure check of a signed document's bytes (nothing applied, nothing audited): null when the bytes
 * are not a policy or a revocation list at all (any other JSON file on a stick).
 */
export function judgeDocument(airlock: Airlock, bytes: Buffer): DocumentVerdict | null {
  let payloadType: unknown;
  try {
    payloadType = (JSON.parse(bytes.toString('utf8')) as { payloadType?: unknown }).payloadType;
  } catch {
    return null;
  }
  if (payloadType === POLICY_PAYLOAD_TYPE) {
    let signed: SignedDocument<PolicyDocument>;
    try {
      signed = parseSignedDocument(bytes, POLICY_PAYLOAD_TYPE, policyDocumentSchema, 'trust policy');
    } catch (error) {
      return { kind: 'policy', number: 0, signers: [], verdict: 'refused', error: toErrorInfo(error) };
    }
    try {
      const signers = checkPolicyDocument(airlock, signed);
      return { kind: 'policy', number: signed.document.version, signers, verdict: 'applicable', error: null };
    } catch (error) {
      const info = toErrorInfo(error);
      const same =
        info.code === 'POLICY_OUTDATED' && airlock.policy.history().some((h) => h.sha256 === signed.sha256);
      return {
        kind: 'policy',
        number: signed.document.version,
        signers: [],
        verdict: same ? 'already-applied' : 'refused',
        error: same ? null : info,
      };
    }
  }
  if (payloadType === REVOCATIONS_PAYLOAD_TYPE) {
    let signed: SignedDocument<RevocationList>;
    try {
      signed = parseSignedDocument(bytes, REVOCATIONS_PAYLOAD_TYPE, revocationListSchema, 'revocation list');
    } catch (error) {
      return { kind: 'revocations', number: 0, signers: [], verdict: 'refused', error: toErrorInfo(error) };
    }
    const number = signed.document.number;
    try {
      const signers = checkAdminSignatures(
        signed.envelope,
        adminKeys(airlock),
        airlock.policy.revokedKeyIds(),
        adminThreshold(airlock),
        'revocation list',
      );
      const done = airlock.policy.hasRevocationList(signed.sha256);
      return {
        kind: 'revocations',
        number,
        signers,
        verdict: done ? 'already-applied' : 'applicable',
        error: null,
      };
    } catch (error) {
      return { kind: 'revocations', number, signers: [], verdict: 'refused', error: toErrorInfo(error) };
    }
  }
  return null;
}
