import { createHash } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import {
  createRemoteJWKSet,
  customFetch,
  errors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import {
  checkAlgorithm,
  checkClaims,
  checkSignature,
  decodeCompactJwt,
  JwtCheckFailed,
  keyObjectFor,
  needsJose,
  type CompactJwt,
} from './compact-jwt';
import { ownIssuerConfig, type AuthorizerSettings, type IssuerConfig } from './config';

/** What a verified access token tells the authorizer. */
export interface VerifiedToken {
  readonly issuer: string;
  readonly sub: string;
  readonly clientId: string;
  readonly scopes: string[];
  /** Seconds since the epoch. */
  readonly exp: number;
  /** True for the platform's own issuer. */
  readonly own: boolean;
}

/** A token that must be refused with 401; `reason` is a code safe to log (never the token). */
export class TokenRejected extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'TokenRejected';
  }
}

/** The keys could not be obtained (network, bad JWKS): not the token's fault. */
export class KeySourceUnavailable extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'KeySourceUnavailable';
  }
}

export interface VerifierDeps {
  readonly settings: AuthorizerSettings;
  readonly clock?: () => Date;
  /** For tests: the fetch jose's remote JWKS uses. */
  readonly fetch?: typeof fetch;
  /** For tests and local runs: a key source per JWKS URI instead of fetching it. */
  readonly keySourceFor?: (jwksUri: string) => JWTVerifyGetKey;
}

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * One issuer's keys: jose's key selection, and the KeyObjects it chose, by alg and kid. A
 * remembered key serves while jose's key set is fresh and no JWKS fetch has started or ended
 * since it was chosen (`generation`), so a refetched set (a key retired, a key added) is
 * always asked again.
 */
interface KeySource {
  readonly select: JWTVerifyGetKey;
  readonly fresh: () => boolean;
  generation: number;
  readonly chosen: Map<string, { readonly generation: number; readonly key: KeyObject }>;
}

/**
 * Access-token verification with `jose`:
 * - length and shape checked before any parsing;
 * - the issuer picked from the (unverified) `iss` among configured ones only, then everything
 *   verified against that issuer's settings: signature with an `alg` allow-list (never `none`, never
 *   HMAC: the key set holds only asymmetric public keys), `iss`, `aud` or `client_id`, `exp`
 *   required, `nbf`/`iat`, `typ` where required, with a small clock tolerance;
 * - keys from each issuer's JWKS through jose's remote key set: cached `cacheMaxAge`, and an unknown
 *   `kid` triggers at most one refetch per `cooldownDuration` however many arrive (concurrent
 *   refetches share one request);
 * - verified results cached by SHA-256 of the token, never beyond the token's `exp`.
 */
