/** Milliseconds from a monotonic origin; injected so tests drive time themselves. */
export type Clock = () => number;

export interface RateLimitSettings {
  /** Requests one source may send in a burst, and on average per window. */
  readonly limit: number;
  readonly windowSeconds: number;
}

export type RateDecision =
  { readonly allowed: true } | { readonly allowed: false; readonly retryAfterSeconds: number };

/** Sources kept before idle ones (whose bucket is full again) are forgotten. */
const MAX_SOURCES = 10_000;

/**
 * One token bucket per source: a source may send `limit` requests at once, then one more each
 * `window / limit`. WAF counts a sliding window instead; both hold a source to about `limit`
 * requests a window, and neither lets one source's requests touch another's allowance.
 */
export class SourceRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; updatedAt: number }>();
  private readonly perMs: number;

  constructor(
    readonly settings: RateLimitSettings,
    private readonly now: Clock = () => performance.now(),
  ) {
    if (!(settings.limit >= 1) || !(settings.windowSeconds > 0)) {
      throw new Error(
        `A rate limit needs a limit of at least 1 and a window above 0 s; got ${settings.limit} per ${settings.windowSeconds} s`,
      );
    }
    this.perMs = settings.limit / (settings.windowSeconds * 1000);
  }

  /** Spends one request of `source`'s allowance, or says how long until it has one. */
  take(source: string): RateDecision {
    const now = this.now();
    const bucket = this.refilled(source, now);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true };
    }
    return {
      allowed: false,
      retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / this.perMs / 1000)),
    };
  }

  /** How many sources are remembered (a full bucket needs no memory). */
  get size(): number {
    return this.buckets.size;
  }

  private refilled(source: string, now: number): { tokens: number; updatedAt: number } {
    let bucket = this.buckets.get(source);
    if (!bucket) {
      if (this.buckets.size >= MAX_SOURCES) this.forgetIdle(now);
      bucket = { tokens: this.settings.limit, updatedAt: now };
      this.buckets.set(source, bucket);
      return bucket;
    }
    bucket.tokens = Math.min(
      this.settings.limit,
      bucket.tokens + Math.max(0, now - bucket.updatedAt) * this.perMs,
    );
    bucket.updatedAt = now;
    return bucket;
  }

  /** Drops sources whose bucket has filled up again; failing that, the longest-known one. */
  private forgetIdle(now: number): void {
    for (const [source, bucket] of this.buckets) {
      if (bucket.tokens + (now - bucket.updatedAt) * this.perMs >= this.settings.limit)
        this.buckets.delete(source);
    }
    if (this.buckets.size >= MAX_SOURCES) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
  }
}
