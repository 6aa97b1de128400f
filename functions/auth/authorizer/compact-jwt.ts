import { KeyObject, constants, verify as verifySignature, type webcrypto } from 'node:crypto';

/**
 * The JWT checks of `jose`'s `jwtVerify`, for the tokens the platform issues, with the signature
 * checked by node:crypto on a KeyObject kept per key (synchronously) instead of WebCrypto's
 * asynchronous job: on a busy environment that hop to the thread pool, not the elliptic-curve
 * maths, was most of a verification. Key selection (JWKS fetch, cache, kid match, cooldown) stays
 * jose's. Anything outside the common case (a `crit` or `b64` header, an algorithm without an
 * entry below, a key that is not a WebCrypto key of the algorithm) is left to jose itself
 * (`needsJose`), so no token is judged by rules weaker than jose's.
 * Rejections carry jose's error codes, so logs read the same whichever path judged the token.
 */

/** A decoded, not yet verified compact JWS: ASCII parts and parsed JSON objects. */
export interface CompactJwt {
  readonly header: Readonly<Record<string, unknown>>;
  readonly payload: Record<string, unknown>;
  /** `header.payload`, the signed bytes. */
  readonly signingInput: string;
  readonly signature: string;
}

/** A JWT check failed; `code` is the jose error code (with `:claim` for claim checks). */
export class JwtCheckFailed extends Error {
  constructor(readonly code: string) {
    super(code);
    this.name = 'JwtCheckFailed';
  }
}

interface AlgorithmEntry {
  readonly hash: 'sha256' | 'sha384' | 'sha512';
  /** WebCrypto algorithm name the key must carry. */
  readonly keyAlgorithm: 'ECDSA' | 'RSASSA-PKCS1-v1_5' | 'RSA-PSS';
  readonly namedCurve?: 'P-256' | 'P-384' | 'P-521';
  readonly pss?: boolean;
}

const ALGORITHMS: Readonly<Record<string, AlgorithmEntry>> = Object.assign(Object.create(null), {
  ES256: { hash: 'sha256', keyAlgorithm: 'ECDSA', namedCurve: 'P-256' },
  ES384: { hash: 'sha384', keyAlgorithm: 'ECDSA', namedCurve: 'P-384' },
  ES512: { hash: 'sha512', keyAlgorithm: 'ECDSA', namedCurve: 'P-521' },
  RS256: { hash: 'sha256', keyAlgorithm: 'RSASSA-PKCS1-v1_5' },
  RS384: { hash: 'sha384', keyAlgorithm: 'RSASSA-PKCS1-v1_5' },
  RS512: { hash: 'sha512', keyAlgorithm: 'RSASSA-PKCS1-v1_5' },
  PS256: { hash: 'sha256', keyAlgorithm: 'RSA-PSS', pss: true },
  PS384: { hash: 'sha384', keyAlgorithm: 'RSA-PSS', pss: true },
  PS512: { hash: 'sha512', keyAlgorithm: 'RSA-PSS', pss: true },
});

/** jose's minimum RSA modulus. */
const MIN_RSA_BITS = 2048;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes one base64url part as jose does: a length of 1 mod 4 is not base64. */
function decodePart(part: string): Buffer {
  if (part.length % 4 === 1) throw new JwtCheckFailed('ERR_JWS_INVALID');
  return Buffer.from(part, 'base64url');
}

function jsonObject(part: string, invalidCode: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(strictUtf8.decode(decodePart(part)));
  } catch {
    throw new JwtCheckFailed(invalidCode);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new JwtCheckFailed(invalidCode);
  return value as Record<string, unknown>;
}

/**
 * Parsed headers by their encoded form: every token of one signing key carries the same header,
 * so it is decoded once. Frozen, since it is shared; bounded, since headers are input too.
 */
const headers = new Map<string, Readonly<Record<string, unknown>>>();
const MAX_HEADERS = 64;

