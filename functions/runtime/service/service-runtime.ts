import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { breakerSettingsFromEnv } from '../resilience/breaker-settings';
import {
  createBreakerDynamoDbClient,
  DynamoDbStateStore,
} from '../resilience/dynamodb-state-store';
import { FaultInjector, FaultStore } from '../resilience/fault-injection';
import { createPowertools, type Powertools } from '../observability/powertools';
import { ServiceClient } from './service-client';

/** Everything a service function shares with every other, wired from its environment. */
export interface ServiceRuntime {
  readonly serviceName: string;
  readonly powertools: Powertools;
  /** Calls other services: timeout, shared circuit breaker, retries, context propagation. */
  readonly services: ServiceClient;
  /** Faults an operator injected into this service; undefined without a resilience table. */
  readonly faults?: FaultInjector;
}

export interface ServiceRuntimeOptions {
  /**
   * Time one call to another service may take.
   * @default 2000
   */
  readonly callTimeoutMs?: number;
}

/**
 * Wires the runtime from the environment the `Microservice` construct sets: RESILIENCE_TABLE_NAME
 * (circuit state and injected faults, shared by the platform) and the CIRCUIT_* settings.
 */
export function createServiceRuntime(
  serviceName: string,
  options: ServiceRuntimeOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): ServiceRuntime {
  const powertools = createPowertools(serviceName);
  const tableName = env.RESILIENCE_TABLE_NAME;
  // Short timeouts: a breaker that waits long for its own state protects nothing.
  const dynamodb = tableName
    ? powertools.tracer.captureAWSv3Client(createBreakerDynamoDbClient())
    : undefined;
  const services = new ServiceClient({
    source: serviceName,
    timeoutMs: options.callTimeoutMs ?? 2000,
    resilience:
      tableName && dynamodb
        ? {
            store: new DynamoDbStateStore({ tableName, client: dynamodb }),
            breaker: {
              ...breakerSettingsFromEnv(env),
              logger: powertools.logger,
              metrics: powertools.metrics,
            },
          }
        : undefined,
  });
  powertools.tracer.captureAWSv3Client(services.client);
  const faults =
    tableName && dynamodb
      ? new FaultInjector({
          service: serviceName,
          store: new FaultStore(DynamoDBDocumentClient.from(dynamodb), tableName),
        })
      : undefined;
  return { serviceName, powertools, services, faults };
}
