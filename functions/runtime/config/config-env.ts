import { CONFIG_ENV } from '../contract/environment';
import { ConfigReader, type ConfigReaderOptions } from './config-reader';

/** The environment variables the `Microservice` construct sets for the reader (see contract). */
export { CONFIG_ENV };

/**
 * A reader configured from the function's environment: `CONFIG_SERVICE_PATH` and
 * `CONFIG_SHARED_PATH` (required), `APPCONFIG_APPLICATION` with `APPCONFIG_ENVIRONMENT` (both or
 * neither), `CONFIG_MAX_AGE_SECONDS` (optional). A wrong setting fails at cold start, not on the
 * first request that needs a value. `extra` adds what the environment cannot carry (logger,
 * metrics, providers, clock).
 */
export function configReaderFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
  extra: Omit<
    ConfigReaderOptions,
    'servicePath' | 'sharedPath' | 'appConfig' | 'maxAgeSeconds'
  > = {},
): ConfigReader {
  const required = (name: string): string => {
    const value = env[name]?.trim();
    if (!value) throw new Error(`${name} is not set`);
    return value;
  };
  const application = env[CONFIG_ENV.application]?.trim();
  const environment = env[CONFIG_ENV.environment]?.trim();
  if (Boolean(application) !== Boolean(environment)) {
    throw new Error(`${CONFIG_ENV.application} and ${CONFIG_ENV.environment} must be set together`);
  }
  const maxAgeText = env[CONFIG_ENV.maxAgeSeconds]?.trim();
  const maxAgeSeconds = maxAgeText ? Number(maxAgeText) : undefined;
  if (maxAgeSeconds !== undefined && !(Number.isFinite(maxAgeSeconds) && maxAgeSeconds >= 0)) {
    throw new Error(`${CONFIG_ENV.maxAgeSeconds} must be a number >= 0, got "${maxAgeText}"`);
  }
  return new ConfigReader({
    ...extra,
    servicePath: required(CONFIG_ENV.servicePath),
    sharedPath: required(CONFIG_ENV.sharedPath),
    appConfig: application && environment ? { application, environment } : undefined,
    maxAgeSeconds,
  });
}