export function createTokenVerifier(deps: VerifierDeps) {
  const { settings } = deps;
  const clock = deps.clock ?? (() => new Date());
  const keySets = new Map<string, KeySource>();
  const verified = new Map<string, { token: VerifiedToken; validUntilMs: number }>();
  const trusted = new Map(settings.trusted.map((config) => [config.issuer, config]));

  function keySetFor(jwksUri: string): KeySource {
    let keySet = keySets.get(jwksUri);
    if (!keySet) {
      const given = deps.keySourceFor?.(jwksUri);
      if (given) {
        // A key source of the caller's: asked every time (it may change under us).
        keySet = { select: given, fresh: () => false, generation: 0, chosen: new Map() };
      } else {
        const throttled = failureThrottledFetch(deps.fetch ?? fetch, settings.jwksCooldownMs);
        const source: KeySource = {
          select: createRemoteJWKSet(new URL(jwksUri), {
            cooldownDuration: settings.jwksCooldownMs,
            cacheMaxAge: settings.jwksCacheMaxAgeMs,
            timeoutDuration: 3000,
            [customFetch]: (async (input, init) => {
              source.generation++;
              try {
                return await throttled(input, init);
              } finally {
                source.generation++;
              }
            }) as typeof fetch,
          }),
          fresh: () => (source.select as ReturnType<typeof createRemoteJWKSet>).fresh,
          generation: 0,
          chosen: new Map(),
        };
        keySet = source;
      }
      keySets.set(jwksUri, keySet);
    }
    return keySet;
  }

  /** The KeyObject remembered for this header, while it may still serve (see KeySource). */
  function rememberedKey(source: KeySource, jwt: CompactJwt, alg: string): KeyObject | undefined {
    const remembered = source.chosen.get(keyId(jwt, alg));
    return remembered && remembered.generation === source.generation && source.fresh()
      ? remembered.key
      : undefined;
  }

  /** The KeyObject jose's key selection gives for this header; undefined if not a usable one. */
  async function keyFor(source: KeySource, jwt: CompactJwt, alg: string) {
    const kid = jwt.header.kid;
    const id = keyId(jwt, alg);
    const generation = source.generation;
    const selected = await source.select(
      { alg, ...(typeof kid === 'string' ? { kid } : {}) },
      { payload: '', signature: jwt.signature },
    );
    const key = keyObjectFor(selected, alg);
    if (key) source.chosen.set(id, { generation, key });
    return key;
  }

  let ownConfig: { config: IssuerConfig; own: boolean } | undefined;
  function configFor(
    iss: string,
    ownIssuer: string | undefined,
  ): { config: IssuerConfig; own: boolean } | undefined {
    if (ownIssuer && iss === ownIssuer) {
      // The issuer may come from the request (no ISSUER_URL): one config per issuer seen last.
      if (ownConfig?.config.issuer !== ownIssuer)
        ownConfig = { config: ownIssuerConfig(settings, ownIssuer), own: true };
      return ownConfig;
    }
    const config = trusted.get(iss);
    return config ? { config, own: false } : undefined;
  }

  async function verify(
    token: string,
    ownIssuer: string | undefined = settings.ownIssuer,
  ): Promise<VerifiedToken> {
    if (token.length > settings.maxTokenLength) throw new TokenRejected('token_too_long');
    if (!COMPACT_JWS.test(token)) throw new TokenRejected('malformed');
    const now = clock();
    // No cache, no hashing: the key is only worth its cost when it can be looked up.
    const cacheKey =
      settings.verifiedCacheMaxEntries > 0
        ? `${ownIssuer ?? ''}\n${createHash('sha256').update(token).digest('base64url')}`
        : '';
    const hit = cacheKey ? verified.get(cacheKey) : undefined;
    if (hit) {
      if (hit.validUntilMs > now.getTime()) return hit.token;
      verified.delete(cacheKey);
    }

    let jwt: CompactJwt;
    try {
      jwt = decodeCompactJwt(token);
    } catch {
      throw new TokenRejected('malformed');
    }
    const iss = jwt.payload.iss;
    if (typeof iss !== 'string') throw new TokenRejected('untrusted_issuer');
    const found = configFor(iss, ownIssuer);
    if (!found) throw new TokenRejected('untrusted_issuer');
    const { config, own } = found;
    const algorithms = config.algorithms ?? settings.algorithms;
    const source = keySetFor(config.jwksUri);

    let payload: JWTPayload;
    try {
      // The common case (a remembered key) is checked without a promise.
      payload =
        checkedWithRememberedKey(jwt, config, algorithms, source, now) ??
        (await checkedPayload(jwt, token, config, algorithms, source, now));
    } catch (error) {
      throw classify(error);
    }

    const clientId = stringClaim(payload.client_id) ?? stringClaim(payload.azp);
    if (config.clientIds && (!clientId || !config.clientIds.includes(clientId))) {
      throw new TokenRejected('client_not_accepted');
    }
    for (const [claim, value] of Object.entries(config.requiredClaims ?? {})) {
      if (payload[claim] !== value) throw new TokenRejected(`claim_mismatch:${claim}`);
    }
    const sub = stringClaim(payload.sub);
    if (!sub || sub.length > 256 || (clientId !== undefined && clientId.length > 256))
      throw new TokenRejected('bad_subject');
    const result: VerifiedToken = {
      issuer: config.issuer,
      sub,
      clientId: clientId ?? sub,
      scopes: scopesOf(payload[config.scopeClaim]),
      exp: payload.exp!,
      own,
    };
    remember(cacheKey, result, now.getTime());
    return result;
  }

  /**
   * Signature and claims: by node:crypto on the common path (compact-jwt), by jose's jwtVerify
   * for whatever that path leaves to it. Both apply the same rules.
   */
  async function checkedPayload(
    jwt: CompactJwt,
    token: string,
    config: IssuerConfig,
    algorithms: readonly string[],
    source: KeySource,
    now: Date,
  ): Promise<JWTPayload> {
    if (!needsJose(jwt)) {
      const alg = checkAlgorithm(jwt, algorithms);
      const key = await keyFor(source, jwt, alg);
      if (key) return checkedWith(jwt, alg, key, config, now);
    }
    const { payload } = await jwtVerify(token, source.select, {
      ...claimRules(config),
      algorithms: [...algorithms],
      clockTolerance: settings.clockToleranceSeconds,
      currentDate: now,
    });
    return payload;
  }

  function checkedWithRememberedKey(
    jwt: CompactJwt,
    config: IssuerConfig,
    algorithms: readonly string[],
    source: KeySource,
    now: Date,
  ): JWTPayload | undefined {
    if (needsJose(jwt)) return undefined;
    const alg = checkAlgorithm(jwt, algorithms);
    const key = rememberedKey(source, jwt, alg);
    return key ? checkedWith(jwt, alg, key, config, now) : undefined;
  }

  function checkedWith(
    jwt: CompactJwt,
    alg: string,
    key: KeyObject,
    config: IssuerConfig,
    now: Date,
  ): JWTPayload {
    checkSignature(jwt, alg, key);
    checkClaims(jwt, {
      ...claimRules(config),
      clockToleranceSeconds: settings.clockToleranceSeconds,
      now,
    });
    return jwt.payload as JWTPayload;
  }

  function remember(key: string, token: VerifiedToken, nowMs: number) {
    if (settings.verifiedCacheMaxEntries <= 0) return;
    const validUntilMs = token.exp * 1000;
    if (validUntilMs <= nowMs) return;
    if (verified.size >= settings.verifiedCacheMaxEntries) {
      for (const [k, entry] of verified) {
        if (entry.validUntilMs <= nowMs) verified.delete(k);
      }
      // Still full: drop the oldest insertions (Map keeps insertion order).
      const excess = verified.size - settings.verifiedCacheMaxEntries + 1;
      let removed = 0;
      for (const k of verified.keys()) {
        if (removed++ >= excess) break;
        verified.delete(k);
      }
    }
    verified.set(key, { token, validUntilMs });
  }

  return { verify, cacheSize: () => verified.size };
}

