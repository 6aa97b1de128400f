import {
  BREAKER_SETTING_NAMES,
  BREAKER_SETTINGS,
  breakerSettingProblem,
  type BreakerSettingValues,
} from '../contract/breaker';

/**
 * Breaker settings from the environment the platform set (see contract/breaker: one name per
 * setting, `CIRCUIT_` + its name in upper snake case). A value the contract refuses is a
 * deployment mistake: it fails at cold start with the variable's name, not later per call.
 */
export function breakerSettingsFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
): BreakerSettingValues {
  const settings: BreakerSettingValues = {};
  for (const name of BREAKER_SETTING_NAMES) {
    const { variable } = BREAKER_SETTINGS[name];
    const raw = env[variable]?.trim();
    if (raw === undefined || raw === '') continue;
    const value = Number(raw);
    const problem = breakerSettingProblem(name, value);
    if (problem) throw new Error(`${variable}: ${problem}, got '${raw}'`);
    settings[name] = value;
  }
  return settings;
}

/** The variables `breakerSettingsFromEnv` reads. */
export const BREAKER_ENVIRONMENT_VARIABLES = BREAKER_SETTING_NAMES.map(
  (name) => BREAKER_SETTINGS[name].variable,
);
