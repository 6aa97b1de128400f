import { CircuitSession, type Admission } from './circuit-session';
import { CircuitTelemetry, type CircuitCounts } from './circuit-telemetry';
import { CallTimeoutError, CircuitOpenError, StateStoreError } from './errors';
import { MemoryStateStore } from './memory-state-store';
import { resolveOptions, type CircuitBreakerOptions, type ResolvedOptions } from './options';
import {
  emptyRecord,
  type CircuitRecord,
  type CircuitState,
  type ProbeLease,
  type StoreCallOptions,
} from './state-store';
import { withTimeout } from './timeout';

/** Store timeouts after which a write the breaker stopped waiting for is abandoned. */
const LATE_WRITE_LIMIT = 4;

/** Why a fallback is used: the circuit refused the call, the call failed, or it ran out of time. */
export type FallbackReason = 'open' | 'failure' | 'timeout';

export interface FallbackContext {
  readonly circuit: string;
  readonly reason: FallbackReason;
  /** `open`: the state that refused the call (OPEN, HALF_OPEN with no free probe slot, FORCED_OPEN). */
  readonly state?: CircuitState;
  /** `failure` or `timeout` from a thrown error: the error. */
  readonly error?: unknown;
  /** `failure` from a returned value the result predicate rejected: that value. */
  readonly result?: unknown;
}

export type Fallback<T> = (context: FallbackContext) => T | Promise<T>;

/** The protected call. It should pass `signal` on (to fetch, the AWS SDK...) so a timeout stops it. */
export type ProtectedCall<T> = (signal: AbortSignal) => Promise<T>;

/** The state this environment currently works from. */
export interface CircuitView {
  readonly record: CircuitRecord;
  /** `local` while the shared store is unavailable and this environment decides alone. */
  readonly scope: 'shared' | 'local';
}

interface Settled<T> {
  readonly ok: boolean;
  readonly value?: T;
  readonly error?: unknown;
  /** Counts against the circuit. */
  readonly failed: boolean;
  readonly timedOut: boolean;
  /** A success the result predicate rejected (as opposed to one that was merely slow). */
  readonly failedResult: boolean;
}

/**
 * A circuit breaker whose state every concurrent environment of a function shares through one
 * store (DynamoDB). See CircuitSession for what it costs per call and why; this class adds the
 * call itself: timeout with AbortSignal, failure classification, fallbacks, metrics, and
 * failing open to a local in-memory breaker when the shared store fails or is slow.
 */
export class CircuitBreaker {
  readonly name: string;
  private readonly options: ResolvedOptions;
  private readonly telemetry: CircuitTelemetry;
  private readonly shared: CircuitSession;
  private readonly localStore = new MemoryStateStore();
  private readonly local: CircuitSession;
  private degradedUntil = Number.NEGATIVE_INFINITY;
  /** Store writes still running after the breaker stopped waiting for them. */
  private readonly lateWrites = new Set<Promise<unknown>>();

  constructor(options: CircuitBreakerOptions) {
    this.options = resolveOptions(options);
    this.name = this.options.name;
    const clock = this.options.clock;
    this.telemetry = new CircuitTelemetry(this.name, this.options, clock.now());
    this.shared = new CircuitSession(
      this.options.store,
      'shared',
      this.options,
      this.telemetry,
      (operation, work, late) => this.runSharedStore(operation, work, late),
    );
    this.local = new CircuitSession(
      this.localStore,
      'local',
      this.options,
      this.telemetry,
      (_operation, work) => work({}),
    );
  }

