/** Exponential back-off with full jitter: a burst of retries spreads out instead of re-colliding. */
export interface BackoffSettings {
  /** First retry waits up to this long. */
  readonly baseMs: number;
  /** No wait is longer. */
  readonly capMs: number;
}

export const DEFAULT_BACKOFF: BackoffSettings = { baseMs: 100, capMs: 5000 };

/**
 * Delay before retry number `retry` (1 for the first retry): uniform in
 * [0, min(cap, base · 2^(retry−1))]. `random` is injectable so tests pin it.
 */
export function backoffDelay(
  retry: number,
  settings: BackoffSettings = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(settings.capMs, settings.baseMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * ceiling);
}
