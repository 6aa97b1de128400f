import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { ConfigReader } from '../config/config-reader';
import type { Subscription } from '../messaging/consumer';
import { ServiceMessaging, type ServiceEvents } from '../messaging/service-messaging';
import { xrayTracing, type Tracing } from '../observability/tracing';
import { readServiceEnvironment, type Environment, type ServiceEnvironment } from './environment';
import type { HealthCheck } from './health';
import type { ServiceClient } from './service-client';
import {
  createServiceHandler,
  type OperationHandler,
  type RouteHandler,
  type ServiceLambdaHandler,
} from './service-handler';
import { createServiceRuntime } from './service-runtime';
import { tableHealthCheck } from './table-health';

/** What a service's code gets from the platform, wired from its function's environment. */
export interface ServiceContext {
  readonly serviceName: string;
  readonly version: string;
  /** Powertools, named after the service; log lines carry the correlation ID. */
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Tracing through the runtime's own interface (X-Ray today), never the exporter's API. */
  readonly tracing: Tracing;
  /** The service's own table (traced clients). */
  readonly table: {
    readonly name: string;
    readonly client: DynamoDBClient;
    readonly documents: DynamoDBDocumentClient;
  };
  /** Calls other services: discovery, timeout, shared circuit breaker, retries, context. */
  readonly services: ServiceClient;
  /** Central configuration: the service's SSM subtree, the shared one, AppConfig. */
  readonly config: ConfigReader;
  /** Publishing the events the service declared, and named circuits (e.g. its own store). */
  readonly events: ServiceEvents;
}

/** A service: its gateway routes, its internal operations and its own health checks. */
export interface ServiceDefinition {
  /** Gateway routes, keyed `METHOD /resource/template` as API Gateway names them. */
  readonly routes?: Record<string, RouteHandler>;
  /** Operations other services may invoke directly (`services.callService`). */
  readonly operations?: Record<string, OperationHandler>;
  /**
   * Health checks beside the ones every service gets (its table, its configuration).
   * @default - none
   */
  readonly healthChecks?: Record<string, HealthCheck>;
  /**
   * Serve internal invocations that carry no original caller.
   * @default false
   */
  readonly allowAnonymousInternalCalls?: boolean;
  /**
   * The events the service consumes (`on(EventType, handler)`), from the queue its construct's
   * `consumes(...)` gave it: batches with partial failures, each event processed once.
   * @default - none
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each typed by on()
  readonly consumes?: readonly Subscription<any>[];
}

export interface DefineServiceOptions {
  /** @default process.env */
  readonly env?: Environment;
}

/** A service function's handler, with the context it was wired with. */
export type ServiceHandler = ServiceLambdaHandler & { readonly service: ServiceContext };

/**
 * Defines a service function from its routes, operations and health checks, wired from the
 * environment its `Microservice` construct set: service name and version, its table, Powertools,
 * the service client with its shared circuit breakers (flushed at the end of every invocation),
 * injected faults, central configuration, and the health route `GET /{service}/health` checking
 * the table and configuration. Export the result as the function's handler.
 *
 * Pass a function to build routes from the context (a repository on `context.table`, calls
 * through `context.services`). A required variable that is missing throws
 * `MissingEnvironmentError` here, at cold start, naming every missing variable.
 */
export function defineService(
  definition: ServiceDefinition | ((context: ServiceContext) => ServiceDefinition),
  options: DefineServiceOptions = {},
): ServiceHandler {
  const env = options.env ?? process.env;
  const environment: ServiceEnvironment = readServiceEnvironment(env);
  const runtime = createServiceRuntime(environment.serviceName, {}, env);
  const { logger, metrics, tracer } = runtime.powertools;
  // Always set: readServiceEnvironment requires the configuration paths.
  const config = runtime.config as ConfigReader;
  const tracing = xrayTracing(tracer);
  const client = tracing.traceAwsClient(new DynamoDBClient({}));
  const messaging = new ServiceMessaging({
    serviceName: environment.serviceName,
    powertools: runtime.powertools,
    faults: runtime.faults,
    env: env as NodeJS.ProcessEnv,
  });
  if (messaging.publisherClient) tracing.traceAwsClient(messaging.publisherClient);
  const context: ServiceContext = {
    serviceName: environment.serviceName,
    version: environment.version,
    logger,
    metrics,
    tracing,
    table: {
      name: environment.tableName,
      client,
      documents: DynamoDBDocumentClient.from(client),
    },
    services: runtime.services,
    config,
    events: messaging.events,
  };
  const service = typeof definition === 'function' ? definition(context) : definition;
  const handler = createServiceHandler({
    serviceName: environment.serviceName,
    version: environment.version,
    powertools: runtime.powertools,
    faults: runtime.faults,
    afterInvocation: () =>
      Promise.all([runtime.services.flush(), messaging.flush()]).then(() => {}),
    healthChecks: {
      table: tableHealthCheck(client, environment.tableName),
      config: config.healthCheck(),
      ...service.healthChecks,
    },
    routes: service.routes,
    operations: service.operations,
    allowAnonymousInternalCalls: service.allowAnonymousInternalCalls,
  });
  const consumer = service.consumes?.length
    ? messaging.consumer(service.consumes, () => runtime.services.flush())
    : undefined;
  return Object.assign(ServiceMessaging.dispatch(handler, consumer), { service: context });
}
