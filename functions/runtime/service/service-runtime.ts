import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_CALL_TIMEOUT_MS } from '../contract/breaker';
import { CONFIG_ENV, DISCOVERY_ENV, SERVICE_ENV } from '../contract/environment';
import { breakerSettingsFromEnv } from '../resilience/breaker-settings';
import {
  createBreakerDynamoDbClient,
  DynamoDbStateStore,
} from '../resilience/dynamodb-state-store';
import { FaultInjector, FaultStore } from '../resilience/fault-injection';
import { configReaderFromEnv } from '../config/config-env';
import type { ConfigReader } from '../config/config-reader';
import { createPowertools, type Powertools } from '../observability/powertools';
import { xrayTracing } from '../observability/tracing';
import { DiscoveryLookupError, discoveryClientFromEnv } from '../discovery/discovery-client';
import { ServiceClient, type ServiceDirectory } from './service-client';
import type { Environment } from './environment';
import { serviceFunctionName } from './service-directory';

/** Everything a service function shares with every other, wired from its environment. */
export interface ServiceRuntime {
  readonly serviceName: string;
  readonly powertools: Powertools;
  /** Calls other services: timeout, shared circuit breaker, retries, context propagation. */
  readonly services: ServiceClient;
  /** Faults an operator injected into this service; undefined without a resilience table. */
  readonly faults?: FaultInjector;
  /** Central configuration (SSM hierarchy, AppConfig); undefined without CONFIG_SERVICE_PATH. */
  readonly config?: ConfigReader;
}

export interface ServiceRuntimeOptions {
  /**
   * Time one call to another service may take.
   * @default - CIRCUIT_CALL_TIMEOUT_MS, else DEFAULT_CALL_TIMEOUT_MS (contract)
   */
  readonly callTimeoutMs?: number;
}

/**
 * Wires the runtime from the environment the `Microservice` construct sets (names in contract/):
 * RESILIENCE_TABLE_NAME (circuit state and injected faults, shared by the platform), the
 * CIRCUIT_* settings, the discovery namespace and the configuration paths. What is unset is left
 * out (no breaker, no discovery, no configuration); `defineService` requires them all.
 */
export function createServiceRuntime(
  serviceName: string,
  options: ServiceRuntimeOptions = {},
  env: Environment = process.env,
): ServiceRuntime {
  const powertools = createPowertools(serviceName, env);
  const tracing = xrayTracing(powertools.tracer);
  const breakerSettings = breakerSettingsFromEnv(env);
  const tableName = env[SERVICE_ENV.resilienceTableName];
  // Short timeouts: a breaker that waits long for its own state protects nothing.
  const dynamodb = tableName ? tracing.traceAwsClient(createBreakerDynamoDbClient()) : undefined;
  const services = new ServiceClient({
    source: serviceName,
    directory: env[DISCOVERY_ENV.namespace] ? discoveryDirectory(env, powertools) : undefined,
    timeoutMs: options.callTimeoutMs ?? breakerSettings.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS,
    resilience:
      tableName && dynamodb
        ? {
            store: new DynamoDbStateStore({ tableName, client: dynamodb }),
            breaker: {
              ...breakerSettings,
              logger: powertools.logger,
              metrics: powertools.metrics,
            },
          }
        : undefined,
  });
  // Traced, so a direct invocation carries X-Amzn-Trace-Id and the callee joins the trace.
  tracing.traceAwsClient(services.client);
  const faults =
    tableName && dynamodb
      ? new FaultInjector({
          service: serviceName,
          store: new FaultStore(DynamoDBDocumentClient.from(dynamodb), tableName),
        })
      : undefined;
  const config = env[CONFIG_ENV.servicePath]
    ? configReaderFromEnv(env, { logger: powertools.logger, metrics: powertools.metrics })
    : undefined;
  return { serviceName, powertools, services, faults, config };
}

/**
 * Services by logical name through Cloud Map: a weighted choice among healthy instances, cached
 * briefly. When Cloud Map cannot be asked at all and nothing is cached, the function named in the
 * environment at deploy time (if any) still serves, so discovery never becomes the single point
 * of failure it replaces.
 */
function discoveryDirectory(env: Environment, powertools: Powertools): ServiceDirectory {
  const discovery = discoveryClientFromEnv(env, {
    logger: powertools.logger,
    metrics: powertools.metrics,
  });
  return {
    async functionFor(service) {
      try {
        return (await discovery.choose(service)).functionName;
      } catch (error) {
        if (error instanceof DiscoveryLookupError) {
          try {
            return serviceFunctionName(service, env);
          } catch {
            // no static fallback either: report the discovery failure
          }
        }
        throw error;
      }
    },
  };
}
