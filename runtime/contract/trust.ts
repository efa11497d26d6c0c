import { z } from 'zod';
import { channel } from './channel.js';

export interface TrustKey {
  readonly name: string;
  /** SHA-256 of the public key's SPKI DER, lower-case hex. */
  readonly keyId: string;
  readonly publicKeyPem: string;
  readonly role: 'publisher' | 'admin';
  readonly addedAt: string;
  readonly addedBy: string;
}

const keyName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a key name is 1-64 letters, digits, ".", "_" or "-"');

export const trustChannels = {
  'trust:list': channel<TrustKey[]>()(z.object({})),
  'trust:add': channel<TrustKey>()(
    z.object({
      name: keyName,
      publicKeyPem: z.string().min(1).max(10_000),
      role: z.enum(['publisher', 'admin']).default('publisher'),
    }),
  ),
  'trust:remove': channel<TrustKey>()(z.object({ name: keyName })),
};
