/**
 * The runtime library for service handlers: `defineService` and what a route needs (problems,
 * JSON, validation, scopes). Each concern has its own entry point too (`./service`, `./http`,
 * `./auth`, `./config`, `./discovery`, `./resilience`, `./observability`, `./messaging`,
 * `./contract`); import
 * from these, never from the files behind them.
 */
export * from './service';
export * from './http';
export { hasAllScopes, isScopeToken, parseScope, requireScopes } from './auth/scopes';
export { CORRELATION_ID_HEADER } from './observability/correlation';
export type { Powertools } from './observability/powertools';
export {
  defineEvent,
  EventPublishError,
  EventValidationError,
  on,
  type EventContext,
  type EventType,
  type ServiceEvents,
  type Subscription,
} from './messaging';
