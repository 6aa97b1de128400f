import { Tracer } from '@aws-lambda-powertools/tracer';
import { createLogAndMetrics, serviceNameOf, type LogAndMetrics } from './log-and-metrics';

export interface Powertools extends LogAndMetrics {
  readonly tracer: Tracer;
}

/**
 * One Logger, Tracer and Metrics per function, named after the service. Their settings come from
 * the POWERTOOLS_* environment the constructs set (service name, namespace, log level), so a
 * handler never hard-codes them. A function without traced calls takes `createLogAndMetrics`.
 */
export function createPowertools(
  defaultServiceName: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Powertools {
  return {
    ...createLogAndMetrics(defaultServiceName, env),
    tracer: new Tracer({ serviceName: serviceNameOf(defaultServiceName, env) }),
  };
}