function parsedHeader(part: string): Readonly<Record<string, unknown>> {
  let header = headers.get(part);
  if (!header) {
    header = Object.freeze(jsonObject(part, 'ERR_JWS_INVALID'));
    if (headers.size >= MAX_HEADERS) headers.clear();
    headers.set(part, header);
  }
  return header;
}

/** Splits and parses a token already known to be three base64url parts. */
export function decodeCompactJwt(token: string): CompactJwt {
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  const header = parsedHeader(token.slice(0, first));
  const payload = jsonObject(token.slice(first + 1, second), 'ERR_JWT_INVALID');
  return {
    header,
    payload,
    signingInput: token.slice(0, second),
    signature: token.slice(second + 1),
  };
}

/** Whether jose itself must judge this token: a header or algorithm this module does not handle. */
export function needsJose(jwt: CompactJwt): boolean {
  const { header } = jwt;
  return (
    'crit' in header ||
    'b64' in header ||
    typeof header.alg !== 'string' ||
    ALGORITHMS[header.alg] === undefined
  );
}

/** The header checks jose makes before it asks for a key: `alg` present and allowed. */
export function checkAlgorithm(jwt: CompactJwt, allowed: readonly string[]): string {
  const alg = jwt.header.alg;
  if (typeof alg !== 'string' || !alg) throw new JwtCheckFailed('ERR_JWS_INVALID');
  if (!allowed.includes(alg)) throw new JwtCheckFailed('ERR_JOSE_ALG_NOT_ALLOWED');
  return alg;
}

const keyObjects = new WeakMap<object, KeyObject>();

/** WebCrypto's key class: a global on Node 20 and later. */
function isCryptoKey(value: unknown): value is webcrypto.CryptoKey {
  const CryptoKeyClass = (globalThis as { CryptoKey?: abstract new () => unknown }).CryptoKey;
  return CryptoKeyClass !== undefined && value instanceof CryptoKeyClass;
}

/**
 * The KeyObject of a WebCrypto key jose selected, if it is one this module can use for `alg`
 * (the same algorithm, curve and usage checks jose makes); undefined otherwise.
 */
export function keyObjectFor(key: unknown, alg: string): KeyObject | undefined {
  const entry = ALGORITHMS[alg];
  if (!entry || !isCryptoKey(key) || key.type !== 'public') return undefined;
  if (!key.usages.includes('verify')) return undefined;
  const algorithm = key.algorithm as {
    name: string;
    namedCurve?: string;
    hash?: { name: string };
    modulusLength?: number;
  };
  if (algorithm.name !== entry.keyAlgorithm) return undefined;
  if (entry.namedCurve && algorithm.namedCurve !== entry.namedCurve) return undefined;
  if (!entry.namedCurve) {
    if (algorithm.hash?.name !== `SHA-${entry.hash.slice(3)}`) return undefined;
    if ((algorithm.modulusLength ?? 0) < MIN_RSA_BITS) return undefined;
  }
  let keyObject = keyObjects.get(key);
  if (!keyObject) {
    keyObject = KeyObject.from(key);
    keyObjects.set(key, keyObject);
  }
  return keyObject;
}

