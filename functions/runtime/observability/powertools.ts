import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

export interface Powertools {
  readonly logger: Logger;
  readonly tracer: Tracer;
  readonly metrics: Metrics;
}

/**
 * One Logger, Tracer and Metrics per function, named after the service. Their settings come from
 * the POWERTOOLS_* environment the `Microservice` construct sets (service name, namespace, log
 * level), so a handler never hard-codes them.
 */
export function createPowertools(defaultServiceName: string): Powertools {
  const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? defaultServiceName;
  return {
    logger: new Logger({ serviceName }),
    tracer: new Tracer({ serviceName }),
    metrics: new Metrics({
      serviceName,
      namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'ServerlessMsa',
    }),
  };
}