  /**
   * Runs `call` if the circuit allows it. With a fallback, a refused, failed or timed-out call
   * returns the fallback's value; without one, it throws CircuitOpenError, the call's error, or
   * CallTimeoutError. Errors the failure predicate does not count are rethrown as they are.
   */
  async execute<T>(call: ProtectedCall<T>, fallback?: Fallback<T>): Promise<T> {
    const clock = this.options.clock;
    this.telemetry.count('calls');
    const now = clock.now();
    this.telemetry.publishIfDue(now);
    // The healthy path decides from the fresh cached record without a promise; the rest (a
    // stale copy, a due half-open move, a probe, the local breaker) goes through admit().
    const cached = now >= this.degradedUntil ? this.shared.admitCached() : undefined;
    const { session, admission } = cached
      ? { session: this.shared, admission: cached }
      : await this.admit();
    if (admission.kind === 'reject') {
      this.telemetry.count('shortCircuits');
      return this.fallBack(
        fallback,
        { circuit: this.name, reason: 'open', state: admission.state },
        () => {
          throw new CircuitOpenError(this.name, admission.state);
        },
      );
    }
    let timeoutMs = this.options.callTimeoutMs;
    if (admission.kind === 'probe') {
      timeoutMs = probeTimeout(this.options, admission.lease, clock.now());
      if (timeoutMs <= 0) {
        // Taking the lease used up its time: a probe now could outlive it. Give the slot back.
        await session.release(admission.version, admission.lease).catch(() => undefined);
        this.telemetry.count('shortCircuits');
        return this.fallBack(
          fallback,
          { circuit: this.name, reason: 'open', state: 'HALF_OPEN' },
          () => {
            throw new CircuitOpenError(this.name, 'HALF_OPEN');
          },
        );
      }
    }
    const startedAt = clock.now();
    let settled: Settled<T>;
    try {
      const value = await withTimeout(clock, timeoutMs, call, () => {
        return new CallTimeoutError(this.name, timeoutMs);
      });
      settled = this.succeeded(value, startedAt);
    } catch (error) {
      settled = this.failed(error);
    }
    const reporting =
      admission.kind === 'bypass' ? undefined : this.report(session, admission, settled.failed);
    if (reporting) await reporting;
    if (settled.ok && !settled.failedResult) return settled.value as T;
    return this.deliver(settled, fallback);
  }

  /** The state this environment works from (read through its cache). */
  async view(): Promise<CircuitView> {
    const { session, scope } = this.active();
    try {
      return { record: await session.current(), scope };
    } catch (error) {
      if (!(error instanceof StateStoreError)) throw error;
      this.degrade();
      return { record: await this.local.current(), scope: 'local' };
    }
  }

  /**
   * Writes this environment's pending outcome counts and publishes its metrics. Worth calling at
   * the end of an invocation: a frozen environment cannot flush.
   */
  async flush(): Promise<void> {
    // Writes the store was slow to answer are bounded by the SDK's own timeouts: waiting for
    // them here lets their transitions be reported before the environment is frozen.
    await Promise.all([...this.lateWrites]);
    try {
      await this.active().session.flush();
    } catch (error) {
      if (!(error instanceof StateStoreError)) throw error;
      this.degrade();
    }
    this.telemetry.publish(this.options.clock.now());
  }

  /** Cumulative counts of this environment (calls, failures, short circuits, store errors...). */
  stats(): Readonly<CircuitCounts> {
    return this.telemetry.snapshot();
  }

  private active(): { session: CircuitSession; scope: 'shared' | 'local' } {
    return this.options.clock.now() < this.degradedUntil
      ? { session: this.local, scope: 'local' }
      : { session: this.shared, scope: 'shared' };
  }

  private async admit(): Promise<{ session: CircuitSession; admission: Admission }> {
    const { session, scope } = this.active();
    if (scope === 'shared') {
      try {
        return { session, admission: await session.admit() };
      } catch (error) {
        if (!(error instanceof StateStoreError)) throw error;
        this.degrade();
      }
    }
    this.telemetry.count('localDecisions');
    return { session: this.local, admission: await this.local.admit() };
  }

  /** The outcome's store write, if it needs one (the healthy path's does not). */
  private report(
    session: CircuitSession,
    admission: Admission,
    failed: boolean,
  ): Promise<void> | undefined {
    return session.report(admission, failed)?.catch((error: unknown) => {
      // The outcome is lost to the fleet; the store error was counted where it happened.
      if (!(error instanceof StateStoreError)) throw error;
      this.degrade();
    });
  }

  /**
   * Fail open: decide locally for a while. Every fall-back starts from the latest shared state
   * seen (leases included), never from what an earlier outage left in the local store.
   */
  private degrade(): void {
    const now = this.options.clock.now();
    const wasShared = now >= this.degradedUntil;
    this.degradedUntil = now + this.options.failOpenMs;
    if (!wasShared) return;
    this.localStore.reset(this.shared.lastKnown ?? emptyRecord(this.name, this.options.windowMs));
    this.local.forget();
  }

