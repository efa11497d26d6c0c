import { createHash } from 'node:crypto';
import { canonicalJson } from '../util/canonical-json.js';

/** SHA-256 of a JSON value in canonical form (sorted keys): the same result always hashes the same. */
export function canonicalDigest(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}
