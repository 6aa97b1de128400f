import { describe, expect, it } from 'vitest';
import {
  BREAKER_ENVIRONMENT_VARIABLES,
  breakerSettingsFromEnv,
} from '../../../../functions/runtime/resilience/breaker-settings';
import { CircuitBreaker } from '../../../../functions/runtime/resilience/circuit-breaker';
import { MemoryStateStore } from '../../../../functions/runtime/resilience/memory-state-store';

describe('breakerSettingsFromEnv', () => {
  it('returns no settings when no CIRCUIT_* variable is set', () => {
    expect(breakerSettingsFromEnv({ PATH: '/usr/bin', CIRCUIT_UNKNOWN: '5' })).toEqual({});
  });

  it('maps every variable to its breaker option', () => {
    expect(
      breakerSettingsFromEnv({
        CIRCUIT_FAILURE_RATE_THRESHOLD: '0.25',
        CIRCUIT_MINIMUM_CALLS: '5',
        CIRCUIT_WINDOW_MS: '30000',
        CIRCUIT_CONSECUTIVE_FAILURES: '3',
        CIRCUIT_SLOW_CALL_THRESHOLD_MS: '800',
        CIRCUIT_CALL_TIMEOUT_MS: '1500',
        CIRCUIT_OPEN_DURATION_MS: '10000',
        CIRCUIT_MAX_OPEN_DURATION_MS: '60000',
        CIRCUIT_HALF_OPEN_MAX_PROBES: '2',
        CIRCUIT_HALF_OPEN_SUCCESSES: '4',
        CIRCUIT_PROBE_LEASE_MS: '5000',
        CIRCUIT_STATE_CACHE_MS: '250',
      }),
    ).toEqual({
      failureRateThreshold: 0.25,
      minimumCalls: 5,
      windowMs: 30_000,
      consecutiveFailures: 3,
      slowCallThresholdMs: 800,
      callTimeoutMs: 1500,
      openDurationMs: 10_000,
      maxOpenDurationMs: 60_000,
      halfOpenMaxProbes: 2,
      halfOpenSuccesses: 4,
      probeLeaseMs: 5000,
      stateCacheMs: 250,
    });
  });

  it('lists exactly the variables it reads', () => {
    expect([...BREAKER_ENVIRONMENT_VARIABLES].sort()).toEqual(
      [
        'CIRCUIT_FAILURE_RATE_THRESHOLD',
        'CIRCUIT_MINIMUM_CALLS',
        'CIRCUIT_WINDOW_MS',
        'CIRCUIT_CONSECUTIVE_FAILURES',
        'CIRCUIT_SLOW_CALL_THRESHOLD_MS',
        'CIRCUIT_CALL_TIMEOUT_MS',
        'CIRCUIT_OPEN_DURATION_MS',
        'CIRCUIT_MAX_OPEN_DURATION_MS',
        'CIRCUIT_HALF_OPEN_MAX_PROBES',
        'CIRCUIT_HALF_OPEN_SUCCESSES',
        'CIRCUIT_PROBE_LEASE_MS',
        'CIRCUIT_STATE_CACHE_MS',
      ].sort(),
    );
  });

  it('treats an empty value as unset', () => {
    expect(breakerSettingsFromEnv({ CIRCUIT_MINIMUM_CALLS: '' })).toEqual({});
  });

  it('accepts zero (it turns consecutive-failure tripping off)', () => {
    expect(breakerSettingsFromEnv({ CIRCUIT_CONSECUTIVE_FAILURES: '0' })).toEqual({
      consecutiveFailures: 0,
    });
  });

  it.each([
    ['CIRCUIT_MINIMUM_CALLS', 'twenty', 'minimumCalls must be a non-negative number'],
    ['CIRCUIT_WINDOW_MS', '-1', 'windowMs must be a non-negative number'],
    ['CIRCUIT_OPEN_DURATION_MS', 'Infinity', 'openDurationMs must be a non-negative number'],
    ['CIRCUIT_FAILURE_RATE_THRESHOLD', 'NaN', 'failureRateThreshold must be in (0, 1]'],
    ['CIRCUIT_STATE_CACHE_MS', '10ms', 'stateCacheMs must be a non-negative number'],
    ['CIRCUIT_FAILURE_RATE_THRESHOLD', '1.5', 'failureRateThreshold must be in (0, 1]'],
    ['CIRCUIT_HALF_OPEN_MAX_PROBES', '1.5', 'halfOpenMaxProbes must be a whole number'],
    ['CIRCUIT_CALL_TIMEOUT_MS', '2.5', 'callTimeoutMs must be whole milliseconds'],
  ])('fails at cold start naming %s when it is %j', (variable, raw, problem) => {
    expect(() => breakerSettingsFromEnv({ [variable]: raw })).toThrow(
      `${variable}: ${problem}, got '${raw}'`,
    );
  });

  it('reads process.env by default', () => {
    const saved = process.env.CIRCUIT_HALF_OPEN_MAX_PROBES;
    process.env.CIRCUIT_HALF_OPEN_MAX_PROBES = '3';
    try {
      expect(breakerSettingsFromEnv()).toMatchObject({ halfOpenMaxProbes: 3 });
    } finally {
      if (saved === undefined) delete process.env.CIRCUIT_HALF_OPEN_MAX_PROBES;
      else process.env.CIRCUIT_HALF_OPEN_MAX_PROBES = saved;
    }
  });

  it('produces settings a CircuitBreaker accepts, and ones it rejects when out of its range', () => {
    const store = new MemoryStateStore();
    const good = breakerSettingsFromEnv({
      CIRCUIT_FAILURE_RATE_THRESHOLD: '0.5',
      CIRCUIT_WINDOW_MS: '10000',
    });
    expect(() => new CircuitBreaker({ name: 'orders', store, ...good })).not.toThrow();
    // Valid for the contract but out of the breaker's own range: the breaker refuses it.
    const bad = breakerSettingsFromEnv({ CIRCUIT_HALF_OPEN_MAX_PROBES: '33' });
    expect(() => new CircuitBreaker({ name: 'orders', store, ...bad })).toThrow(
      /halfOpenMaxProbes/,
    );
  });
});
