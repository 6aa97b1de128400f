import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { SERVICE_TABLE_TTL_ATTRIBUTE } from '../contract/environment';
import { isResumeCheckEvent, MESSAGING_DEFAULTS, MESSAGING_ENV } from '../contract/messaging';
import { breakerSettingsFromEnv } from '../resilience/breaker-settings';
import { CircuitBreaker } from '../resilience/circuit-breaker';
import {
  createBreakerDynamoDbClient,
  DynamoDbStateStore,
} from '../resilience/dynamodb-state-store';
import type { Powertools } from '../observability/powertools';
import { EventSourceMappingControl } from './consumption-control';
import { EventConsumer, type EventConsumerOptions, type Subscription } from './consumer';
import { xrayTracing } from '../observability/tracing';

export interface ConsumerFromEnvOptions {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each typed by on()
  readonly subscriptions: readonly Subscription<any>[];
  /** The service's runtime: its Powertools and injected faults. */
  readonly runtime: {
    readonly powertools: Powertools;
    readonly faults?: { apply(): Promise<void> };
  };
  /** Overrides of what the environment gives (tests, or a consumer with its own clients). */
  readonly overrides?: Partial<EventConsumerOptions>;
}

/** A consumer and the breakers its handlers call through (one per circuit name, shared). */
export interface ConsumerRuntime {
  readonly consumer: EventConsumer;
  /**
   * The breaker of a circuit: a handler's downstream calls go through it, so an open circuit
   * pauses consumption (declare the name with the construct's `pauseOnOpenCircuits`).
   */
  breaker(name: string): CircuitBreaker;
}

/**
 * Where a consumer remembers the events it processed: its service's own table, one partition per
 * consuming function, each record expiring through the table's TTL attribute.
 */
export function idempotencyPersistence(
  tableName: string,
  functionName: string,
  client: DynamoDBClient,
): DynamoDBPersistenceLayer {
  return new DynamoDBPersistenceLayer({
    tableName,
    keyAttr: 'pk',
    sortKeyAttr: 'sk',
    expiryAttr: SERVICE_TABLE_TTL_ATTRIBUTE,
    staticPkValue: `idempotency#${functionName}`,
    awsSdkV3Client: client,
  });
}

/**
 * Wires a consumer from the environment the construct set (`consumes(...)`): idempotency
 * records in the service's table, its queue for deferred messages, its event source mapping
 * (paused while a circuit is open), breakers on the platform's resilience table.
 */
export function eventConsumerFromEnv(
  options: ConsumerFromEnvOptions,
  env: NodeJS.ProcessEnv = process.env,
): ConsumerRuntime {
  const required = (name: string): string => {
    const value = env[name];
    if (!value) throw new Error(`${name} must be set: declare the events the service consumes`);
    return value;
  };
  const queueUrl = required(MESSAGING_ENV.consumerQueueUrl);
  const queueArn = required(MESSAGING_ENV.consumerQueueArn);
  const tableName = required(MESSAGING_ENV.idempotencyTableName);
  const { powertools } = options.runtime;
  const dynamodb = xrayTracing(powertools.tracer).traceAwsClient(new DynamoDBClient({}));
  const documents = DynamoDBDocumentClient.from(dynamodb);
  const resilienceTable = env.RESILIENCE_TABLE_NAME;
  const store = resilienceTable
    ? new DynamoDbStateStore({ tableName: resilienceTable, client: createBreakerDynamoDbClient() })
    : undefined;
  const breakers = new Map<string, CircuitBreaker>();
  const breaker = (name: string): CircuitBreaker => {
    if (!store) throw new Error('RESILIENCE_TABLE_NAME must be set to use circuits');
    let found = breakers.get(name);
    if (!found) {
      found = new CircuitBreaker({
        ...breakerSettingsFromEnv(env),
        logger: powertools.logger,
        metrics: powertools.metrics,
        name,
        store,
      });
      breakers.set(name, found);
    }
    return found;
  };
  const seconds = (name: string, fallback: number) => {
    const value = Number(env[name]);
    return Number.isFinite(value) && value > 0 ? value : fallback;
  };
  const consumer = new EventConsumer({
    powertools,
    subscriptions: options.subscriptions,
    persistence: idempotencyPersistence(
      tableName,
      env.AWS_LAMBDA_FUNCTION_NAME ?? 'consumer',
      dynamodb,
    ),
    idempotencyTtlSeconds: seconds(
      MESSAGING_ENV.idempotencyTtlSeconds,
      MESSAGING_DEFAULTS.idempotencyTtlSeconds,
    ),
    queueUrl,
    circuits: store ? breaker : undefined,
    control: env.AWS_LAMBDA_FUNCTION_NAME
      ? new EventSourceMappingControl({
          functionName: env.AWS_LAMBDA_FUNCTION_NAME,
          queueArn,
          documents,
          tableName,
        })
      : undefined,
    faults: options.runtime.faults,
    retry: {
      baseSeconds: seconds(
        MESSAGING_ENV.consumerRetryBaseSeconds,
        MESSAGING_DEFAULTS.retryBaseSeconds,
      ),
      maxSeconds: seconds(
        MESSAGING_ENV.consumerRetryMaxSeconds,
        MESSAGING_DEFAULTS.retryMaxSeconds,
      ),
    },
    forcedOpenDelaySeconds: seconds(
      MESSAGING_ENV.consumerForcedOpenDelaySeconds,
      MESSAGING_DEFAULTS.forcedOpenDelaySeconds,
    ),
    afterBatch: async () => {
      await Promise.all([...breakers.values()].map((one) => one.flush()));
    },
    ...options.overrides,
  });
  return { consumer, breaker };
}

/** True for an SQS batch (what an SQS event source mapping sends). */
export function isSqsEvent(event: unknown): event is SQSEvent {
  const records = (event as { Records?: unknown } | null)?.Records;
  return (
    Array.isArray(records) &&
    records.length > 0 &&
    (records[0] as { eventSource?: unknown })?.eventSource === 'aws:sqs'
  );
}

/**
 * One entry point for a service that serves requests and consumes events: SQS batches go to the
 * consumer, its schedule's resume check too, everything else to the service handler.
 */
export function withEventConsumer(
  serviceHandler: (event: unknown, context: Context) => Promise<unknown>,
  consumer: EventConsumer,
): (event: unknown, context: Context) => Promise<unknown> {
  return async (event, context): Promise<unknown> => {
    if (isSqsEvent(event)) return consumer.handleBatch(event, context) as Promise<SQSBatchResponse>;
    if (isResumeCheckEvent(event)) return consumer.resumeCheck();
    return serviceHandler(event, context);
  };
}
