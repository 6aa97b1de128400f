import type { Metrics } from '@aws-lambda-powertools/metrics';
import {
  CircuitBreaker,
  ManualClock,
  MemoryStateStore,
  type BreakerLogger,
  type CircuitBreakerOptions,
  type StateStore,
} from '../../../../functions/runtime/resilience';

export interface LogLine {
  readonly level: 'info' | 'warn';
  readonly message: string;
  readonly attributes: Record<string, unknown>;
}

export class CapturingLogger implements BreakerLogger {
  readonly lines: LogLine[] = [];
  info(message: string, attributes: Record<string, unknown>): void {
    this.lines.push({ level: 'info', message, attributes });
  }
  warn(message: string, attributes: Record<string, unknown>): void {
    this.lines.push({ level: 'warn', message, attributes });
  }
  transitions(): Record<string, unknown>[] {
    return this.lines
      .filter((line) => line.message === 'Circuit transition')
      .map((line) => line.attributes);
  }
}

/** Records what a Powertools Metrics would publish through `singleMetric()`. */
export class CapturingMetrics {
  readonly published: { dimensions: Record<string, string>; name: string; value: number }[] = [];
  singleMetric(): Metrics {
    const dimensions: Record<string, string> = {};
    const single = {
      addDimension: (name: string, value: string) => {
        dimensions[name] = value;
        return single;
      },
      addMetric: (name: string, _unit: string, value: number) => {
        this.published.push({ dimensions: { ...dimensions }, name, value });
        return single;
      },
    };
    return single as unknown as Metrics;
  }
  total(name: string): number {
    return this.published
      .filter((entry) => entry.name === name)
      .reduce((sum, entry) => sum + entry.value, 0);
  }
  asMetrics(): Metrics {
    return this as unknown as Metrics;
  }
}

/** Lets pending promise callbacks run (store calls of the memory store settle in microtasks). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export const ok = async (): Promise<string> => 'ok';
export const boom = async (): Promise<never> => {
  throw Object.assign(new Error('dependency failed'), { statusCode: 503 });
};

export interface Rig {
  readonly clock: ManualClock;
  readonly store: StateStore;
  readonly logger: CapturingLogger;
  readonly breaker: CircuitBreaker;
  make(overrides?: Partial<CircuitBreakerOptions>): CircuitBreaker;
}

/** A breaker on an in-memory store with a hand-driven clock and small, readable thresholds. */
export function rig(overrides: Partial<CircuitBreakerOptions> = {}): Rig {
  const clock = new ManualClock();
  const store = overrides.store ?? new MemoryStateStore();
  const logger = new CapturingLogger();
  const make = (more: Partial<CircuitBreakerOptions> = {}): CircuitBreaker =>
    new CircuitBreaker({
      name: 'inventory',
      store,
      clock,
      logger,
      minimumCalls: 10,
      failureRateThreshold: 0.5,
      consecutiveFailures: 0,
      openDurationMs: 1000,
      backoffMultiplier: 2,
      maxOpenDurationMs: 5000,
      halfOpenMaxProbes: 1,
      halfOpenSuccesses: 2,
      probeLeaseMs: 2000,
      callTimeoutMs: 500,
      stateCacheMs: 0,
      flushIntervalMs: 0,
      ...overrides,
      ...more,
    });
  return { clock, store, logger, breaker: make(), make };
}

export async function callMany(
  breaker: CircuitBreaker,
  count: number,
  call: () => Promise<unknown>,
): Promise<void> {
  for (let i = 0; i < count; i++)
    await breaker.execute(call, () => 'fallback').catch(() => undefined);
}
