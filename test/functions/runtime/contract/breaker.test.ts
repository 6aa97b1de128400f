import { describe, expect, it } from 'vitest';
import {
  BREAKER_SETTING_NAMES,
  BREAKER_SETTINGS,
  breakerEnvironment,
  DEFAULT_CALL_TIMEOUT_MS,
  serviceEnvironmentDefaults,
  type BreakerSettingName,
} from '../../../../functions/runtime/contract';
import { breakerSettingsFromEnv } from '../../../../functions/runtime/resilience/breaker-settings';
import { MemoryStateStore } from '../../../../functions/runtime/resilience/memory-state-store';
import { resolveOptions } from '../../../../functions/runtime/resilience/options';

/** A valid value other than the default, per unit. */
function sample(name: BreakerSettingName): number {
  const { unit, default: fallback } = BREAKER_SETTINGS[name];
  if (unit === 'ratio') return 0.25;
  if (name === 'halfOpenMaxProbes') return 3;
  return unit === 'ms' ? fallback + 1500 : fallback + 7;
}

describe('breaker settings contract', () => {
  it('names each variable CIRCUIT_ + the setting name in upper snake case', () => {
    for (const name of BREAKER_SETTING_NAMES) {
      const snake = name.replace(/[A-Z]/g, (letter) => `_${letter}`).toUpperCase();
      expect(BREAKER_SETTINGS[name].variable).toBe(`CIRCUIT_${snake}`);
    }
  });

  it.each(BREAKER_SETTING_NAMES)(
    '%s written by the contract reads back as the same value',
    (name) => {
      const value = sample(name);
      expect(breakerSettingsFromEnv(breakerEnvironment({ [name]: value }))).toEqual({
        [name]: value,
      });
    },
  );

  it('every default is the runtime breaker default, and reads back from the published defaults', () => {
    const resolved = resolveOptions({ name: 'orders', store: new MemoryStateStore() });
    const published = breakerSettingsFromEnv(serviceEnvironmentDefaults());
    for (const name of BREAKER_SETTING_NAMES) {
      expect(resolved[name], name).toBe(BREAKER_SETTINGS[name].default);
      expect(published[name], name).toBe(BREAKER_SETTINGS[name].default);
    }
    expect(serviceEnvironmentDefaults().CONFIG_MAX_AGE_SECONDS).toBe('30');
  });

  it('has one call timeout default for the breaker and the service client', () => {
    expect(BREAKER_SETTINGS.callTimeoutMs.default).toBe(DEFAULT_CALL_TIMEOUT_MS);
  });

  it.each([
    ['failureRateThreshold', 0, 'circuitBreaker.failureRateThreshold must be in (0, 1]; got 0'],
    ['minimumCalls', -1, 'circuitBreaker.minimumCalls must be a non-negative number; got -1'],
    ['halfOpenMaxProbes', 1.5, 'circuitBreaker.halfOpenMaxProbes must be a whole number; got 1.5'],
  ] as const)('refuses %s = %d before writing any variable', (name, value, message) => {
    expect(() => breakerEnvironment({ [name]: value })).toThrow(message);
  });
});
