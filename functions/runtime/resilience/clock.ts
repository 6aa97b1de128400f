/** An opaque handle to a scheduled callback. */
export type TimerHandle = unknown;

/**
 * Time as the breaker sees it. Everything time-dependent (windows, open durations, leases, call
 * and store timeouts) goes through one of these, so tests drive time by hand instead of sleeping.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * A clock that only moves when told to. Timers fire, in due order, during `advance`. Exported
 * for tests and benchmarks of code that uses the breaker.
 */
export class ManualClock implements Clock {
  private current: number;
  private nextId = 1;
  private readonly timers = new Map<number, { at: number; callback: () => void }>();

  constructor(startMs = Date.UTC(2030, 0, 1)) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, { at: this.current + Math.max(0, delayMs), callback });
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle as number);
  }

  /** Timers still waiting to fire. */
  get pendingTimers(): number {
    return this.timers.size;
  }

  /** Moves time forward, firing every timer that falls due, earliest first. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      const due = this.earliestDue(target);
      if (!due) break;
      this.timers.delete(due.id);
      this.current = due.at;
      due.callback();
    }
    this.current = target;
  }

  private earliestDue(limit: number): { id: number; at: number; callback: () => void } | undefined {
    let found: { id: number; at: number; callback: () => void } | undefined;
    for (const [id, timer] of this.timers) {
      if (timer.at <= limit && (!found || timer.at < found.at)) found = { id, ...timer };
    }
    return found;
  }
}
