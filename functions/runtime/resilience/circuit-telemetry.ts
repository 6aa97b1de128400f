import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { BreakerLogger } from './options';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { TransitionEvent } from './transitions';
import { CIRCUIT_METRICS, METRIC_DIMENSIONS } from '../contract/metrics';

export interface CircuitCounts {
  calls: number;
  failures: number;
  timeouts: number;
  slowCalls: number;
  shortCircuits: number;
  fallbacks: number;
  transitions: number;
  storeErrors: number;
  /** Calls admitted or refused by the local fail-open breaker, not by the shared state. */
  localDecisions: number;
}

const METRIC_NAMES: Record<keyof CircuitCounts, string> = CIRCUIT_METRICS;

/** Rare events worth an alarm within the minute are published at once; the rest is batched. */
const PUBLISHED_AT_ONCE: ReadonlySet<keyof CircuitCounts> = new Set(['transitions', 'storeErrors']);

/** CloudWatch's standard resolution: publishing call counts more often buys nothing. */
const PUBLISH_INTERVAL_MS = 60_000;

function zeroCounts(): CircuitCounts {
  return {
    calls: 0,
    failures: 0,
    timeouts: 0,
    slowCalls: 0,
    shortCircuits: 0,
    fallbacks: 0,
    transitions: 0,
    storeErrors: 0,
    localDecisions: 0,
  };
}

/**
 * Metrics and logs of one circuit in one environment. Per-call counts are summed in memory and
 * published as EMF at most once a minute (or on `publish()`), because Powertools dimensions are
 * per Metrics instance and a line per call would cost more than the call. Nothing here ever
 * sees a payload: only names, states, reasons and error class names are logged.
 */
export class CircuitTelemetry {
  private readonly totals = zeroCounts();
  private unpublished = zeroCounts();
  private lastPublishAt: number;

  constructor(
    private readonly circuit: string,
    private readonly sinks: {
      readonly metrics?: Metrics;
      readonly logger?: BreakerLogger | Logger;
      readonly onTransition?: (event: TransitionEvent) => void;
    },
    now: number,
  ) {
    this.lastPublishAt = now;
  }

  count(counter: keyof CircuitCounts, amount = 1): void {
    this.totals[counter] += amount;
    if (PUBLISHED_AT_ONCE.has(counter)) this.emit(counter, amount);
    else this.unpublished[counter] += amount;
  }

  transition(event: TransitionEvent): void {
    this.count('transitions');
    this.sinks.logger?.info('Circuit transition', {
      circuit: event.circuit,
      from: event.from,
      to: event.to,
      reason: event.reason,
      version: event.version,
      scope: event.scope,
    });
    this.sinks.onTransition?.(event);
  }

  storeError(error: unknown, operation: string): void {
    this.count('storeErrors');
    const cause = (error as { cause?: { name?: string } }).cause;
    this.sinks.logger?.warn('Circuit state store failed; using the local breaker', {
      circuit: this.circuit,
      operation,
      error: cause?.name ?? (error as { name?: string }).name ?? 'unknown',
    });
  }

  /** Cumulative counts since this environment started. */
  snapshot(): Readonly<CircuitCounts> {
    return { ...this.totals };
  }

  publishIfDue(now: number): void {
    if (now - this.lastPublishAt >= PUBLISH_INTERVAL_MS) this.publish(now);
  }

  publish(now: number): void {
    this.lastPublishAt = now;
    const batch = this.unpublished;
    this.unpublished = zeroCounts();
    for (const counter of Object.keys(batch) as (keyof CircuitCounts)[]) {
      if (batch[counter] > 0) this.emit(counter, batch[counter]);
    }
  }

  private emit(counter: keyof CircuitCounts, amount: number): void {
    if (!this.sinks.metrics) return;
    const single = this.sinks.metrics.singleMetric();
    single.addDimension(METRIC_DIMENSIONS.circuit, this.circuit);
    single.addMetric(METRIC_NAMES[counter], MetricUnit.Count, amount);
  }
}
