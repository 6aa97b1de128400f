/** Messaging between services: events on the platform's bus, a queue per consuming service. */
export {
  BusEventSchema,
  defineEvent,
  EventDetailSchema,
  EventMetadataSchema,
  EventValidationError,
  validateEventData,
  type EventDetail,
  type EventMetadata,
  type EventType,
} from './event-type';
export {
  EventPublishError,
  EventPublisher,
  eventPublisherFromEnv,
  type EventPublisherOptions,
  type PublishContext,
  type PublishOptions,
} from './publisher';
export {
  admitsCalls,
  EventConsumer,
  on,
  type EventConsumerOptions,
  type EventContext,
  type EventHandler,
  type ResumeCheckResult,
  type Subscription,
} from './consumer';
export {
  EventSourceMappingControl,
  type EventSourceMappingControlOptions,
  type PauseMarker,
} from './consumption-control';
export {
  eventConsumerFromEnv,
  idempotencyPersistence,
  isSqsEvent,
  withEventConsumer,
  type ConsumerFromEnvOptions,
  type ConsumerRuntime,
} from './consumer-runtime';
export {
  ServiceMessaging,
  type ServiceEvents,
  type ServiceMessagingOptions,
} from './service-messaging';
