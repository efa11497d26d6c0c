import {
  POLICY_PAYLOAD_TYPE,
  policyDocumentSchema,
  REVOCATIONS_PAYLOAD_TYPE,
  revocationListSchema,
  type PolicyDocument,
  type RevocationList,
} from '../contract/policy.js';
import type { ErrorInfo } from '../contract/errors.js';
import { toErrorInfo } from '../errors.js';
import { checkPolicyDocument } from './apply.js';
import { adminSigners, type PolicyServices } from './services.js';
import { parseSignedDocument, type SignedDocument } from './signed-document.js';

/** A policy or revocation list found on a medium, judged as applying or importing it would be. */
export interface DocumentVerdict {
  readonly kind: 'policy' | 'revocations';
  /** Policy version or revocation list number. */
  readonly number: number;
  readonly signers: readonly string[];
  readonly verdict: 'applicable' | 'already-applied' | 'refused';
  readonly error: ErrorInfo | null;
}

/**
 * Pure check of a signed document's bytes (nothing applied, nothing audited): null when the bytes
 * are not a policy or a revocation list at all (any other JSON file on a stick).
 */
export function judgeDocument(
  services: Pick<PolicyServices, 'trust' | 'policy'>,
  bytes: Buffer,
): DocumentVerdict | null {
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
      const { signers } = checkPolicyDocument(services, signed);
      return { kind: 'policy', number: signed.document.version, signers, verdict: 'applicable', error: null };
    } catch (error) {
      const info = toErrorInfo(error);
      const same =
        info.code === 'POLICY_OUTDATED' && services.policy.history().some((h) => h.sha256 === signed.sha256);
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
      const signers = adminSigners(services, signed.envelope, 'revocation list');
      const done = services.policy.hasRevocationList(signed.sha256);
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
