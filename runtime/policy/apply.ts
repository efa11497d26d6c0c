import type { Actor } from '../audit/audit-log.js';
import {
  POLICY_PAYLOAD_TYPE,
  policyDocumentSchema,
  type PolicyDocument,
  type PolicyVersion,
  type ResolvedPolicy,
} from '../contract/policy.js';
import { AirlockError } from '../errors.js';
import { resolvePolicy } from './resolve.js';
import { adminSigners, type PolicyServices } from './services.js';
import { readSignedDocument, type SignedDocument } from './signed-document.js';

/**
 * Everything applying a policy checks, without applying it: the admin signatures the policy in
 * force requires (by key id), a version above it, and what the policy resolves to here.
 */
export function checkPolicyDocument(
  services: Pick<PolicyServices, 'trust' | 'policy'>,
  signed: SignedDocument<PolicyDocument>,
): { signers: string[]; resolved: ResolvedPolicy } {
  const { document, envelope } = signed;
  const signers = adminSigners(services, envelope, 'trust policy');
  const current = services.policy.current();
  if (current && document.version <= current.version) {
    throw new AirlockError(
      'POLICY_OUTDATED',
      `This policy is version ${document.version}, but version ${current.version} is already in force here. An older or equal policy is never applied again (it could bring back a retired key); ask the admin for a policy above ${current.version}.`,
      { details: { offered: document.version, current: current.version } },
    );
  }
  const resolved = resolvePolicy(document, {
    previous: current?.resolved ?? null,
    trustStore: services.trust.list(),
    revoked: services.policy.revokedKeyIds(),
  });
  return { signers, resolved };
}

/**
 * Applies a signed policy: admin signatures (the current policy's admin threshold over its admin
 * keys; 1 over the trust store's before any), a version above the current one, every key in it a
 * valid Ed25519 public key and every rule entry one key. Kept in history, with what it resolved to.
 */
export async function applyPolicy(
  services: PolicyServices,
  actor: Actor,
  path: string,
): Promise<PolicyVersion> {
  let signed;
  try {
    signed = await readSignedDocument(path, POLICY_PAYLOAD_TYPE, policyDocumentSchema, 'trust policy');
  } catch (error) {
    return services.audit.attempt(actor, 'policy.apply', path, () => {
      throw error;
    });
  }
  const { document, envelope, sha256 } = signed;
  return services.audit.attempt(actor, 'policy.apply', `policy v${document.version}`, () =>
    services.audit.recorded(actor, () => {
      // Checked under the write lock: two admins applying at once cannot both pass.
      const current = services.policy.current();
      const { signers, resolved } = checkPolicyDocument(services, signed);
      const applied = services.policy.insertPolicy(
        { document, resolved, envelope, sha256, signers },
        actor.name,
        services.now(),
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
            // What it means here, by key id: the admin keys, the publisher keys, the rules.
            resolved: {
              admins: resolved.admins.map((k) => ({ name: k.name, keyId: k.keyId })),
              publishers: resolved.publishers.map((k) => ({
                name: k.name,
                keyId: k.keyId,
                source: k.source,
              })),
              rules: resolved.rules,
            },
          },
        },
      };
    }),
  );
}
