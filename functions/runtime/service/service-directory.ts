import { serviceFunctionEnvironmentName } from '../contract/environment';

/**
 * Where a service finds the function of another service it calls. The `Microservice`
 * construct's `addServiceDependency` sets one environment variable per callee (named in the
 * contract).
 */
export { serviceFunctionEnvironmentName };

export function serviceFunctionName(
  serviceName: string,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const name = env[serviceFunctionEnvironmentName(serviceName)];
  if (!name) {
    throw new Error(
      `No function is configured for service '${serviceName}' (${serviceFunctionEnvironmentName(serviceName)})`,
    );
  }
  return name;
}
