import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { PLATFORM_ENV } from '../contract/environment';
import { DEFAULT_METRICS_NAMESPACE } from '../contract/metrics';

/**
 * Logger and Metrics without the Tracer: for a function that makes no traced calls of its own
 * (the authorizer, the log shipper). Lambda's active tracing still records its invocations; what
 * it saves is the X-Ray SDK, a third of a bundle (about 110 KB with its dependencies), and the
 * SDK's hooks on every promise.
 */
export interface LogAndMetrics {
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/**
 * One Logger and Metrics per function, named after the service. Their settings come from the
 * POWERTOOLS_* environment the constructs set (service name, namespace, log level), so a handler
 * never hard-codes them.
 */
export function createLogAndMetrics(
  defaultServiceName: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): LogAndMetrics {
  const serviceName = serviceNameOf(defaultServiceName, env);
  return {
    logger: new Logger({ serviceName }),
    metrics: new Metrics({
      serviceName,
      namespace: env[PLATFORM_ENV.powertoolsMetricsNamespace] || DEFAULT_METRICS_NAMESPACE,
    }),
  };
}

/** The name a function logs, traces and publishes under: its POWERTOOLS_SERVICE_NAME first. */
export function serviceNameOf(
  defaultServiceName: string,
  env: Readonly<Record<string, string | undefined>>,
): string {
  return env[PLATFORM_ENV.powertoolsServiceName] || defaultServiceName;
}
