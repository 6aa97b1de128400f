import * as path from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import {
  BREAKER_SETTING_NAMES,
  BREAKER_SETTINGS,
  type BreakerSettingName,
  type BreakerSettingValues,
} from '../../../functions/runtime/contract';
import { breakerSettingsFromEnv } from '../../../functions/runtime/resilience/breaker-settings';
import {
  circuitBreakerEnvironment,
  circuitBreakerPropOf,
  Microservice,
  MicroservicePlatform,
  type CircuitBreakerSettings,
} from '../../../lib';

const ENTRY = path.join(
  __dirname,
  '..',
  '..',
  '..',
  'functions',
  'services',
  'recommendations',
  'handler.ts',
);

/** A valid value other than the default for each setting, as the runtime option takes it. */
function runtimeValue(name: BreakerSettingName): number {
  const { unit, default: fallback } = BREAKER_SETTINGS[name];
  if (unit === 'ratio') return 0.3;
  if (name === 'halfOpenMaxProbes') return 4;
  return unit === 'ms' ? fallback + 2500 : fallback + 3;
}

/** The same value as the construct's prop takes it (a Duration for milliseconds). */
function propValue(name: BreakerSettingName): number | Duration {
  const value = runtimeValue(name);
  return BREAKER_SETTINGS[name].unit === 'ms' ? Duration.millis(value) : value;
}

function propsFor(names: readonly BreakerSettingName[]): CircuitBreakerSettings {
  return Object.fromEntries(names.map((name) => [circuitBreakerPropOf(name), propValue(name)]));
}

describe('circuit-breaker settings: construct and runtime agree', () => {
  it.each(BREAKER_SETTING_NAMES)(
    '%s: the prop of the same name reaches the runtime option of the same name',
    (name) => {
      const environment = circuitBreakerEnvironment(propsFor([name]));
      expect(Object.keys(environment)).toEqual([BREAKER_SETTINGS[name].variable]);
      expect(breakerSettingsFromEnv(environment)).toEqual({ [name]: runtimeValue(name) });
    },
  );

  it('every setting set on the platform parses back from a service function environment', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Shop', { env: { account: '123456789012', region: 'eu-west-1' } });
    const platform = new MicroservicePlatform(stack, 'Platform', {
      platformName: 'shop',
      authorization: false,
      circuitBreaker: propsFor(BREAKER_SETTING_NAMES),
    });
    const service = new Microservice(stack, 'Orders', {
      platform,
      serviceName: 'orders',
      entry: ENTRY,
    });
    const functionId = stack.getLogicalId(
      service.function.node.defaultChild as unknown as Parameters<Stack['getLogicalId']>[0],
    );
    const variables = (
      Template.fromStack(stack).toJSON().Resources[functionId] as {
        Properties: { Environment: { Variables: Record<string, string> } };
      }
    ).Properties.Environment.Variables;
    const expected: BreakerSettingValues = Object.fromEntries(
      BREAKER_SETTING_NAMES.map((name) => [name, runtimeValue(name)]),
    );
    expect(breakerSettingsFromEnv(variables)).toEqual(expected);
  });

  it.each([
    [
      { failureRateThreshold: 1.5 },
      'circuitBreaker.failureRateThreshold must be in (0, 1]; got 1.5',
    ],
    [
      { halfOpenMaxProbes: 0.5 },
      'circuitBreaker.halfOpenMaxProbes must be a whole number; got 0.5',
    ],
    [{ minimumCalls: -2 }, 'circuitBreaker.minimumCalls must be a non-negative number; got -2'],
  ] as const)('refuses %j at synth, as the runtime would at cold start', (settings, message) => {
    expect(() => circuitBreakerEnvironment(settings)).toThrow(message);
  });
});
