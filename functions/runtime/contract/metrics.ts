/**
 * CloudWatch metrics the runtime publishes (EMF) and the constructs chart and alarm on: the
 * namespace, metric names and dimension names, one definition for both sides.
 */

/** The namespace a function publishes to when its environment names none. */
export const DEFAULT_METRICS_NAMESPACE = 'ServerlessMsa';

/** The namespace of one platform's metrics: every function of the platform publishes there. */
export function metricsNamespaceOf(platformName: string): string {
  return `${DEFAULT_METRICS_NAMESPACE}/${platformName}`;
}

/** Dimension names. `service` is Powertools' default dimension: the publishing function's service. */
export const METRIC_DIMENSIONS = {
  service: 'service',
  /** The circuit (one per callee) a circuit metric counts. */
  circuit: 'circuit',
  /** The service a discovery metric is about. */
  targetService: 'targetService',
} as const;

/** Per circuit, dimensions `service` (the caller) and `circuit`, counted per minute. */
export const CIRCUIT_METRICS = {
  calls: 'CircuitCalls',
  failures: 'CircuitFailures',
  timeouts: 'CircuitTimeouts',
  slowCalls: 'CircuitSlowCalls',
  shortCircuits: 'CircuitShortCircuits',
  fallbacks: 'CircuitFallbacks',
  transitions: 'CircuitTransitions',
  storeErrors: 'CircuitStoreErrors',
  /** Calls admitted or refused by the local fail-open breaker, not by the shared state. */
  localDecisions: 'CircuitLocalDecisions',
} as const;

/** Every service function, dimension `service`. */
export const SERVICE_METRICS = {
  /** Requests that failed with a 5xx (bad input is not counted). */
  errors: 'Errors',
  /** Requests refused by a fault an operator injected. */
  injectedFaults: 'InjectedFaults',
  /** Configuration values refused by their schema. */
  configRejected: 'ConfigRejected',
  /** Discovery answers served from a stale cache (dimension `targetService`). */
  discoveryStaleAnswers: 'DiscoveryStaleAnswers',
} as const;

/** The health control loop; `HealthyInstances` has dimension `service`, the probed service. */
export const HEALTH_METRICS = {
  healthyInstances: 'HealthyInstances',
  servicesWithoutHealthyInstance: 'ServicesWithoutHealthyInstance',
  healthStatusChanges: 'HealthStatusChanges',
  healthUpdateErrors: 'HealthUpdateErrors',
  controlLoopDuration: 'ControlLoopDuration',
} as const;
