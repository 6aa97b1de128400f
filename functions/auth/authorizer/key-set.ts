import { createLocalJWKSet, errors, type JWTVerifyGetKey } from 'jose';

/**
 * One issuer's JWKS, fetched and kept by the authorizer. Key selection (kid/alg/kty matching, key
 * import) is jose's `createLocalJWKSet` over the last good set; this module decides when to fetch:
 * - the set is fresh for `cacheMaxAgeMs` after a successful fetch; a stale set is fetched again on
 *   the next use (concurrent uses share one request);
 * - an unknown `kid` fetches again at most once per `cooldownMs` after a successful fetch;
 * - a failed fetch (network, timeout, non-200 such as 429/5xx, a malformed set) keeps the last good
 *   set serving and retries with back-off (RETRY_BASE_MS doubling to RETRY_MAX_MS, jittered
 *   50-100 %, or the `Retry-After` asked for when longer, up to RETRY_AFTER_MAX_MS), never on
 *   every request;
 * - the last good set serves at most `maxStaleMs` past its freshness; after that, or when no fetch
 *   has ever succeeded, key selection throws `KeySetUnavailable` (the platform cannot check the
 *   token: not the token's fault).
 * Times come from the given clock, so the whole schedule follows a fake clock in tests.
 */
export interface RemoteKeySetOptions {
  readonly jwksUri: string;
  readonly cacheMaxAgeMs: number;
  readonly maxStaleMs: number;
  readonly cooldownMs: number;
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
  /** Milliseconds since the epoch. */
  readonly clock: () => number;
  /** [0, 1), for the jitter. */
  readonly random?: () => number;
  /** Called after each successful fetch with the `kid`s of the new set. */
  readonly onRefresh?: (kids: ReadonlySet<string>) => void;
}

/** First retry after a failed fetch; doubles per consecutive failure. */
export const RETRY_BASE_MS = 5_000;
/** Longest back-off between retries. */
export const RETRY_MAX_MS = 60_000;
/** Longest `Retry-After` honoured (a longer one is cut to this). */
export const RETRY_AFTER_MAX_MS = 300_000;

/** The keys of an issuer cannot be obtained (never fetched, or stale beyond the maximum). */
export class KeySetUnavailable extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'KeySetUnavailable';
  }
}

class FetchFailed extends Error {
  constructor(
    readonly reason: string,
    readonly retryAfterMs = 0,
  ) {
    super(reason);
    this.name = 'FetchFailed';
  }
}

export class RemoteKeySet {
  /** Bumped by every successful fetch: what was chosen from an older set is asked again. */
  version = 0;
  private local: JWTVerifyGetKey | undefined;
  private kids: ReadonlySet<string> = new Set();
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private failures = 0;
  private retryAt = Number.NEGATIVE_INFINITY;
  private lastFailure = 'jwks_not_fetched';
  private pending: Promise<void> | undefined;
  private readonly random: () => number;

  constructor(private readonly options: RemoteKeySetOptions) {
    this.random = options.random ?? Math.random;
  }

  /** Fetched less than `cacheMaxAgeMs` ago. */
  fresh(nowMs: number): boolean {
    return nowMs - this.fetchedAt < this.options.cacheMaxAgeMs;
  }

  /** May still serve: fresh, or stale by less than `maxStaleMs`. */
  usable(nowMs: number): boolean {
    return nowMs - this.fetchedAt < this.options.cacheMaxAgeMs + this.options.maxStaleMs;
  }

  /** Consecutive failed fetches (0 after a success). */
  get consecutiveFailures(): number {
    return this.failures;
  }

  /** Fetches the set when it is stale and no back-off is running; never throws. */
  async refreshIfDue(nowMs: number): Promise<void> {
    if (this.fresh(nowMs) || nowMs < this.retryAt) return;
    await this.refresh();
  }

  /** jose-compatible key selection over the last good set (for jwtVerify too). */
  readonly select: JWTVerifyGetKey = async (header, token) => {
    const now = this.options.clock();
    await this.refreshIfDue(now);
    const local = this.usableSet();
    try {
      return await local(header, token);
    } catch (error) {
      // An unknown kid may be a key published since: fetch again, within the cooldown and back-off.
      const at = this.options.clock();
      if (
        !(error instanceof errors.JWKSNoMatchingKey) ||
        at - this.fetchedAt < this.options.cooldownMs ||
        at < this.retryAt
      )
        throw error;
      await this.refresh();
      return this.usableSet()(header, token);
    }
  };

  private usableSet(): JWTVerifyGetKey {
    if (!this.local) throw new KeySetUnavailable(this.lastFailure);
    if (!this.usable(this.options.clock()))
      throw new KeySetUnavailable(`jwks_stale:${this.lastFailure}`);
    return this.local;
  }

  private refresh(): Promise<void> {
    this.pending ??= this.fetchOnce().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async fetchOnce(): Promise<void> {
    try {
      const jwks = await this.download();
      const local = createLocalJWKSet(jwks as Parameters<typeof createLocalJWKSet>[0]);
      const kids = new Set<string>();
      for (const key of (jwks as { keys: { kid?: unknown }[] }).keys)
        if (typeof key.kid === 'string') kids.add(key.kid);
      this.local = local;
      this.kids = kids;
      this.fetchedAt = this.options.clock();
      this.failures = 0;
      this.retryAt = Number.NEGATIVE_INFINITY;
      this.version++;
      this.options.onRefresh?.(kids);
    } catch (error) {
      this.failures++;
      this.lastFailure =
        error instanceof FetchFailed
          ? error.reason
          : error instanceof errors.JOSEError
            ? 'jwks_invalid'
            : 'jwks_fetch_failed';
      const backoff = Math.min(RETRY_BASE_MS * 2 ** (this.failures - 1), RETRY_MAX_MS);
      const wait = Math.max(
        backoff * (0.5 + this.random() / 2),
        error instanceof FetchFailed ? Math.min(error.retryAfterMs, RETRY_AFTER_MAX_MS) : 0,
      );
      this.retryAt = this.options.clock() + wait;
    }
  }

  /** Whether the last good set names this kid. */
  has(kid: string): boolean {
    return this.kids.has(kid);
  }

  private async download(): Promise<unknown> {
    let response: Response;
    try {
      response = await (this.options.fetch ?? fetch)(this.options.jwksUri, {
        method: 'GET',
        redirect: 'manual',
        headers: { accept: 'application/json, application/jwk-set+json' },
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 3000),
      });
    } catch (error) {
      throw new FetchFailed(
        (error as { name?: string })?.name === 'TimeoutError'
          ? 'jwks_timeout'
          : 'jwks_fetch_failed',
      );
    }
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => undefined);
      throw new FetchFailed(`jwks_http_${response.status}`, retryAfterMs(response));
    }
    try {
      return await response.json();
    } catch {
      throw new FetchFailed('jwks_invalid');
    }
  }
}

/** `Retry-After` in delay-seconds (RFC 9110 §10.2.3); an HTTP date or garbage counts as none. */
function retryAfterMs(response: Response): number {
  const value = response.headers.get('retry-after')?.trim();
  return value && /^\d{1,6}$/.test(value) ? Number(value) * 1000 : 0;
}
