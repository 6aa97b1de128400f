/**
 * Client secrets at rest: `hmac-sha256$<salt>$<mac>` (base64url), the MAC being HMAC-SHA-256 keyed
 * by a random 16-byte salt of the client's own over the secret, compared in constant time.
 *
 * Why not a slow password hash: registration issues 256-bit random secrets, so nobody holding the
 * table can guess one however fast each guess is, and a 37 ms scrypt per attempt only handed junk
 * requests a lever to exhaust the token function (issue 16). People's passwords are low-entropy and
 * keep scrypt (./secret-hash, used by ../users).
 *
 * Why no pepper: it would protect only guessable secrets, which this format refuses to store
 * (CLIENT_SECRET_MIN_LENGTH); and the only safe home for one (a KMS-encrypted parameter only the
 * token service and the registration role could decrypt) would add a cold-start call and a second
 * secret to rotate, for no gain against a table leak.
 *
 * Hashes written before this format (`scrypt$…`) still verify, at their old cost, so existing
 * deployments keep working. They are not rewritten on a successful sign-in: the token service only
 * reads the clients table (least privilege). Migration: re-issue each such client's secret with
 * `npm run client:register -- --rotate-secret` (../clients/registration `rotateClientSecret`).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { verifySecret } from './secret-hash';

const PREFIX = 'hmac-sha256';
const SALT_BYTES = 16;
const MAC_BYTES = 32;

/**
 * Shortest secret stored with the fast hash. Registration issues 43 characters (32 random bytes,
 * base64url); anything shorter may have been chosen by a person and needs a slow hash.
 */
export const CLIENT_SECRET_MIN_LENGTH = 32;

function mac(secret: string, salt: Buffer): Buffer {
  return createHmac('sha256', salt).update(secret, 'utf8').digest();
}

/** Hashes a client secret for the clients table; refuses secrets too short to be random ones. */
export async function hashClientSecret(secret: string): Promise<string> {
  if (secret.length < CLIENT_SECRET_MIN_LENGTH) {
    throw new Error(
      `client secrets must be at least ${CLIENT_SECRET_MIN_LENGTH} characters of random data`,
    );
  }
  const salt = randomBytes(SALT_BYTES);
  return [PREFIX, salt.toString('base64url'), mac(secret, salt).toString('base64url')].join('$');
}

function parse(encoded: string): { salt: Buffer; mac: Buffer } | undefined {
  const parts = encoded.split('$');
  if (parts.length !== 3 || parts[0] !== PREFIX) return undefined;
  const salt = Buffer.from(parts[1], 'base64url');
  const stored = Buffer.from(parts[2], 'base64url');
  return salt.length >= 8 && stored.length === MAC_BYTES ? { salt, mac: stored } : undefined;
}

/** True for a hash in the format before this one (scrypt), which costs ~37 ms to check. */
export function isLegacyClientSecretHash(encoded: string | undefined): boolean {
  return encoded?.startsWith('scrypt$') ?? false;
}

// Same work for "no such client" as for a wrong secret: one HMAC and one constant-time compare.
const DUMMY = { salt: randomBytes(SALT_BYTES), mac: randomBytes(MAC_BYTES) };

/**
 * Constant-time check of a presented client secret. With no usable stored hash (unknown, disabled
 * or expired client, one without a secret, an unreadable hash) it does the same HMAC work against
 * a dummy and answers false.
 */
export async function verifyClientSecret(
  presented: string,
  encoded: string | undefined,
): Promise<boolean> {
  if (isLegacyClientSecretHash(encoded)) return verifySecret(presented, encoded);
  const parsed = encoded ? parse(encoded) : undefined;
  const target = parsed ?? DUMMY;
  const equal = timingSafeEqual(mac(presented, target.salt), target.mac);
  return equal && parsed !== undefined;
}
