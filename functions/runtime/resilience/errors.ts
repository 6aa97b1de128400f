import type { CircuitState } from './state-store';

/** Thrown when the circuit refuses a call (open, forced open, or no half-open probe slot free). */
export class CircuitOpenError extends Error {
  constructor(
    readonly circuit: string,
    readonly state: CircuitState,
  ) {
    super(`circuit ${circuit} is ${state}`);
    this.name = 'CircuitOpenError';
  }
}

/** Thrown when a protected call did not settle within its time limit. */
export class CallTimeoutError extends Error {
  constructor(
    readonly circuit: string,
    readonly timeoutMs: number,
  ) {
    super(`circuit ${circuit}: no answer within ${timeoutMs} ms`);
    this.name = 'CallTimeoutError';
  }
}

/**
 * The state store failed or was too slow. The breaker never lets this reach a caller: it falls
 * open to its local breaker and counts the error instead.
 */
export class StateStoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StateStoreError';
  }
}