  /**
   * Runs a store request under the store time limit. A read is aborted at the limit; a write
   * (`late` given) is not, since it may already be applied: it runs on (bounded by the SDK's
   * request timeout) and its result goes to `late`, so it is accounted for all the same.
   */
  private async runSharedStore<T>(
    operation: string,
    work: (options: StoreCallOptions) => Promise<T>,
    late?: (result: T) => void,
  ): Promise<T> {
    const request: { running?: Promise<T>; timedOut?: boolean } = {};
    const start = (signal: AbortSignal): Promise<T> => {
      if (!late) return work({ signal });
      let done!: () => void;
      const settled = new Promise<void>((resolve) => (done = resolve));
      const running = work({ signal: this.lateWriteSignal(settled) });
      void running.finally(done).catch(() => undefined);
      return running;
    };
    try {
      return await withTimeout(
        this.options.clock,
        this.options.storeTimeoutMs,
        (signal) => (request.running = start(signal)),
        () => {
          request.timedOut = true;
          return new StateStoreError(
            `state store ${operation} took longer than ${this.options.storeTimeoutMs} ms`,
          );
        },
      );
    } catch (error) {
      if (late && request.running && request.timedOut) {
        const settling = request.running.then(late, () => undefined).catch(() => undefined);
        this.lateWrites.add(settling);
        void settling.finally(() => this.lateWrites.delete(settling));
      }
      const storeError =
        error instanceof StateStoreError
          ? error
          : new StateStoreError(`state store ${operation} failed`, { cause: error });
      this.telemetry.storeError(storeError, operation);
      throw storeError;
    }
  }

  /** A write may finish late, but not never: it is aborted after a few store timeouts. */
  private lateWriteSignal(settled: Promise<unknown>): AbortSignal {
    const controller = new AbortController();
    const clock = this.options.clock;
    const timer = clock.setTimeout(
      () => controller.abort(new StateStoreError('state store write abandoned')),
      LATE_WRITE_LIMIT * this.options.storeTimeoutMs,
    );
    void settled.finally(() => clock.clearTimeout(timer)).catch(() => undefined);
    return controller.signal;
  }

  /** Classifies a returned value (a rejected result, a slow call) and counts it. */
  private succeeded<T>(value: T, startedAt: number): Settled<T> {
    const failedResult = this.options.isFailureResult(value);
    const slowMs = this.options.slowCallThresholdMs;
    const slow = slowMs > 0 && this.options.clock.now() - startedAt > slowMs;
    if (slow) this.telemetry.count('slowCalls');
    if (failedResult || slow) this.telemetry.count('failures');
    return { ok: true, value, failed: failedResult || slow, timedOut: false, failedResult };
  }

  /** Classifies a thrown error (a timeout, a failure, or an error that does not count). */
  private failed<T>(error: unknown): Settled<T> {
    const timedOut = error instanceof CallTimeoutError;
    if (timedOut) this.telemetry.count('timeouts');
    const failed = this.options.isFailure(error);
    if (failed) this.telemetry.count('failures');
    return { ok: false, error, failed, timedOut, failedResult: false };
  }

  private async deliver<T>(settled: Settled<T>, fallback: Fallback<T> | undefined): Promise<T> {
    if (settled.ok) {
      if (!settled.failedResult) return settled.value as T;
      return this.fallBack(
        fallback,
        { circuit: this.name, reason: 'failure', result: settled.value },
        () => settled.value as T,
      );
    }
    if (!settled.failed) throw settled.error;
    const reason = settled.timedOut ? 'timeout' : 'failure';
    return this.fallBack(fallback, { circuit: this.name, reason, error: settled.error }, () => {
      throw settled.error;
    });
  }

  private async fallBack<T>(
    fallback: Fallback<T> | undefined,
    context: FallbackContext,
    otherwise: () => T,
  ): Promise<T> {
    if (!fallback) return otherwise();
    this.telemetry.count('fallbacks');
    return fallback(context);
  }
}

/**
 * Time a probe may run: what is left of its lease (whose clock started before the lease was
 * requested) less a margin for timer lateness and clock skew between environments, and never
 * more than the call timeout. A probe thus ends before another environment may take its slot.
 */
export function probeTimeout(
  options: Pick<ResolvedOptions, 'callTimeoutMs' | 'probeLeaseMs'>,
  lease: ProbeLease,
  now: number,
): number {
  const remaining = lease.until - probeLeaseMargin(options.probeLeaseMs) - now;
  return options.callTimeoutMs > 0 ? Math.min(options.callTimeoutMs, remaining) : remaining;
}

/** A tenth of the lease, between 1 ms and 1 s. */
export function probeLeaseMargin(probeLeaseMs: number): number {
  return Math.min(1000, Math.max(1, Math.ceil(probeLeaseMs / 10)));
}
