import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { systemClock, type Clock } from './clock';
import { isFailureError, isFailureResult } from './failure-predicate';
import { BREAKER_SETTINGS } from '../contract/breaker';
import type { StateStore } from './state-store';
import type { TransitionEvent } from './transitions';

/** The little a breaker needs from a logger; a Powertools `Logger` fits. */
export interface BreakerLogger {
  info(message: string, attributes: Record<string, unknown>): void;
  warn(message: string, attributes: Record<string, unknown>): void;
}

export interface CircuitBreakerOptions {
  /** The circuit's name, usually the dependency it protects; the key of its shared state. */
  readonly name: string;
  /** Where the fleet shares the circuit's state, normally a `DynamoDbStateStore`. */
  readonly store: StateStore;
  /** @default systemClock */
  readonly clock?: Clock;

  /**
   * Failure rate (0..1) over the window at or above which the circuit opens.
   * @default 0.5
   */
  readonly failureRateThreshold?: number;
  /**
   * Calls the fleet must have made in the window before the rate may open the circuit.
   * @default 20
   */
  readonly minimumCalls?: number;
  /**
   * Length of the sliding window the rate is measured over.
   * @default 60000
   */
  readonly windowMs?: number;
  /**
   * Failures in a row, fleet-wide, that open the circuit whatever the rate; 0 turns this off.
   * @default 10
   */
  readonly consecutiveFailures?: number;
  /**
   * A successful call slower than this counts as a failure; 0 turns slow-call detection off.
   * @default 0
   */
  readonly slowCallThresholdMs?: number;
  /**
   * Time allowed for one call; its AbortSignal fires then. 0 means no limit.
   * @default 2000 - DEFAULT_CALL_TIMEOUT_MS, the same as the service client's
   */
  readonly callTimeoutMs?: number;

  /**
   * How long the circuit stays open the first time.
   * @default 30000
   */
  readonly openDurationMs?: number;
  /**
   * Each failed half-open attempt multiplies the open duration by this.
   * @default 2
   */
  readonly backoffMultiplier?: number;
  /**
   * Upper bound of the open duration.
   * @default 300000
   */
  readonly maxOpenDurationMs?: number;

  /**
   * Probe calls allowed at the same time, fleet-wide, while half open.
   * @default 1
   */
  readonly halfOpenMaxProbes?: number;
  /**
   * Probe successes that close the circuit; one probe failure re-opens it.
   * @default 2
   */
  readonly halfOpenSuccesses?: number;
  /**
   * How long a probe holds its slot. A probe never runs longer than this (its timeout is cut to
   * fit), so a slot only outlives its probe when the environment itself died.
   * @default 10000
   */
  readonly probeLeaseMs?: number;

  /**
   * How long an environment trusts the state it last read before reading again.
   * @default 1000
   */
  readonly stateCacheMs?: number;
  /**
   * The same, for an environment that saw a failure within the last `stateCacheMs`: it learns
   * sooner that the fleet opened the circuit. Bounded by time, so it never grows with traffic.
   * @default 100
   */
  readonly stateCacheWhileFailingMs?: number;
  /**
   * Least time between two flushes of this environment's outcome counts, unless a flush would
   * open the circuit.
   * @default 1000
   */
  readonly flushIntervalMs?: number;
  /**
   * Time allowed for one store request before the breaker gives up on the store.
   * @default 500
   */
  readonly storeTimeoutMs?: number;
  /**
   * After a store failure, how long this environment uses its local breaker before it tries the
   * store again.
   * @default 5000
   */
  readonly failOpenMs?: number;

  /**
   * Whether a thrown error counts as a failure. Errors that do not count are still rethrown.
   * @default isFailureError - every error but a non-429 4xx
   */
  readonly isFailure?: (error: unknown) => boolean;
  /**
   * Whether a returned value counts as a failure (then a fallback, if any, replaces it).
   * @default isFailureResult - values carrying a 5xx or 429 status
   */
  readonly isFailureResult?: (result: unknown) => boolean;

