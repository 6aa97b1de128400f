export * from './platform-event-bus';
export * from './event-publication';
export * from './event-subscription';
export * from './messaging-service';
