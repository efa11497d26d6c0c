/**
 * The key id the engine gives a public key (runtime/crypto/keys.ts keyIdOf): SHA-256 of its
 * SubjectPublicKeyInfo DER, lower-case hex. A "BEGIN PUBLIC KEY" PEM is that DER in base64, so
 * the renderer computes the same id with WebCrypto before anything is sent to the engine.
 */
export const MAX_KEY_FILE = 64 * 1024;

export function pemToDer(pem: string): Uint8Array | null {
  const m = /-----BEGIN PUBLIC KEY-----([\s\S]*?)-----END PUBLIC KEY-----/.exec(pem);
  if (!m) return null;
  const body = m[1]!.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body)) return null;
  try {
    const bin = atob(body);
    const der = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) der[i] = bin.charCodeAt(i);
    return der;
  } catch {
    return null;
  }
}

export async function keyIdOfPem(pem: string): Promise<string | null> {
  const der = pemToDer(pem);
  if (!der) return null;
  const digest = await crypto.subtle.digest('SHA-256', der as BufferSource);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** 64 hex digits in groups of four, for reading aloud against the publisher's copy. */
export function grouped(keyId: string): string {
  return keyId.match(/.{1,4}/g)?.join(' ') ?? keyId;
}