export type TokenVerifier = ReturnType<typeof createTokenVerifier>;

/** The claim rules of one issuer, as jose's jwtVerify options name them. */
function claimRules(config: IssuerConfig) {
  return {
    issuer: config.issuer,
    ...(config.audience !== undefined ? { audience: config.audience } : {}),
    ...(config.requireTyp ? { typ: 'at+jwt' } : {}),
    requiredClaims: ['exp', 'sub'],
  };
}

function keyId(jwt: CompactJwt, alg: string): string {
  const kid = jwt.header.kid;
  return typeof kid === 'string' ? `${alg} ${kid}` : alg;
}

/**
 * jose's cooldown counts from the last *successful* fetch: while a JWKS endpoint is down, every
 * unknown `kid` would try again. This fetch refuses, without touching the network, for
 * `cooldownMs` after a failed fetch, so a flood cannot hammer a failing endpoint either.
 */
export function failureThrottledFetch(base: typeof fetch, cooldownMs: number): typeof fetch {
  let failedAt = Number.NEGATIVE_INFINITY;
  return (async (input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => {
    if (Date.now() - failedAt < cooldownMs)
      throw new TypeError('JWKS fetch suppressed after a recent failure');
    try {
      const response = await base(input, init);
      if (response.status !== 200) failedAt = Date.now();
      return response;
    } catch (error) {
      failedAt = Date.now();
      throw error;
    }
  }) as typeof fetch;
}

function stringClaim(value: unknown): string | undefined {
  return typeof value === 'string' && value ? value : undefined;
}

function scopesOf(value: unknown): string[] {
  if (typeof value === 'string') return [...new Set(value.split(' ').filter(Boolean))];
  if (Array.isArray(value))
    return [...new Set(value.filter((v): v is string => typeof v === 'string' && !!v))];
  return [];
}

function classify(error: unknown): Error {
  if (error instanceof JwtCheckFailed) return new TokenRejected(error.code);
  if (
    error instanceof errors.JWKSTimeout ||
    error instanceof errors.JWKSInvalid ||
    (error instanceof errors.JOSEError && /JSON Web Key Set HTTP response/.test(error.message))
  ) {
    return new KeySourceUnavailable(error.code);
  }
  if (error instanceof errors.JWTClaimValidationFailed)
    return new TokenRejected(`${error.code}:${error.claim}`);
  if (error instanceof errors.JOSEError) return new TokenRejected(error.code);
  // fetch failures (network) and HTTP errors of the JWKS endpoint
  if (error instanceof TypeError || (error as { name?: string })?.name === 'AbortError') {
    return new KeySourceUnavailable('jwks_fetch_failed');
  }
  return new TokenRejected('invalid');
}
