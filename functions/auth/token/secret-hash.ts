/**
 * Password hashing for the authorization server: people's passwords (and client secrets stored
 * before the keyed format of ./client-secret) are scrypt hashes with a random salt each, checked in
 * constant time. Low-entropy secrets need the slow hash; random client secrets do not.
 */
import {
  randomBytes,
  scrypt as scryptCallback,
  timingSafeEqual,
  type ScryptOptions,
} from 'node:crypto';

export interface ScryptParameters {
  /** CPU/memory cost, a power of two. @default 16384 */
  readonly N?: number;
  /** @default 8 */
  readonly r?: number;
  /** @default 1 */
  readonly p?: number;
}

const DEFAULT_SCRYPT = { N: 16384, r: 8, p: 1 } as const;
const HASH_BYTES = 32;
const SALT_BYTES = 16;

function scrypt(
  password: Buffer,
  salt: Buffer,
  keylen: number,
  options: ScryptOptions,
): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCallback(password, salt, keylen, options, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

function scryptOptions(N: number, r: number, p: number): ScryptOptions {
  return { N, r, p, maxmem: 256 * N * r * p + 1024 * 1024 };
}

/** Hashes a secret (client secret, user password): `scrypt$N$r$p$salt$hash`, random salt each. */
export async function hashSecret(
  secret: string,
  parameters: ScryptParameters = {},
): Promise<string> {
  const { N, r, p } = { ...DEFAULT_SCRYPT, ...parameters };
  const salt = randomBytes(SALT_BYTES);
  const hash = await scrypt(Buffer.from(secret, 'utf8'), salt, HASH_BYTES, scryptOptions(N, r, p));
  return ['scrypt', N, r, p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

interface ParsedHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

function parseHash(encoded: string): ParsedHash | undefined {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [N, r, p] = parts.slice(1, 4).map(Number);
  const validN = Number.isInteger(N) && N >= 2 && N <= 1 << 20 && (N & (N - 1)) === 0;
  if (!validN || !Number.isInteger(r) || r < 1 || r > 32 || !Number.isInteger(p) || p < 1 || p > 16)
    return undefined;
  const salt = Buffer.from(parts[4], 'base64url');
  const hash = Buffer.from(parts[5], 'base64url');
  if (salt.length < 8 || hash.length < 16) return undefined;
  return { N, r, p, salt, hash };
}

let dummyHash: Promise<string> | undefined;

/**
 * Constant-time check of a presented secret. With no stored hash (unknown client or user, disabled
 * one, client without a secret) it still runs scrypt against a dummy hash of the default cost and
 * answers false, so that timing does not tell whether a client or user exists.
 */
export async function verifySecret(
  presented: string,
  encoded: string | undefined,
): Promise<boolean> {
  const parsed = encoded ? parseHash(encoded) : undefined;
  if (!parsed) {
    dummyHash ??= hashSecret('dummy-secret-for-constant-work');
    const dummy = parseHash(await dummyHash)!;
    const computed = await scrypt(
      Buffer.from(presented, 'utf8'),
      dummy.salt,
      dummy.hash.length,
      scryptOptions(dummy.N, dummy.r, dummy.p),
    );
    timingSafeEqual(computed, dummy.hash);
    return false;
  }
  const computed = await scrypt(
    Buffer.from(presented, 'utf8'),
    parsed.salt,
    parsed.hash.length,
    scryptOptions(parsed.N, parsed.r, parsed.p),
  );
  return timingSafeEqual(computed, parsed.hash);
}
