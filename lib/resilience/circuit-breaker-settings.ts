import type { Duration } from 'aws-cdk-lib';
import {
  BREAKER_SETTING_NAMES,
  BREAKER_SETTINGS,
  breakerEnvironment,
  type BreakerSettingName,
  type BreakerSettingValues,
} from '../../functions/runtime/contract';

/**
 * Circuit-breaker settings of every service of a platform, written into every service
 * function's environment. Each prop is the runtime's option of the same name (a `Duration` where
 * the option is in milliseconds, without the `Ms`), and its variable is `CIRCUIT_` + the option
 * in upper snake case: `halfOpenMaxProbes` → `CIRCUIT_HALF_OPEN_MAX_PROBES` → `halfOpenMaxProbes`.
 */
export interface CircuitBreakerSettings {
  /**
   * Failure rate (0..1) over the window at or above which a circuit opens.
   * @default 0.5
   */
  readonly failureRateThreshold?: number;
  /**
   * Calls the fleet must make in the window before the rate may open a circuit.
   * @default 20
   */
  readonly minimumCalls?: number;
  /**
   * The sliding window the failure rate is measured over.
   * @default Duration.seconds(60)
   */
  readonly window?: Duration;
  /**
   * Failures in a row, fleet-wide, that open a circuit whatever the rate (0 = off).
   * @default 10
   */
  readonly consecutiveFailures?: number;
  /**
   * A successful call slower than this counts as a failure (zero = off).
   * @default - off
   */
  readonly slowCallThreshold?: Duration;
  /**
   * Time one call to another service may take, end to end (zero = no limit).
   * @default Duration.seconds(2)
   */
  readonly callTimeout?: Duration;
  /**
   * How long a circuit stays open before probing; doubles on each failed probe.
   * @default Duration.seconds(30)
   */
  readonly openDuration?: Duration;
  /**
   * Cap of the open duration's back-off.
   * @default Duration.minutes(5)
   */
  readonly maxOpenDuration?: Duration;
  /**
   * Probe calls admitted at once, fleet-wide, while half open.
   * @default 1
   */
  readonly halfOpenMaxProbes?: number;
  /**
   * Probe successes that close the circuit.
   * @default 2
   */
  readonly halfOpenSuccesses?: number;
  /**
   * How long a probe holds its slot (its timeout is cut to fit).
   * @default Duration.seconds(10)
   */
  readonly probeLease?: Duration;
  /**
   * How long each environment trusts the circuit state it read.
   * @default Duration.seconds(1)
   */
  readonly stateCache?: Duration;
}

/** The prop of a setting: its name, without `Ms` for a duration. */
type PropOf<Name extends string> = Name extends `${infer Base}Ms` ? Base : Name;

// Compile-time check that the props above are exactly the contract's settings, typed by unit.
type ExpectedProps = {
  readonly [Name in BreakerSettingName as PropOf<Name>]?: Name extends `${string}Ms`
    ? Duration
    : number;
};
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const PROPS_MATCH_CONTRACT: Same<Required<CircuitBreakerSettings>, Required<ExpectedProps>> = true;
void PROPS_MATCH_CONTRACT;

/** The prop name of each setting (`windowMs` → `window`). */
export function circuitBreakerPropOf(name: BreakerSettingName): keyof CircuitBreakerSettings {
  return (
    BREAKER_SETTINGS[name].unit === 'ms' ? name.slice(0, -2) : name
  ) as keyof CircuitBreakerSettings;
}

/**
 * The CIRCUIT_* variables for the settings given (unset ones are left to the runtime's
 * defaults); a value the runtime would refuse fails here, at synth.
 */
export function circuitBreakerEnvironment(
  settings: CircuitBreakerSettings,
): Record<string, string> {
  const values: BreakerSettingValues = {};
  for (const name of BREAKER_SETTING_NAMES) {
    const value = settings[circuitBreakerPropOf(name)];
    if (value === undefined) continue;
    values[name] = typeof value === 'number' ? value : value.toMilliseconds();
  }
  return breakerEnvironment(values);
}
