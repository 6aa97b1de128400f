import { Lazy } from 'aws-cdk-lib';
import * as eventschemas from 'aws-cdk-lib/aws-eventschemas';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import {
  EVENT_TYPE_PATTERN,
  eventSourceOf,
  MESSAGING_ENV,
} from '../../functions/runtime/contract/messaging';
import { PlatformEventBus } from './platform-event-bus';
import type { IMessagingService } from './messaging-service';

/** A JSON Schema (draft 4, as EventBridge's schema registry takes it), e.g. from zod's `toJSONSchema`. */
export type JsonSchema = Record<string, unknown>;

/** One event type a service publishes. */
export interface PublishedEvent {
  /** PascalCase name, EventBridge's `detail-type`, e.g. `BookAdded`. */
  readonly eventType: string;
  /** JSON schema of the event's data (draft 4). */
  readonly schema: JsonSchema;
  /**
   * What the event means, for the schema registry.
   * @default - none
   */
  readonly description?: string;
}

export interface EventPublicationProps {
  readonly service: IMessagingService;
}

/**
 * The events one service publishes: `events:PutEvents` on the platform's bus, allowed only with
 * the service's own `source` and only for the declared `detail-type`s, each type's schema in the
 * platform's schema registry, and the publisher's environment (bus, source, declared types).
 */
export class EventPublication extends Construct {
  readonly source: string;
  private readonly registry: string;
  private readonly types: PublishedEvent[] = [];

  constructor(scope: Construct, id: string, props: EventPublicationProps) {
    super(scope, id);
    const { service } = props;
    const messaging = PlatformEventBus.of(service.platform);
    this.source = eventSourceOf(service.platform.platformName, service.serviceName);
    const declared = Lazy.list({ produce: () => this.types.map((type) => type.eventType) });
    service.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['events:PutEvents'],
        resources: [messaging.eventBus.eventBusArn],
        conditions: {
          // Every entry names the service's own source and one of its declared types.
          StringEquals: { 'events:source': this.source, 'events:detail-type': declared },
        },
      }),
    );
    service.function.addEnvironment(MESSAGING_ENV.eventBusName, messaging.eventBus.eventBusName);
    service.function.addEnvironment(MESSAGING_ENV.eventSource, this.source);
    service.function.addEnvironment(
      MESSAGING_ENV.publishedEventTypes,
      Lazy.string({ produce: () => this.types.map((type) => type.eventType).join(',') }),
    );
    this.registry = messaging.schemaRegistryName;
  }

  /** The event types declared so far. */
  get eventTypes(): readonly string[] {
    return this.types.map((type) => type.eventType);
  }

  /** Declares one more event type the service publishes. */
  add(event: PublishedEvent): void {
    if (!EVENT_TYPE_PATTERN.test(event.eventType)) {
      throw new Error(
        `eventType must be PascalCase letters and digits, at most 64; got '${event.eventType}'`,
      );
    }
    if (this.types.some((type) => type.eventType === event.eventType)) {
      throw new Error(`${this.source} already publishes ${event.eventType}`);
    }
    this.types.push(event);
    new eventschemas.CfnSchema(this, `Schema${event.eventType}`, {
      registryName: this.registry,
      schemaName: `${this.source}@${event.eventType}`,
      type: 'JSONSchemaDraft4',
      description: event.description,
      content: JSON.stringify(eventEnvelopeSchema(event)),
    });
  }
}

/** The schema of the whole `detail`: the platform's metadata and the type's data. */
function eventEnvelopeSchema(event: PublishedEvent): JsonSchema {
  return {
    $schema: 'http://json-schema.org/draft-04/schema#',
    title: event.eventType,
    type: 'object',
    required: ['metadata', 'data'],
    properties: {
      metadata: {
        type: 'object',
        required: ['eventId', 'eventType', 'publishedBy', 'publishedAt', 'correlationId'],
        properties: {
          eventId: { type: 'string' },
          eventType: { type: 'string', enum: [event.eventType] },
          publishedBy: { type: 'string' },
          publishedAt: { type: 'string', format: 'date-time' },
          correlationId: { type: 'string' },
          traceHeader: { type: 'string' },
          caller: {
            type: 'object',
            required: ['sub', 'clientId', 'scopes'],
            properties: {
              sub: { type: 'string' },
              clientId: { type: 'string' },
              scopes: { type: 'array', items: { type: 'string' } },
            },
          },
        },
      },
      data: stripSchemaKeyword(event.schema),
    },
  };
}

function stripSchemaKeyword(schema: JsonSchema): JsonSchema {
  const { $schema: _ignored, ...rest } = schema;
  return rest;
}
