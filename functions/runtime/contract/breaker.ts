/**
 * The circuit-breaker settings a platform sets for every service, one name on both sides: the
 * runtime option is the setting's name (`halfOpenMaxProbes`, `openDurationMs`), its environment
 * variable is `CIRCUIT_` + the name in upper snake case (`CIRCUIT_HALF_OPEN_MAX_PROBES`,
 * `CIRCUIT_OPEN_DURATION_MS`), and the construct's prop is the name too, without `Ms` when it is
 * a duration (`halfOpenMaxProbes`, `openDuration: Duration`).
 */
export type BreakerSettingUnit = 'ratio' | 'count' | 'ms';

export interface BreakerSettingSpec {
  /** The environment variable the construct writes and the runtime reads. */
  readonly variable: string;
  readonly unit: BreakerSettingUnit;
  /** The runtime's default, used when the variable is unset. */
  readonly default: number;
}

/** Time one call to another service may take, end to end: one default for client and breaker. */
export const DEFAULT_CALL_TIMEOUT_MS = 2000;

export const BREAKER_SETTINGS = {
  /** Failure rate (0..1) over the window at or above which a circuit opens. */
  failureRateThreshold: {
    variable: 'CIRCUIT_FAILURE_RATE_THRESHOLD',
    unit: 'ratio',
    default: 0.5,
  },
  /** Calls the fleet must make in the window before the rate may open a circuit. */
  minimumCalls: { variable: 'CIRCUIT_MINIMUM_CALLS', unit: 'count', default: 20 },
  /** The sliding window the failure rate is measured over. */
  windowMs: { variable: 'CIRCUIT_WINDOW_MS', unit: 'ms', default: 60_000 },
  /** Failures in a row, fleet-wide, that open a circuit whatever the rate (0 = off). */
  consecutiveFailures: { variable: 'CIRCUIT_CONSECUTIVE_FAILURES', unit: 'count', default: 10 },
  /** A successful call slower than this counts as a failure (0 = off). */
  slowCallThresholdMs: { variable: 'CIRCUIT_SLOW_CALL_THRESHOLD_MS', unit: 'ms', default: 0 },
  /** Time one call may take (0 = no limit). */
  callTimeoutMs: {
    variable: 'CIRCUIT_CALL_TIMEOUT_MS',
    unit: 'ms',
    default: DEFAULT_CALL_TIMEOUT_MS,
  },
  /** How long a circuit stays open the first time; doubles on each failed probe. */
  openDurationMs: { variable: 'CIRCUIT_OPEN_DURATION_MS', unit: 'ms', default: 30_000 },
  /** Cap of the open duration's back-off. */
  maxOpenDurationMs: { variable: 'CIRCUIT_MAX_OPEN_DURATION_MS', unit: 'ms', default: 300_000 },
  /** Probe calls admitted at once, fleet-wide, while half open. */
  halfOpenMaxProbes: { variable: 'CIRCUIT_HALF_OPEN_MAX_PROBES', unit: 'count', default: 1 },
  /** Probe successes that close the circuit. */
  halfOpenSuccesses: { variable: 'CIRCUIT_HALF_OPEN_SUCCESSES', unit: 'count', default: 2 },
  /** How long a probe holds its slot (its timeout is cut to fit). */
  probeLeaseMs: { variable: 'CIRCUIT_PROBE_LEASE_MS', unit: 'ms', default: 10_000 },
  /** How long each environment trusts the circuit state it read. */
  stateCacheMs: { variable: 'CIRCUIT_STATE_CACHE_MS', unit: 'ms', default: 1000 },
} as const satisfies Record<string, BreakerSettingSpec>;

export type BreakerSettingName = keyof typeof BREAKER_SETTINGS;

/** Setting values by name, as the runtime's options take them (durations in milliseconds). */
export type BreakerSettingValues = { -readonly [K in BreakerSettingName]?: number };

export const BREAKER_SETTING_NAMES = Object.keys(BREAKER_SETTINGS) as BreakerSettingName[];

/**
 * Whether a value is acceptable for a setting: finite and non-negative, a ratio in (0, 1], a
 * count a whole number. The construct refuses a bad prop at synth, the runtime a bad variable at
 * cold start, with the same rule.
 */
export function breakerSettingProblem(name: BreakerSettingName, value: number): string | undefined {
  const { unit } = BREAKER_SETTINGS[name];
  if (unit === 'ratio') return value > 0 && value <= 1 ? undefined : `${name} must be in (0, 1]`;
  if (!Number.isFinite(value) || value < 0) return `${name} must be a non-negative number`;
  if (unit === 'count' && !Number.isInteger(value)) return `${name} must be a whole number`;
  if (unit === 'ms' && !Number.isInteger(value)) return `${name} must be whole milliseconds`;
  return undefined;
}

/**
 * The environment a set of setting values becomes: the same text the runtime parses back
 * (`String(value)`), only for the values given.
 */
export function breakerEnvironment(values: BreakerSettingValues): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const name of BREAKER_SETTING_NAMES) {
    const value = values[name];
    if (value === undefined) continue;
    const problem = breakerSettingProblem(name, value);
    if (problem) throw new Error(`circuitBreaker.${problem}; got ${value}`);
    environment[BREAKER_SETTINGS[name].variable] = String(value);
  }
  return environment;
}
