import type { CircuitRecord } from './state-store';

export interface WindowCounts {
  readonly calls: number;
  readonly failures: number;
}

/** The bucket a moment belongs to: windows are aligned on multiples of their length. */
export function bucketStartOf(now: number, windowMs: number): number {
  return Math.floor(now / windowMs) * windowMs;
}

/**
 * Counts over the last `windowMs`, estimated from two fixed buckets: all of the current one and
 * the part of the previous one the sliding window still overlaps (weighted linearly). Two
 * numbers per circuit instead of one per call, at the cost of assuming calls were spread evenly
 * over the previous bucket.
 */
export function windowCounts(
  record: CircuitRecord,
  now: number,
  windowMs = record.windowMs,
): WindowCounts {
  const current = bucketStartOf(now, windowMs);
  const overlap = 1 - (now - current) / windowMs;
  if (record.bucketStart === current) {
    return {
      calls: record.calls + record.prevCalls * overlap,
      failures: record.failures + record.prevFailures * overlap,
    };
  }
  if (record.bucketStart === current - windowMs) {
    return { calls: record.calls * overlap, failures: record.failures * overlap };
  }
  return { calls: 0, failures: 0 };
}

export interface TripRule {
  readonly failureRateThreshold: number;
  readonly minimumCalls: number;
  /** 0 = off */
  readonly consecutiveFailures: number;
}

/** Why the counts call for opening the circuit, or undefined if they do not. */
export function tripReason(
  counts: WindowCounts,
  streak: number,
  rule: TripRule,
): string | undefined {
  if (rule.consecutiveFailures > 0 && streak >= rule.consecutiveFailures)
    return 'consecutive-failures';
  if (
    counts.calls >= rule.minimumCalls &&
    counts.failures / counts.calls >= rule.failureRateThreshold
  ) {
    return 'failure-rate';
  }
  return undefined;
}
