/** Builds signed policy documents and revocation lists with real Ed25519 keys for the tests. */
import { join } from 'node:path';
import {
  POLICY_PAYLOAD_TYPE,
  POLICY_TYPE,
  REVOCATIONS_PAYLOAD_TYPE,
  REVOCATIONS_TYPE,
  type PolicyDocumentInput,
  type RevocationListInput,
} from '../../runtime/contract/policy.js';
import { envelopeFor, signDocumentEnvelope, writeEnvelope } from '../../runtime/policy/signed-document.js';
import type { Publisher } from '../core/helpers.js';

export async function policyFile(
  dir: string,
  fields: Partial<PolicyDocumentInput> & { version: number },
  signers: readonly Publisher[],
): Promise<string> {
  const doc: PolicyDocumentInput = { _type: POLICY_TYPE, issued: '2026-01-01T00:00:00Z', ...fields };
  let envelope = envelopeFor(POLICY_PAYLOAD_TYPE, doc);
  for (const s of signers) envelope = signDocumentEnvelope(envelope, s.privateKeyPem);
  const file = join(dir, `policy-v${fields.version}-${Math.random().toString(36).slice(2)}.json`);
  await writeEnvelope(file, envelope);
  return file;
}

export async function revocationFile(
  dir: string,
  fields: Partial<RevocationListInput>,
  signers: readonly Publisher[],
): Promise<string> {
  const doc: RevocationListInput = {
    _type: REVOCATIONS_TYPE,
    number: 1,
    issued: '2026-01-01T00:00:00Z',
    ...fields,
  };
  let envelope = envelopeFor(REVOCATIONS_PAYLOAD_TYPE, doc);
  for (const s of signers) envelope = signDocumentEnvelope(envelope, s.privateKeyPem);
  const file = join(dir, `revocations-${Math.random().toString(36).slice(2)}.json`);
  await writeEnvelope(file, envelope);
  return file;
}

import { snapshot, type Env } from '../core/helpers.js';

/** snapshot() of the core tests plus the policy tables of migrations 0040 and 0100. */
export function fullSnapshot(env: Pick<Env, 'dataDir' | 'airlock'>): {
  files: Record<string, string>;
  rows: Record<string, unknown[]>;
} {
  const base = snapshot(env);
  for (const table of [
    'trust_policy',
    'trust_policy_resolved',
    'revocation_lists',
    'revocations',
    'downgrade_allowances',
  ]) {
    base.rows[table] = env.airlock.db.prepare(`SELECT * FROM ${table} ORDER BY 1, 2`).all();
  }
  return base;
}
