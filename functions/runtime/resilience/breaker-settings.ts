import type { CircuitBreakerOptions } from './options';

type Tunable = Pick<
  CircuitBreakerOptions,
  | 'failureRateThreshold'
  | 'minimumCalls'
  | 'windowMs'
  | 'consecutiveFailures'
  | 'slowCallThresholdMs'
  | 'callTimeoutMs'
  | 'openDurationMs'
  | 'maxOpenDurationMs'
  | 'halfOpenMaxProbes'
  | 'halfOpenSuccesses'
  | 'probeLeaseMs'
  | 'stateCacheMs'
>;

/** Environment variable → option. The `Microservice` construct writes these from platform props. */
const VARIABLES: Record<string, keyof Tunable> = {
  CIRCUIT_FAILURE_RATE_THRESHOLD: 'failureRateThreshold',
  CIRCUIT_MINIMUM_CALLS: 'minimumCalls',
  CIRCUIT_WINDOW_MS: 'windowMs',
  CIRCUIT_CONSECUTIVE_FAILURES: 'consecutiveFailures',
  CIRCUIT_SLOW_CALL_MS: 'slowCallThresholdMs',
  CIRCUIT_CALL_TIMEOUT_MS: 'callTimeoutMs',
  CIRCUIT_OPEN_DURATION_MS: 'openDurationMs',
  CIRCUIT_MAX_OPEN_DURATION_MS: 'maxOpenDurationMs',
  CIRCUIT_HALF_OPEN_PROBES: 'halfOpenMaxProbes',
  CIRCUIT_HALF_OPEN_SUCCESSES: 'halfOpenSuccesses',
  CIRCUIT_PROBE_LEASE_MS: 'probeLeaseMs',
  CIRCUIT_STATE_CACHE_MS: 'stateCacheMs',
};

/**
 * Breaker settings from the environment. A value that is not a finite non-negative number is a
 * deployment mistake: it fails at cold start with the variable's name, not later per call.
 */
export function breakerSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<Tunable> {
  const settings: Partial<Record<keyof Tunable, number>> = {};
  for (const [variable, option] of Object.entries(VARIABLES)) {
    const raw = env[variable];
    if (raw === undefined || raw === '') continue;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0) {
      throw new Error(`${variable} must be a non-negative number, got '${raw}'`);
    }
    settings[option] = value;
  }
  return settings;
}

export const BREAKER_ENVIRONMENT_VARIABLES = Object.keys(VARIABLES);
