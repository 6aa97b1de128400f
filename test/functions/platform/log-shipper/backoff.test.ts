import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../../../functions/platform/log-shipper/backoff';

const settings = { baseMs: 100, capMs: 1000 };

describe('backoffDelay (exponential, full jitter)', () => {
  it('doubles its ceiling with each retry up to the cap', () => {
    const ceilings = [1, 2, 3, 4, 5, 6].map((retry) =>
      backoffDelay(retry, settings, () => 0.999999),
    );
    expect(ceilings).toEqual([99, 199, 399, 799, 999, 999]);
  });

  it('spreads waits over the whole range below the ceiling', () => {
    expect(backoffDelay(3, settings, () => 0)).toBe(0);
    expect(backoffDelay(3, settings, () => 0.5)).toBe(200);
  });
});
