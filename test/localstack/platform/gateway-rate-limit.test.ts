import { describe, expect, it } from 'vitest';
import { SourceRateLimiter } from '../../../localstack/platform/gateway-rate-limit';

/** A clock that moves only when the test says so. */
function fakeClock(start = 1_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

const takeMany = (limiter: SourceRateLimiter, source: string, count: number) =>
  Array.from({ length: count }, () => limiter.take(source).allowed);

describe('SourceRateLimiter', () => {
  it('lets a source send its limit at once, then refuses the next with the wait for one more', () => {
    const clock = fakeClock();
    const limiter = new SourceRateLimiter({ limit: 10, windowSeconds: 60 }, clock.now);
    expect(takeMany(limiter, '127.0.0.2', 10)).toEqual(Array(10).fill(true));
    // One request per 6 s comes back: the 11th waits 6 s.
    expect(limiter.take('127.0.0.2')).toEqual({ allowed: false, retryAfterSeconds: 6 });
  });

  it('keeps refusing a source that goes on sending while time stands still', () => {
    const clock = fakeClock();
    const limiter = new SourceRateLimiter({ limit: 10, windowSeconds: 60 }, clock.now);
    takeMany(limiter, 'junk', 10);
    expect(takeMany(limiter, 'junk', 50)).toEqual(Array(50).fill(false));
  });

  it("gives one source's exhaustion no effect on another source", () => {
    const clock = fakeClock();
    const limiter = new SourceRateLimiter({ limit: 10, windowSeconds: 60 }, clock.now);
    takeMany(limiter, '127.0.0.2', 100);
    expect(limiter.take('127.0.0.2').allowed).toBe(false);
    expect(takeMany(limiter, '127.0.0.1', 10)).toEqual(Array(10).fill(true));
    expect(limiter.take('127.0.0.1').allowed).toBe(false);
  });

  it('refills one request per window / limit, never beyond the limit', () => {
    const clock = fakeClock();
    const limiter = new SourceRateLimiter({ limit: 10, windowSeconds: 60 }, clock.now);
    takeMany(limiter, 'a', 10);
    clock.advance(5_999);
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    clock.advance(1);
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a').allowed).toBe(false);
    // A long pause refills to the limit, not past it.
    clock.advance(3_600_000);
    expect(takeMany(limiter, 'a', 11)).toEqual([...Array(10).fill(true), false]);
  });

  it('holds a steady sender to about limit requests a window', () => {
    const clock = fakeClock();
    const limiter = new SourceRateLimiter({ limit: 100, windowSeconds: 60 }, clock.now);
    let allowed = 0;
    // 10 requests a second for 5 minutes.
    for (let tick = 0; tick < 3_000; tick++) {
      if (limiter.take('junk').allowed) allowed++;
      clock.advance(100);
    }
    // The burst (100) plus 100 a minute for the 5 minutes.
    expect(allowed).toBeGreaterThanOrEqual(599);
    expect(allowed).toBeLessThanOrEqual(601);
  });

  it('forgets idle sources once it knows 10 000, so junk addresses cannot grow it unbounded', () => {
    const clock = fakeClock();
    const limiter = new SourceRateLimiter({ limit: 10, windowSeconds: 60 }, clock.now);
    for (let index = 0; index < 10_000; index++) limiter.take(`10.0.${index >> 8}.${index & 255}`);
    expect(limiter.size).toBe(10_000);
    clock.advance(6_000); // each of them has its one request back: full again
    limiter.take('192.0.2.1');
    expect(limiter.size).toBe(1);
  });

  it('drops the longest-known source when none is idle, keeping the count bounded', () => {
    const clock = fakeClock();
    const limiter = new SourceRateLimiter({ limit: 10, windowSeconds: 60 }, clock.now);
    for (let index = 0; index < 10_001; index++) limiter.take(`10.1.${index >> 8}.${index & 255}`);
    expect(limiter.size).toBe(10_000);
  });

  it('refuses a limit below 1 or a window of 0 s', () => {
    expect(() => new SourceRateLimiter({ limit: 0, windowSeconds: 60 })).toThrow(/at least 1/);
    expect(() => new SourceRateLimiter({ limit: 10, windowSeconds: 0 })).toThrow(/above 0 s/);
    expect(() => new SourceRateLimiter({ limit: Number.NaN, windowSeconds: 60 })).toThrow();
  });
});
