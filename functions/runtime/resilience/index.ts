export {
  CircuitAdmin,
  summarize,
  type CircuitAdminOptions,
  type CircuitSummary,
} from './circuit-admin';
export {
  CircuitBreaker,
  type CircuitView,
  type Fallback,
  type FallbackContext,
  type FallbackReason,
  type ProtectedCall,
} from './circuit-breaker';
export type { CircuitCounts } from './circuit-telemetry';
export { ManualClock, systemClock, type Clock, type TimerHandle } from './clock';
export {
  CIRCUIT_KEY_PREFIX,
  CIRCUIT_SORT_KEY,
  createBreakerDynamoDbClient,
  DynamoDbStateStore,
  type BreakerClientOptions,
  type DynamoDbStateStoreOptions,
} from './dynamodb-state-store';
export { CallTimeoutError, CircuitOpenError, StateStoreError } from './errors';
export {
  httpStatusOf,
  isFailureError,
  isFailureResult,
  isFailureStatus,
} from './failure-predicate';
export { MemoryStateStore } from './memory-state-store';
export type { BreakerLogger, CircuitBreakerOptions } from './options';
export { windowCounts, type WindowCounts } from './sliding-window';
export {
  emptyRecord,
  type CircuitRecord,
  type CircuitState,
  type OutcomeBatch,
  type ProbeLease,
  type StateStore,
  type StoreCallOptions,
} from './state-store';
export { openDuration, type TransitionEvent } from './transitions';
