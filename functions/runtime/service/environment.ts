import { CONFIG_ENV, DISCOVERY_ENV, SERVICE_ENV } from '../contract/environment';

export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Variables a function cannot run without are missing: thrown at cold start (module load), so
 * the deployment fails its first invocation with the names, instead of failing later requests
 * against a table or path called ''.
 */
export class MissingEnvironmentError extends Error {
  override readonly name = 'MissingEnvironmentError';

  constructor(
    /** Who needs them: a service or platform function's name. */
    readonly functionName: string,
    readonly variables: readonly string[],
    hint: string,
  ) {
    super(
      `${functionName} cannot start: environment variable${variables.length > 1 ? 's' : ''} ${variables.join(', ')} ${variables.length > 1 ? 'are' : 'is'} not set (${hint})`,
    );
  }
}

/**
 * The values of `names` in `env`, trimmed; every one that is unset or blank is reported at once.
 * `hint` says who sets them, for the error message.
 */
export function requireEnvironment<const Name extends string>(
  env: Environment,
  functionName: string,
  names: readonly Name[],
  hint: string,
): Record<Name, string> {
  const values = {} as Record<Name, string>;
  const missing: string[] = [];
  for (const name of names) {
    const value = env[name]?.trim();
    if (value) values[name] = value;
    else missing.push(name);
  }
  if (missing.length) throw new MissingEnvironmentError(functionName, missing, hint);
  return values;
}

/** What a service function learns from the environment its `Microservice` construct set. */
export interface ServiceEnvironment {
  readonly serviceName: string;
  /** @default 'unknown' when SERVICE_VERSION is unset */
  readonly version: string;
  /** The service's own table. */
  readonly tableName: string;
  /** Circuit state and injected faults, shared by the platform. */
  readonly resilienceTableName: string;
  /**
   * The platform's Cloud Map namespace; undefined on a LocalStack target (no Cloud Map), where
   * calls go to the function names the service's dependencies set.
   */
  readonly discoveryNamespace?: string;
}

/** Set by the `Microservice` construct on every service function, whatever the service. */
export const REQUIRED_SERVICE_VARIABLES = [
  SERVICE_ENV.serviceName,
  SERVICE_ENV.tableName,
  SERVICE_ENV.resilienceTableName,
  CONFIG_ENV.servicePath,
  CONFIG_ENV.sharedPath,
] as const;

/** Reads and checks a service function's environment; throws MissingEnvironmentError. */
export function readServiceEnvironment(env: Environment): ServiceEnvironment {
  const values = requireEnvironment(
    env,
    env[SERVICE_ENV.serviceName]?.trim() || 'service function',
    REQUIRED_SERVICE_VARIABLES,
    'the Microservice construct sets them; a function deployed without it must set them itself',
  );
  return {
    serviceName: values[SERVICE_ENV.serviceName],
    version: env[SERVICE_ENV.version]?.trim() || 'unknown',
    tableName: values[SERVICE_ENV.tableName],
    resilienceTableName: values[SERVICE_ENV.resilienceTableName],
    discoveryNamespace: env[DISCOVERY_ENV.namespace]?.trim() || undefined,
  };
}
