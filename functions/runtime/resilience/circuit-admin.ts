import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { systemClock, type Clock } from './clock';
import { CircuitTelemetry } from './circuit-telemetry';
import type { BreakerLogger } from './options';
import { windowCounts } from './sliding-window';
import type { CircuitRecord, CircuitState, StateStore } from './state-store';
import { closed, forced, type TransitionEvent } from './transitions';

export interface CircuitSummary {
  readonly name: string;
  readonly state: CircuitState;
  /** Transitions since the record was created. */
  readonly version: number;
  readonly reason?: string;
  /** ISO 8601. */
  readonly changedAt?: string;
  readonly openedAt?: string;
  readonly openUntil?: string;
  /** Sliding-window estimate, as the breakers see it. */
  readonly window: {
    readonly calls: number;
    readonly failures: number;
    readonly failureRate: number;
  };
  readonly consecutiveFailures: number;
  readonly probesInFlight: number;
  readonly reopenCount: number;
}

export interface CircuitAdminOptions {
  readonly store: StateStore;
  /** @default systemClock */
  readonly clock?: Clock;
  readonly logger?: BreakerLogger | Logger;
  readonly metrics?: Metrics;
  readonly onTransition?: (event: TransitionEvent) => void;
}

const MAX_ATTEMPTS = 5;

/**
 * What operators do to circuits (backs the admin API): look at them, force them open, force
 * them closed (DISABLED: calls flow and nothing is counted), or reset them to a fresh CLOSED.
 * Each change is a compare-and-set like any other transition, so it cannot be lost in a race
 * with the breakers, and it is logged as one transition line.
 */
export class CircuitAdmin {
  private readonly clock: Clock;

  constructor(private readonly options: CircuitAdminOptions) {
    this.clock = options.clock ?? systemClock;
  }

  async list(): Promise<CircuitSummary[]> {
    const now = this.clock.now();
    return (await this.options.store.list()).map((record) => summarize(record, now));
  }

  async get(name: string): Promise<CircuitSummary> {
    return summarize(await this.options.store.get(name), this.clock.now());
  }

  forceOpen(name: string): Promise<CircuitSummary> {
    return this.change(name, (record, now) =>
      record.state === 'FORCED_OPEN'
        ? undefined
        : forced(record, 'FORCED_OPEN', 'operator-forced-open', now),
    );
  }

  /** Forced closed: the breaker lets every call through and stops counting. */
  forceClosed(name: string): Promise<CircuitSummary> {
    return this.change(name, (record, now) =>
      record.state === 'DISABLED'
        ? undefined
        : forced(record, 'DISABLED', 'operator-forced-closed', now),
    );
  }

  /** Back to CLOSED with empty counts, whatever the state (forced ones included). */
  reset(name: string): Promise<CircuitSummary> {
    return this.change(name, (record, now) => {
      const pristine =
        record.state === 'CLOSED' &&
        record.calls === 0 &&
        record.prevCalls === 0 &&
        record.streak === 0;
      return pristine ? undefined : closed(record, 'operator-reset', now);
    });
  }

  private async change(
    name: string,
    next: (record: CircuitRecord, now: number) => CircuitRecord | undefined,
  ): Promise<CircuitSummary> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const record = await this.options.store.get(name);
      const now = this.clock.now();
      const target = next(record, now);
      if (!target) return summarize(record, now);
      if (await this.options.store.transition(record.version, target)) {
        new CircuitTelemetry(name, this.options, now).transition({
          circuit: name,
          from: record.state,
          to: target.state,
          reason: target.reason ?? 'operator',
          version: target.version,
          scope: 'shared',
          at: now,
        });
        return summarize(target, now);
      }
    }
    throw new Error(`circuit ${name} kept changing; try again`);
  }
}

export function summarize(record: CircuitRecord, now: number): CircuitSummary {
  const counts = record.state === 'CLOSED' ? windowCounts(record, now) : { calls: 0, failures: 0 };
  const iso = (ms: number | undefined): string | undefined =>
    ms ? new Date(ms).toISOString() : undefined;
  return {
    name: record.name,
    state: record.state,
    version: record.version,
    reason: record.reason,
    changedAt: iso(record.changedAt),
    openedAt: iso(record.openedAt),
    openUntil: iso(record.openUntil),
    window: {
      calls: Math.round(counts.calls),
      failures: Math.round(counts.failures),
      failureRate:
        counts.calls > 0 ? Math.round((counts.failures / counts.calls) * 1000) / 1000 : 0,
    },
    consecutiveFailures: record.streak,
    probesInFlight: record.leases.filter((lease) => lease.until > now).length,
    reopenCount: record.reopenCount,
  };
}
