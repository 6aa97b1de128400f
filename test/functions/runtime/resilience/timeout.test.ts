import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../functions/runtime/resilience/clock';
import { withTimeout } from '../../../../functions/runtime/resilience/timeout';

describe('withTimeout', () => {
  it('gives every call without a time limit a signal of its own, so leaked listeners do not pile up on one', async () => {
    const clock = new ManualClock(0);
    const signals: AbortSignal[] = [];
    for (let i = 0; i < 3; i++) {
      await withTimeout(
        clock,
        0,
        async (signal) => {
          // A careless callee: adds a listener and never removes it.
          signal.addEventListener('abort', () => undefined);
          signals.push(signal);
        },
        () => new Error('timeout'),
      );
    }
    expect(new Set(signals).size).toBe(3);
    expect(signals.every((signal) => !signal.aborted)).toBe(true);
  });

  it('aborts the signal of a limited call when its time is up', async () => {
    const clock = new ManualClock(0);
    let seen: AbortSignal | undefined;
    const pending = withTimeout(
      clock,
      100,
      (signal) => {
        seen = signal;
        return new Promise<never>(() => undefined);
      },
      () => new Error('too slow'),
    );
    clock.advance(100);
    await expect(pending).rejects.toThrow('too slow');
    expect(seen?.aborted).toBe(true);
  });
});
