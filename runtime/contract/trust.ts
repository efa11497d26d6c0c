import { z } from 'zod';
import { channel } from './channel.js';
import { KEY_NAME_PATTERN, keyNameSchema } from './policy.js';

export interface TrustKey {
  readonly name: string;
  /** SHA-256 of the public key's SPKI DER, lower-case hex. */
  readonly keyId: string;
  readonly publicKeyPem: string;
  readonly role: 'publisher' | 'admin';
  readonly addedAt: string;
  readonly addedBy: string;
}

const keyName = keyNameSchema;
/** Removing goes by any name the store may hold, including one written before names were checked. */
const storedKeyName = z
  .string()
  .regex(KEY_NAME_PATTERN, 'a key name is 1-64 letters, digits, ".", "_" or "-"');

/**
 * While a signed policy is in force the trust store does not change (TRUST_STORE_LOCKED): keys
 * are added, removed and renamed by the next policy, signed by the admin keys in force.
 */
export const trustChannels = {
  'trust:list': channel<TrustKey[]>()(z.object({})),
  'trust:add': channel<TrustKey>()(
    z.object({
      name: keyName,
      publicKeyPem: z.string().min(1).max(10_000),
      role: z.enum(['publisher', 'admin']).default('publisher'),
    }),
  ),
  'trust:remove': channel<TrustKey>()(z.object({ name: storedKeyName })),
};
