import { createHash } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { errors, jwtVerify, type JWTPayload } from 'jose';
import {
  checkAlgorithm,
  checkClaims,
  checkLifetime,
  checkSignature,
  decodeCompactJwt,
  JwtCheckFailed,
  keyObjectFor,
  needsJose,
  type CompactJwt,
} from './compact-jwt';
import { ownIssuerConfig, type AuthorizerSettings, type IssuerConfig } from './config';
import { checkAccessTokenUse, grantableScopes, NotAnAccessToken } from './issuer-policy';
import { KeySetUnavailable, RemoteKeySet } from './key-set';

/** What a verified access token tells the authorizer. */
export interface VerifiedToken {
  readonly issuer: string;
  readonly sub: string;
  readonly clientId: string;
  readonly scopes: string[];
  /** Scopes the token carries that its (external) issuer may not grant here: not granted. */
  readonly ungrantedScopes: readonly string[];
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
  /** For tests: the fetch the JWKS downloads use. */
  readonly fetch?: typeof fetch;
  /** For tests: the randomness of the JWKS retry jitter. */
  readonly random?: () => number;
}

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * One issuer's keys: the JWKS (key-set.ts), and the KeyObjects chosen from it, by alg and kid. A
 * remembered key serves while the set is fresh and has not been fetched again since it was chosen
 * (`version`), so a refetched set (a key removed, a key added) is always asked again.
 */
interface KeySource {
  readonly keys: RemoteKeySet;
  readonly chosen: Map<string, { readonly version: number; readonly key: KeyObject }>;
}

interface CacheEntry {
  readonly token: VerifiedToken;
  readonly validUntilMs: number;
  readonly source: KeySource;
  /** The signing key's kid: the entry goes when a fetched key set no longer holds it. */
  readonly kid: string | undefined;
}

/**
 * Access-token verification with `jose`:
 * - length and shape checked before any parsing;
 * - the issuer picked from the (unverified) `iss` among configured ones only, then everything
 *   verified against that issuer's settings: signature with an `alg` allow-list (never `none`, never
 *   HMAC: the key set holds only asymmetric public keys), `iss`, `aud` or `client_id`, `exp`
 *   required, `nbf`/`iat` (`iat` never in the future), `typ` where required, with a small clock
 *   tolerance;
 * - the platform's own tokens also need `iat`, `jti` and `client_id`, and may live no longer than
 *   the platform's access-token lifetime (`exp − iat`): a key that leaked cannot mint a token
 *   that outlives the key's removal by more than that;
 * - external issuers' tokens must be access tokens, and are granted only the scopes their issuer
 *   may grant here (issuer-policy.ts);
 * - keys from each issuer's JWKS (key-set.ts): fresh `jwksCacheMaxAgeMs`, an unknown `kid` fetches
 *   again at most once per `jwksCooldownMs`, a failed fetch keeps the last good set serving up to
 *   `jwksMaxStaleMs` longer and is retried with back-off;
 * - verified results cached by SHA-256 of the token, never beyond the token's `exp` nor the
 *   platform's token lifetime; an entry serves only while its issuer's key set is fresh (a stale
 *   set is fetched again first) and goes as soon as a fetched set no longer holds its `kid`. So a
 *   removed key's tokens stop passing within the JWKS cache age, cached or not.
 */
