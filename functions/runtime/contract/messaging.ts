/**
 * Messaging between services: the names the constructs (lib/messaging) and the runtime
 * (functions/runtime/messaging) agree on. Dependency-free.
 */

/** Environment of a function that publishes or consumes events. */
export const MESSAGING_ENV = {
  /** The platform's event bus (publishers). */
  eventBusName: 'EVENT_BUS_NAME',
  /** The `source` of every event this service publishes: `{platform}.{service}`. */
  eventSource: 'EVENT_SOURCE',
  /** Comma-separated event types the service declared it publishes (the grant's condition). */
  publishedEventTypes: 'EVENT_TYPES_PUBLISHED',
  /** The consumer's own queue: deferred messages go back to it. */
  consumerQueueUrl: 'CONSUMER_QUEUE_URL',
  consumerQueueArn: 'CONSUMER_QUEUE_ARN',
  /** Comma-separated circuits whose opening pauses consumption. */
  consumerCircuits: 'CONSUMER_CIRCUITS',
  /** First retry delay of a failed message, doubled per receive (seconds). */
  consumerRetryBaseSeconds: 'CONSUMER_RETRY_BASE_SECONDS',
  /** Cap of the retry delay (seconds; at most the queue's visibility timeout). */
  consumerRetryMaxSeconds: 'CONSUMER_RETRY_MAX_SECONDS',
  /**
   * Delay of a message deferred while a circuit is forced open (no reopening time is known):
   * the consumer is paused meanwhile, so this only bounds how soon it is seen after a resume.
   */
  consumerForcedOpenDelaySeconds: 'CONSUMER_FORCED_OPEN_DELAY_SECONDS',
  /** Where idempotency records live (the service's own table, `pk`/`sk`). */
  idempotencyTableName: 'IDEMPOTENCY_TABLE_NAME',
  /** How long a processed event is remembered (seconds). */
  idempotencyTtlSeconds: 'IDEMPOTENCY_TTL_SECONDS',
  /** The admin API: where consumers register their queues (an SSM path). */
  consumerRegistryPath: 'MESSAGING_CONSUMER_REGISTRY_PATH',
} as const;

/** Defaults both sides use when the construct leaves a value unset. */
export const MESSAGING_DEFAULTS = {
  maxReceiveCount: 5,
  batchSize: 10,
  retryBaseSeconds: 2,
  retryMaxSeconds: 300,
  forcedOpenDelaySeconds: 60,
  /** A day: far longer than any redelivery of the same message. */
  idempotencyTtlSeconds: 86_400,
} as const;

/** Event types are PascalCase names, e.g. `BookAdded` (EventBridge's `detail-type`). */
export const EVENT_TYPE_PATTERN = /^[A-Z][A-Za-z0-9]{0,63}$/;

/** The `source` of a service's events. */
export function eventSourceOf(platformName: string, serviceName: string): string {
  return `${platformName}.${serviceName}`;
}

/**
 * The event a consumer's schedule sends it: look at its circuits, and resume consumption if it
 * paused and they admit calls again.
 */
export const RESUME_CHECK_EVENT = { 'serverless-msa': 'consumer-resume-check' } as const;

export function isResumeCheckEvent(event: unknown): boolean {
  return (
    typeof event === 'object' &&
    event !== null &&
    (event as Record<string, unknown>)['serverless-msa'] === RESUME_CHECK_EVENT['serverless-msa']
  );
}

/**
 * What a consumer registers under `{platform root}/messaging/consumers/{service}` (one JSON
 * parameter), so the admin API finds every queue and dead-letter queue without the platform's
 * stack knowing the services.
 */
export interface ConsumerRegistration {
  readonly service: string;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly deadLetterQueueUrl: string;
  readonly deadLetterQueueArn: string;
  readonly maxReceiveCount: number;
  /** Circuits whose opening pauses this consumer (operators may force them). */
  readonly circuits: readonly string[];
}

export function consumerRegistryPath(platformParameterRoot: string): string {
  return `${platformParameterRoot}/messaging/consumers`;
}

/** Where a platform publishes its bus: `{platform root}/messaging/event-bus-{name|arn}`. */
export function eventBusParameterNames(platformParameterRoot: string): {
  readonly name: string;
  readonly arn: string;
} {
  return {
    name: `${platformParameterRoot}/messaging/event-bus-name`,
    arn: `${platformParameterRoot}/messaging/event-bus-arn`,
  };
}

/** Queue names: `{platform}-{stage}-{service}-events` and `…-events-dlq` (the admin grant's prefix). */
export function consumerQueueNames(
  platformName: string,
  stage: string,
  serviceName: string,
): { readonly queue: string; readonly deadLetterQueue: string; readonly prefix: string } {
  const prefix = `${platformName}-${stage}-`;
  const queue = `${prefix}${serviceName}-events`;
  return { queue, deadLetterQueue: `${queue}-dlq`, prefix };
}
