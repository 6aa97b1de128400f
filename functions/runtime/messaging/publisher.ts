import { randomUUID } from 'node:crypto';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { MESSAGING_ENV } from '../contract/messaging';
import type { CallerIdentity } from '../service/internal-request';
import { type EventDetail, type EventType, validateEventData } from './event-type';

/** What a published event inherits from the request that caused it. */
export interface PublishContext {
  readonly correlationId: string;
  readonly caller?: CallerIdentity;
  readonly traceHeader?: string;
}

export interface PublishOptions {
  /**
   * The event's ID: give a stable one (e.g. stored with the change) to publish the same event
   * again after a failure; consumers process an ID once.
   * @default - a new UUID
   */
  readonly eventId?: string;
}

/** EventBridge refused the event (the entry failed, or the call did). */
export class EventPublishError extends Error {
  constructor(
    readonly eventType: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${eventType} not published: ${message}`, options);
    this.name = 'EventPublishError';
  }
}

export interface EventPublisherOptions {
  readonly eventBusName: string;
  /** `source` of every event (`{platform}.{service}`). */
  readonly source: string;
  /** The publishing service's logical name, in each event's metadata. */
  readonly serviceName: string;
  /**
   * The event types this service declared; any other is refused before it reaches the bus
   * (where the IAM condition on `events:detail-type` would refuse it anyway).
   * @default - any type
   */
  readonly eventTypes?: readonly string[];
  /** @default - a client from the environment */
  readonly client?: EventBridgeClient;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

/**
 * Publishes a service's events to the platform's bus. Each event's data is validated against
 * its type's schema first; the envelope carries the correlation ID, the trace header (also set
 * as the entry's `TraceHeader`, so X-Ray follows the event) and the original caller.
 */
export class EventPublisher {
  private readonly client: EventBridgeClient;
  private readonly now: () => Date;

  constructor(private readonly options: EventPublisherOptions) {
    this.client = options.client ?? new EventBridgeClient({});
    this.now = options.now ?? (() => new Date());
  }

  get eventBridge(): EventBridgeClient {
    return this.client;
  }

  /** Validates and publishes one event; returns its ID. */
  async publish<T>(
    type: EventType<T>,
    data: T,
    context: PublishContext,
    options: PublishOptions = {},
  ): Promise<string> {
    const { eventTypes } = this.options;
    if (eventTypes && !eventTypes.includes(type.name)) {
      throw new EventPublishError(type.name, `${this.options.serviceName} does not publish it`);
    }
    const valid = validateEventData(type, data);
    const eventId = options.eventId ?? randomUUID();
    const traceHeader = context.traceHeader ?? process.env._X_AMZN_TRACE_ID;
    const detail: EventDetail = {
      metadata: {
        eventId,
        eventType: type.name,
        publishedBy: this.options.serviceName,
        publishedAt: this.now().toISOString(),
        correlationId: context.correlationId,
        ...(traceHeader ? { traceHeader } : {}),
        ...(context.caller ? { caller: context.caller } : {}),
      },
      data: valid,
    };
    let output;
    try {
      output = await this.client.send(
        new PutEventsCommand({
          Entries: [
            {
              EventBusName: this.options.eventBusName,
              Source: this.options.source,
              DetailType: type.name,
              Detail: JSON.stringify(detail),
              ...(traceHeader ? { TraceHeader: traceHeader } : {}),
            },
          ],
        }),
      );
    } catch (error) {
      throw new EventPublishError(type.name, (error as Error).name ?? 'call failed', {
        cause: error,
      });
    }
    const entry = output.Entries?.[0];
    if ((output.FailedEntryCount ?? 0) > 0 || !entry || entry.ErrorCode) {
      throw new EventPublishError(type.name, entry?.ErrorCode ?? 'entry failed');
    }
    return eventId;
  }
}

/** A publisher wired from the environment the construct set (`publishes(...)`). */
export function eventPublisherFromEnv(
  serviceName: string,
  env: NodeJS.ProcessEnv = process.env,
  client?: EventBridgeClient,
): EventPublisher {
  const eventBusName = env[MESSAGING_ENV.eventBusName];
  const source = env[MESSAGING_ENV.eventSource];
  if (!eventBusName || !source) {
    throw new Error(
      `${MESSAGING_ENV.eventBusName} and ${MESSAGING_ENV.eventSource} must be set: declare the events the service publishes`,
    );
  }
  const declared = env[MESSAGING_ENV.publishedEventTypes];
  return new EventPublisher({
    eventBusName,
    source,
    serviceName,
    eventTypes: declared ? declared.split(',').filter(Boolean) : undefined,
    client,
  });
}
