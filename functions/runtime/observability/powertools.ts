import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { PLATFORM_ENV } from '../contract/environment';
import { DEFAULT_METRICS_NAMESPACE } from '../contract/metrics';

export interface Powertools {
  readonly logger: Logger;
  readonly tracer: Tracer;
  readonly metrics: Metrics;
}

/**
 * One Logger, Tracer and Metrics per function, named after the service. Their settings come from
 * the POWERTOOLS_* environment the constructs set (service name, namespace, log level), so a
 * handler never hard-codes them.
 */
export function createPowertools(
  defaultServiceName: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Powertools {
  const serviceName = env[PLATFORM_ENV.powertoolsServiceName] || defaultServiceName;
  return {
    logger: new Logger({ serviceName }),
    tracer: new Tracer({ serviceName }),
    metrics: new Metrics({
      serviceName,
      namespace: env[PLATFORM_ENV.powertoolsMetricsNamespace] || DEFAULT_METRICS_NAMESPACE,
    }),
  };
}
