import type { Context } from 'aws-lambda';
import { MESSAGING_ENV } from '../contract/messaging';
import { breakerSettingsFromEnv } from '../resilience/breaker-settings';
import { CircuitBreaker } from '../resilience/circuit-breaker';
import {
  createBreakerDynamoDbClient,
  DynamoDbStateStore,
} from '../resilience/dynamodb-state-store';
import type { Powertools } from '../observability/powertools';
import type { EventConsumer, Subscription } from './consumer';
import { eventConsumerFromEnv, withEventConsumer } from './consumer-runtime';
import type { EventType } from './event-type';
import {
  EventPublishError,
  eventPublisherFromEnv,
  type EventPublisher,
  type PublishContext,
  type PublishOptions,
} from './publisher';

/** Events and named circuits, as a service's code sees them (`ServiceContext.events`). */
export interface ServiceEvents {
  /** Whether the service declared events it publishes (the construct's `publishes`). */
  readonly canPublish: boolean;
  /**
   * Validates and publishes an event the service declared; returns its ID. Throws
   * `EventPublishError` when the bus refused it or the service declared no events.
   */
  publish<T>(
    type: EventType<T>,
    data: T,
    context: PublishContext,
    options?: PublishOptions,
  ): Promise<string>;
  /**
   * The breaker of a named downstream (say, the service's own store), its state shared
   * fleet-wide. A consumer whose handler meets it open pauses until it admits calls again.
   */
  circuit(name: string): CircuitBreaker;
}

export interface ServiceMessagingOptions {
  readonly serviceName: string;
  readonly powertools: Powertools;
  readonly faults?: { apply(): Promise<void> };
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

/** A service's messaging, wired from its environment; one per function. */
export class ServiceMessaging {
  readonly events: ServiceEvents;
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly publisher?: EventPublisher;
  private store?: DynamoDbStateStore;

  constructor(private readonly options: ServiceMessagingOptions) {
    const env = options.env ?? process.env;
    this.publisher = env[MESSAGING_ENV.eventBusName]
      ? eventPublisherFromEnv(options.serviceName, env)
      : undefined;
    const publisher = this.publisher;
    this.events = {
      canPublish: publisher !== undefined,
      publish: (type, data, context, publishOptions) => {
        if (!publisher) {
          return Promise.reject(
            new EventPublishError(type.name, `${options.serviceName} declares no published events`),
          );
        }
        return publisher.publish(type, data, context, publishOptions);
      },
      circuit: (name) => this.circuit(name),
    };
  }

  /** The EventBridge client, for tracing; undefined without published events. */
  get publisherClient() {
    return this.publisher?.eventBridge;
  }

  /** Writes the named circuits' pending counts; call at the end of every invocation. */
  async flush(): Promise<void> {
    await Promise.all([...this.breakers.values()].map((breaker) => breaker.flush()));
  }

  /** The consumer of `subscriptions`, wired from the environment `consumes(...)` set. */
  consumer(
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each typed by on()
    subscriptions: readonly Subscription<any>[],
    afterBatch: () => Promise<void>,
  ): EventConsumer {
    return eventConsumerFromEnv(
      {
        subscriptions,
        runtime: { powertools: this.options.powertools, faults: this.options.faults },
        overrides: {
          circuits: (name) => this.circuit(name),
          afterBatch: async () => {
            await Promise.all([this.flush(), afterBatch()]);
          },
        },
      },
      this.options.env ?? process.env,
    ).consumer;
  }

  /** Routes SQS batches and resume checks to the consumer, everything else to `handler`. */
  static dispatch(
    handler: (event: unknown, context: Context) => Promise<unknown>,
    consumer: EventConsumer | undefined,
  ): (event: unknown, context: Context) => Promise<unknown> {
    return consumer ? withEventConsumer(handler, consumer) : handler;
  }

  private circuit(name: string): CircuitBreaker {
    let breaker = this.breakers.get(name);
    if (!breaker) {
      const env = this.options.env ?? process.env;
      const tableName = env.RESILIENCE_TABLE_NAME;
      if (!tableName) throw new Error('RESILIENCE_TABLE_NAME must be set to use a circuit');
      this.store ??= new DynamoDbStateStore({
        tableName,
        client: this.options.powertools.tracer.captureAWSv3Client(createBreakerDynamoDbClient()),
      });
      breaker = new CircuitBreaker({
        ...breakerSettingsFromEnv(env),
        logger: this.options.powertools.logger,
        metrics: this.options.powertools.metrics,
        name,
        store: this.store,
      });
      this.breakers.set(name, breaker);
    }
    return breaker;
  }
}