export function createTokenVerifier(deps: VerifierDeps) {
  const { settings } = deps;
  const clock = deps.clock ?? (() => new Date());
  const keySets = new Map<string, KeySource>();
  const verified = new Map<string, CacheEntry>();
  const trusted = new Map(settings.trusted.map((config) => [config.issuer, config]));
  const lifetimeMs = settings.accessTokenTtlSeconds * 1000;

  function keySetFor(jwksUri: string): KeySource {
    let source = keySets.get(jwksUri);
    if (!source) {
      const created: KeySource = {
        keys: new RemoteKeySet({
          jwksUri,
          cacheMaxAgeMs: settings.jwksCacheMaxAgeMs,
          maxStaleMs: settings.jwksMaxStaleMs,
          cooldownMs: settings.jwksCooldownMs,
          fetch: deps.fetch,
          clock: () => clock().getTime(),
          random: deps.random,
          onRefresh: (kids) => forgetRemovedKeys(created, kids),
        }),
        chosen: new Map(),
      };
      source = created;
      keySets.set(jwksUri, source);
    }
    return source;
  }

  /** A fetched key set: cached tokens whose key it no longer holds are dropped at once. */
  function forgetRemovedKeys(source: KeySource, kids: ReadonlySet<string>) {
    source.chosen.clear();
    for (const [cacheKey, entry] of verified) {
      if (entry.source === source && (entry.kid === undefined || !kids.has(entry.kid)))
        verified.delete(cacheKey);
    }
  }

  /** The KeyObject remembered for this header, while it may still serve (see KeySource). */
  function rememberedKey(
    source: KeySource,
    jwt: CompactJwt,
    alg: string,
    nowMs: number,
  ): KeyObject | undefined {
    const remembered = source.chosen.get(keyId(jwt, alg));
    return remembered && remembered.version === source.keys.version && source.keys.fresh(nowMs)
      ? remembered.key
      : undefined;
  }

  /** The KeyObject jose's key selection gives for this header; undefined if not a usable one. */
  async function keyFor(source: KeySource, jwt: CompactJwt, alg: string) {
    const kid = jwt.header.kid;
    const id = keyId(jwt, alg);
    // Taken before selecting: a key chosen across a refetch is asked again next time.
    const version = source.keys.version;
    const selected = await source.keys.select(
      { alg, ...(typeof kid === 'string' ? { kid } : {}) },
      { payload: '', signature: jwt.signature },
    );
    const key = keyObjectFor(selected, alg);
    if (key) source.chosen.set(id, { version, key });
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

  /** A cached result, if it may still serve; a stale key set is fetched again first. */
  async function cached(cacheKey: string, nowMs: number): Promise<VerifiedToken | undefined> {
    const hit = verified.get(cacheKey);
    if (!hit) return undefined;
    if (hit.validUntilMs > nowMs) {
      const keys = hit.source.keys;
      if (keys.fresh(nowMs)) return hit.token;
      // A fetch that drops the kid drops the entry too; a failed one leaves the stale set serving.
      await keys.refreshIfDue(nowMs);
      if (verified.get(cacheKey) === hit && keys.usable(clock().getTime())) return hit.token;
    }
    verified.delete(cacheKey);
    return undefined;
  }

  async function verify(
    token: string,
    ownIssuer: string | undefined = settings.ownIssuer,
  ): Promise<VerifiedToken> {
    if (token.length > settings.maxTokenLength) throw new TokenRejected('token_too_long');
    if (!COMPACT_JWS.test(token)) throw new TokenRejected('malformed');
    const now = clock();
    const nowMs = now.getTime();
    // No cache, no hashing: the key is only worth its cost when it can be looked up.
    const cacheKey =
      settings.verifiedCacheMaxEntries > 0
        ? `${ownIssuer ?? ''}\n${createHash('sha256').update(token).digest('base64url')}`
        : '';
    if (cacheKey) {
      const hit = verified.get(cacheKey);
      // The common case (fresh keys, live entry) without a promise.
      if (hit && hit.validUntilMs > nowMs && hit.source.keys.fresh(nowMs)) return hit.token;
      if (hit) {
        const token = await cached(cacheKey, nowMs);
        if (token) return token;
      }
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
        checkedWithRememberedKey(jwt, config, own, algorithms, source, now) ??
        (await checkedPayload(jwt, token, config, own, algorithms, source, now));
      checkLifetime(payload as Record<string, unknown>, {
        ...(own ? { maxLifetimeSeconds: settings.accessTokenTtlSeconds } : {}),
        clockToleranceSeconds: settings.clockToleranceSeconds,
        now,
      });
      if (!own) checkAccessTokenUse(jwt.header, payload, config.scopeClaim);
    } catch (error) {
      throw classify(error);
    }

    const clientId = stringClaim(payload.client_id) ?? stringClaim(payload.azp);
    if (own && (clientId === undefined || clientId !== payload.client_id))
      throw new TokenRejected('bad_client_id');
    if (own && !stringClaim(payload.jti)) throw new TokenRejected('bad_jti');
    if (config.clientIds && (!clientId || !config.clientIds.includes(clientId))) {
      throw new TokenRejected('client_not_accepted');
    }
    for (const [claim, value] of Object.entries(config.requiredClaims ?? {})) {
      if (payload[claim] !== value) throw new TokenRejected(`claim_mismatch:${claim}`);
    }
    const sub = stringClaim(payload.sub);
    if (!sub || sub.length > 256 || (clientId !== undefined && clientId.length > 256))
      throw new TokenRejected('bad_subject');
    const carried = scopesOf(payload[config.scopeClaim]);
    const { granted, ignored } = own
      ? { granted: carried, ignored: [] }
      : grantableScopes(carried, config.allowedScopes);
    const result: VerifiedToken = {
      issuer: config.issuer,
      sub,
      clientId: clientId ?? sub,
      scopes: granted,
      ungrantedScopes: ignored,
      exp: payload.exp!,
      own,
    };
    const kid = jwt.header.kid;
    remember(cacheKey, result, source, typeof kid === 'string' ? kid : undefined, nowMs);
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
    own: boolean,
    algorithms: readonly string[],
    source: KeySource,
    now: Date,
  ): Promise<JWTPayload> {
    if (!needsJose(jwt)) {
      const alg = checkAlgorithm(jwt, algorithms);
      const key = await keyFor(source, jwt, alg);
      if (key) return checkedWith(jwt, alg, key, config, own, now);
    }
    const { payload } = await jwtVerify(token, source.keys.select, {
      ...claimRules(config, own),
      algorithms: [...algorithms],
      clockTolerance: settings.clockToleranceSeconds,
      currentDate: now,
    });
    return payload;
  }

  function checkedWithRememberedKey(
    jwt: CompactJwt,
    config: IssuerConfig,
    own: boolean,
    algorithms: readonly string[],
    source: KeySource,
    now: Date,
  ): JWTPayload | undefined {
    if (needsJose(jwt)) return undefined;
    const alg = checkAlgorithm(jwt, algorithms);
    const key = rememberedKey(source, jwt, alg, now.getTime());
    return key ? checkedWith(jwt, alg, key, config, own, now) : undefined;
  }

  function checkedWith(
    jwt: CompactJwt,
    alg: string,
    key: KeyObject,
    config: IssuerConfig,
    own: boolean,
    now: Date,
  ): JWTPayload {
    checkSignature(jwt, alg, key);
    checkClaims(jwt, {
      ...claimRules(config, own),
      clockToleranceSeconds: settings.clockToleranceSeconds,
      now,
    });
    return jwt.payload as JWTPayload;
  }

  function remember(
    cacheKey: string,
    token: VerifiedToken,
    source: KeySource,
    kid: string | undefined,
    nowMs: number,
  ) {
    if (settings.verifiedCacheMaxEntries <= 0) return;
    // Never past the token's exp, never longer than the platform's token lifetime.
    const validUntilMs = Math.min(token.exp * 1000, nowMs + lifetimeMs);
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
    verified.set(cacheKey, { token, validUntilMs, source, kid });
  }

  return { verify, cacheSize: () => verified.size };
}

export type TokenVerifier = ReturnType<typeof createTokenVerifier>;

/** The claims the platform's own tokens must carry (RFC 9068 §2.2, and `client_id` named). */
const OWN_REQUIRED_CLAIMS = ['exp', 'sub', 'iat', 'jti', 'client_id'];
const EXTERNAL_REQUIRED_CLAIMS = ['exp', 'sub'];

/** The claim rules of one issuer, as jose's jwtVerify options name them. */
function claimRules(config: IssuerConfig, own: boolean) {
  return {
    issuer: config.issuer,
    ...(config.audience !== undefined ? { audience: config.audience } : {}),
    ...(config.requireTyp ? { typ: 'at+jwt' } : {}),
    requiredClaims: own ? OWN_REQUIRED_CLAIMS : EXTERNAL_REQUIRED_CLAIMS,
  };
}

function keyId(jwt: CompactJwt, alg: string): string {
  const kid = jwt.header.kid;
  return typeof kid === 'string' ? `${alg} ${kid}` : alg;
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
  if (error instanceof NotAnAccessToken) return new TokenRejected(error.reason);
  if (error instanceof KeySetUnavailable) return new KeySourceUnavailable(error.reason);
  if (error instanceof errors.JWTClaimValidationFailed)
    return new TokenRejected(`${error.code}:${error.claim}`);
  if (error instanceof errors.JOSEError) return new TokenRejected(error.code);
  return new TokenRejected('invalid');
}
