/**
 * RFC 7636 (S256 only) and the `state` value: random strings from Web Crypto, the challenge as
 * base64url(SHA-256(verifier)). No DOM here, so the same module runs in a unit test.
 */

export function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** 32 random bytes: a 43-character verifier, the shortest RFC 7636 §4.1 allows, 256 bits. */
export function randomVerifier(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

/** An unguessable `state` (RFC 6749 §10.12), 128 bits. */
export function randomState(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(16)));
}

export async function s256Challenge(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}
