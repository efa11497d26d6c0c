import type { Actor } from '../audit/audit-log.js';
import {
  POLICY_PAYLOAD_TYPE,
  policyDocumentSchema,
  type PolicyDocument,
  type PolicyVersion,
} from '../contract/policy.js';
import { parsePublicKey } from '../crypto/keys.js';
import { AirlockError } from '../errors.js';
import { adminSigners, type PolicyServices } from './services.js';
import { readSignedDocument, type SignedDocument } from './signed-document.js';

/** Everything applying a policy checks, without applying it; returns the admin signers. */
export function checkPolicyDocument(
  services: Pick<PolicyServices, 'trust' | 'policy'>,
  signed: SignedDocument<PolicyDocument>,
): string[] {
  const { document, envelope } = signed;
  const signers = adminSigners(services, envelope, 'trust policy');
  for (const k of document.keys) parsePublicKey(k.publicKeyPem, `policy key "${k.name}"`);
  const current = services.policy.current();
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
      const signers = checkPolicyDocument(services, signed);
      const current = services.policy.current();
      const applied = services.policy.insertPolicy(
        { document, envelope, sha256, signers },
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
          },
        },
      };
    }),
  );
}