  /** EMF metrics with dimension `circuit`. @default - no metrics */
  readonly metrics?: Metrics;
  /** One line per transition; store errors as warnings. @default - no logging */
  readonly logger?: BreakerLogger | Logger;
  /** Called once per transition this environment performed (after it won the write). */
  readonly onTransition?: (event: TransitionEvent) => void;
}

export type ResolvedOptions = Required<
  Omit<CircuitBreakerOptions, 'metrics' | 'logger' | 'onTransition' | 'clock'>
> &
  Pick<CircuitBreakerOptions, 'metrics' | 'logger' | 'onTransition'> & { readonly clock: Clock };

export function resolveOptions(options: CircuitBreakerOptions): ResolvedOptions {
  const resolved: ResolvedOptions = {
    ...options,
    clock: options.clock ?? systemClock,
    failureRateThreshold:
      options.failureRateThreshold ?? BREAKER_SETTINGS.failureRateThreshold.default,
    minimumCalls: options.minimumCalls ?? BREAKER_SETTINGS.minimumCalls.default,
    windowMs: options.windowMs ?? BREAKER_SETTINGS.windowMs.default,
    consecutiveFailures:
      options.consecutiveFailures ?? BREAKER_SETTINGS.consecutiveFailures.default,
    slowCallThresholdMs:
      options.slowCallThresholdMs ?? BREAKER_SETTINGS.slowCallThresholdMs.default,
    callTimeoutMs: options.callTimeoutMs ?? BREAKER_SETTINGS.callTimeoutMs.default,
    openDurationMs: options.openDurationMs ?? BREAKER_SETTINGS.openDurationMs.default,
    backoffMultiplier: options.backoffMultiplier ?? 2,
    maxOpenDurationMs: options.maxOpenDurationMs ?? BREAKER_SETTINGS.maxOpenDurationMs.default,
    halfOpenMaxProbes: options.halfOpenMaxProbes ?? BREAKER_SETTINGS.halfOpenMaxProbes.default,
    halfOpenSuccesses: options.halfOpenSuccesses ?? BREAKER_SETTINGS.halfOpenSuccesses.default,
    probeLeaseMs: options.probeLeaseMs ?? BREAKER_SETTINGS.probeLeaseMs.default,
    stateCacheMs: options.stateCacheMs ?? BREAKER_SETTINGS.stateCacheMs.default,
    stateCacheWhileFailingMs: options.stateCacheWhileFailingMs ?? 100,
    flushIntervalMs: options.flushIntervalMs ?? 1000,
    storeTimeoutMs: options.storeTimeoutMs ?? 500,
    failOpenMs: options.failOpenMs ?? 5000,
    isFailure: options.isFailure ?? isFailureError,
    isFailureResult: options.isFailureResult ?? isFailureResult,
  };
  validate(resolved);
  return resolved;
}

function validate(options: ResolvedOptions): void {
  const problems: string[] = [];
  if (!/^[A-Za-z0-9._:/-]{1,200}$/.test(options.name))
    problems.push('name must be 1-200 of [A-Za-z0-9._:/-]');
  if (!(options.failureRateThreshold > 0 && options.failureRateThreshold <= 1)) {
    problems.push('failureRateThreshold must be in (0, 1]');
  }
  if (options.minimumCalls < 1) problems.push('minimumCalls must be at least 1');
  if (options.windowMs < 1000) problems.push('windowMs must be at least 1000');
  if (options.backoffMultiplier < 1) problems.push('backoffMultiplier must be at least 1');
  if (options.maxOpenDurationMs < options.openDurationMs)
    problems.push('maxOpenDurationMs must be >= openDurationMs');
  if (options.halfOpenMaxProbes < 1 || options.halfOpenMaxProbes > 32)
    problems.push('halfOpenMaxProbes must be 1-32');
  if (options.halfOpenSuccesses < 1) problems.push('halfOpenSuccesses must be at least 1');
  if (options.probeLeaseMs <= 0) problems.push('probeLeaseMs must be positive');
  if (problems.length)
    throw new RangeError(`circuit breaker ${options.name}: ${problems.join('; ')}`);
}