/** Verifies the signature over `header.payload`; throws jose's code when it does not hold. */
export function checkSignature(jwt: CompactJwt, alg: string, key: KeyObject): void {
  const entry = ALGORITHMS[alg]!;
  let valid = false;
  try {
    valid = verifySignature(
      entry.hash,
      Buffer.from(jwt.signingInput, 'latin1'),
      entry.namedCurve
        ? { key, dsaEncoding: 'ieee-p1363' }
        : entry.pss
          ? {
              key,
              padding: constants.RSA_PKCS1_PSS_PADDING,
              saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
            }
          : { key, padding: constants.RSA_PKCS1_PADDING },
      decodePart(jwt.signature),
    );
  } catch {
    valid = false;
  }
  if (!valid) throw new JwtCheckFailed('ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
}

export interface ClaimRules {
  readonly issuer: string;
  readonly audience?: string | readonly string[];
  /** Expected `typ`, compared as jose compares it (case-insensitive, `application/` implied). */
  readonly typ?: string;
  readonly requiredClaims: readonly string[];
  readonly clockToleranceSeconds: number;
  readonly now: Date;
}

function normalizeTyp(value: string): string {
  const lower = value.toLowerCase();
  return value.includes('/') ? lower : `application/${lower}`;
}

function numericDate(payload: Record<string, unknown>, claim: string): number | undefined {
  const value = payload[claim];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new JwtCheckFailed(`ERR_JWT_CLAIM_VALIDATION_FAILED:${claim}`);
  return value;
}

/** jose's claim-set checks, in jose's order: typ, presence, iss, aud, iat, nbf, exp. */
export function checkClaims(jwt: CompactJwt, rules: ClaimRules): void {
  const { header, payload } = jwt;
  if (
    rules.typ !== undefined &&
    (typeof header.typ !== 'string' || normalizeTyp(header.typ) !== normalizeTyp(rules.typ))
  ) {
    throw new JwtCheckFailed('ERR_JWT_CLAIM_VALIDATION_FAILED:typ');
  }
  const required = [...rules.requiredClaims];
  if (rules.audience !== undefined) required.push('aud');
  required.push('iss');
  for (const claim of new Set(required.reverse())) {
    if (!Object.hasOwn(payload, claim))
      throw new JwtCheckFailed(`ERR_JWT_CLAIM_VALIDATION_FAILED:${claim}`);
  }
  if (payload.iss !== rules.issuer) throw new JwtCheckFailed('ERR_JWT_CLAIM_VALIDATION_FAILED:iss');
  if (rules.audience !== undefined) {
    const expected: readonly string[] =
      typeof rules.audience === 'string' ? [rules.audience] : rules.audience;
    const aud = payload.aud;
    const present =
      typeof aud === 'string'
        ? expected.includes(aud)
        : Array.isArray(aud) && expected.some((value) => aud.includes(value));
    if (!present) throw new JwtCheckFailed('ERR_JWT_CLAIM_VALIDATION_FAILED:aud');
  }
  const now = Math.floor(rules.now.getTime() / 1000);
  const tolerance = rules.clockToleranceSeconds;
  numericDate(payload, 'iat');
  const nbf = numericDate(payload, 'nbf');
  if (nbf !== undefined && nbf > now + tolerance)
    throw new JwtCheckFailed('ERR_JWT_CLAIM_VALIDATION_FAILED:nbf');
  const exp = numericDate(payload, 'exp');
  if (exp !== undefined && exp <= now - tolerance) throw new JwtCheckFailed('ERR_JWT_EXPIRED:exp');
}

export interface LifetimeRules {
  /** When set, `exp − iat` may not exceed it (plus the tolerance), and `iat` is required. */
  readonly maxLifetimeSeconds?: number;
  readonly clockToleranceSeconds: number;
  readonly now: Date;
}

/**
 * Beyond jose's checks (which judge `iat` only with `maxTokenAge`): `iat` not in the future
 * beyond the tolerance and, for the platform's own tokens, a lifetime no longer than the
 * platform's. A signer's `exp` alone could otherwise keep a token (and its cache entry) for years.
 */
export function checkLifetime(payload: Record<string, unknown>, rules: LifetimeRules): void {
  const now = Math.floor(rules.now.getTime() / 1000);
  const tolerance = rules.clockToleranceSeconds;
  const iat = numericDate(payload, 'iat');
  if (iat !== undefined && iat > now + tolerance)
    throw new JwtCheckFailed('ERR_JWT_CLAIM_VALIDATION_FAILED:iat');
  if (rules.maxLifetimeSeconds === undefined) return;
  if (iat === undefined) throw new JwtCheckFailed('ERR_JWT_CLAIM_VALIDATION_FAILED:iat');
  const exp = numericDate(payload, 'exp');
  if (exp === undefined || exp - iat > rules.maxLifetimeSeconds + tolerance)
    throw new JwtCheckFailed('ERR_JWT_CLAIM_VALIDATION_FAILED:exp');
}
