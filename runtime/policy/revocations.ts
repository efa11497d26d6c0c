import type { Actor } from '../audit/audit-log.js';
import { REVOCATIONS_PAYLOAD_TYPE, revocationListSchema, type RevocationImport } from '../contract/policy.js';
import { recheckInstalled } from './recheck.js';
import { adminSigners, type RevocationServices } from './services.js';
import { readSignedDocument } from './signed-document.js';

/**
 * Imports a signed revocation list: revoked keys stop counting at once, and the revocation
 * re-check disables the installed models admission now refuses (a revoked bundle, or signatures
 * that no longer meet the policy without the revoked keys), in the same transaction as the record.
 */
export async function importRevocations(
  services: RevocationServices,
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
    return services.audit.attempt(actor, 'revocations.import', path, () => {
      throw error;
    });
  }
  const { document: list, envelope, sha256 } = signed;
  const target = `revocation list #${list.number}`;
  return services.audit.attempt(actor, 'revocations.import', target, () =>
    services.audit.recorded(actor, () => {
      const signers = adminSigners(services, envelope, 'revocation list');
      const already = services.policy.hasRevocationList(sha256);
      const added = already
        ? []
        : services.policy.insertRevocationList(
            { list, envelope, sha256, signers },
            actor.name,
            services.now(),
          );
      const disabled = recheckInstalled(services);
      return {
        result: { sha256, number: list.number, signers, added: added.length, disabled },
        event: {
          action: 'revocations.import',
          target,
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
    }),
  );
}
