import { BREAKER_SETTING_NAMES, BREAKER_SETTINGS } from './breaker';
import { CONFIG_ENV, CONFIG_MAX_AGE_SECONDS_DEFAULT } from './environment';

/**
 * The variables a platform sets for every one of its services (breaker settings, configuration
 * cache age), each with the runtime's default: what a platform publishes for services in other
 * stacks when it leaves a setting unset.
 */
export function serviceEnvironmentDefaults(): Record<string, string> {
  const defaults: Record<string, string> = {};
  for (const name of BREAKER_SETTING_NAMES) {
    defaults[BREAKER_SETTINGS[name].variable] = String(BREAKER_SETTINGS[name].default);
  }
  defaults[CONFIG_ENV.maxAgeSeconds] = String(CONFIG_MAX_AGE_SECONDS_DEFAULT);
  return defaults;
}
