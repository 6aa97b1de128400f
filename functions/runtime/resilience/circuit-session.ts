import { randomBytes, randomUUID } from 'node:crypto';
import type { CircuitTelemetry } from './circuit-telemetry';
import type { ResolvedOptions } from './options';
import { bucketStartOf, tripReason, windowCounts } from './sliding-window';
import type {
  CircuitRecord,
  CircuitState,
  OutcomeBatch,
  ProbeLease,
  StateStore,
  StoreCallOptions,
} from './state-store';
import { closed, halfOpened, opened, transitionIdOf } from './transitions';

/** What the circuit lets a caller do. */
export type Admission =
  | { readonly kind: 'call'; readonly version: number }
  | { readonly kind: 'probe'; readonly version: number; readonly lease: ProbeLease }
  /** DISABLED: the call runs and nothing is recorded. */
  | { readonly kind: 'bypass' }
  | { readonly kind: 'reject'; readonly state: CircuitState };

/**
 * Runs one store operation under the breaker's store time limit. A write passes `late`: if it
 * settles after the limit (applied all the same), `late` gets its result, so that a transition
 * is still reported and a lease still released.
 */
export type StoreRunner = <T>(
  operation: string,
  work: (options: StoreCallOptions) => Promise<T>,
  late?: (result: T) => void,
) => Promise<T>;

/** Outcomes this environment has seen and not yet added to the shared counts. */
interface PendingOutcomes {
  version: number;
  /** When the oldest of these outcomes was seen: a batch older than the window is worthless. */
  since: number;
  calls: number;
  failures: number;
  /** Failures since the last success in this batch. */
  trailingFailures: number;
  hadSuccess: boolean;
}

const BYPASS: Admission = { kind: 'bypass' };

/** Re-reads and retries after a lost conditional write are bounded; losing that often means
 * the circuit is changing under us, and refusing one call is the safe answer. */
const MAX_ATTEMPTS = 4;

/**
 * One circuit as one environment sees it through one store: a cached copy of the shared record,
 * the outcomes not yet flushed, and the state machine that moves the record on by
 * compare-and-set. Losing a write is normal (another environment won): it re-reads and adopts.
 *
 * Costs and bounds:
 * - While CLOSED and healthy it makes no write, in calls or in `flush()`, and one read per
 *   `stateCacheMs`: successes alone are written only while the fleet's window holds failures
 *   (so that the rate divides by the calls of every environment), at most once per
 *   `flushIntervalMs` during calls.
 * - A failure is written before the call that saw it returns (with the successes pending), and
 *   the write answers with the fleet's counts: an environment never makes its next call on a
 *   copy older than its last failure. Each environment making one call at a time, the fleet
 *   opens after at most `minimumCalls` (or `consecutiveFailures`) failures plus one per other
 *   environment. A failing dependency thus costs a write per failure, a healthy one nothing.
 * - The `local` session (the fail-open breaker) never probes: while it stands in for the store it
 *   cannot know whether the fleet's probe slots are taken.
 */
export class CircuitSession {
  private view: { record: CircuitRecord; readAt: number } | undefined;
  private refreshing: Promise<CircuitRecord> | undefined;
  private pending: PendingOutcomes = emptyPending(-1);
  private lastFlushAt = Number.NEGATIVE_INFINITY;
  private lastFailureAt = Number.NEGATIVE_INFINITY;
  /** The outcome write in progress: one at a time, later outcomes go in the next. */
  private writing: Promise<void> | undefined;
  /** Transitions whose write failed without an answer, by transition id. */
  private readonly unconfirmed = new Map<string, { from: CircuitRecord; next: CircuitRecord }>();
  /** Names this environment's outcome writes, so a retried write is applied at most once. */
  private readonly writer = randomBytes(6).toString('hex');
  private seq = 0;
  private closedAdmission: Extract<Admission, { kind: 'call' }> | undefined;

  constructor(
    private readonly store: StateStore,
    private readonly scope: 'shared' | 'local',
    private readonly options: ResolvedOptions,
    private readonly telemetry: CircuitTelemetry,
    private readonly runStore: StoreRunner,
  ) {}

  /** The last record read or written, if any. */
  get lastKnown(): CircuitRecord | undefined {
    return this.view?.record;
  }

  /** Drops the cached record and pending outcomes: the store was reset under this session. */
  forget(): void {
    this.view = undefined;
    this.pending = emptyPending(-1);
  }

  /**
   * The record, from cache while it is fresh enough. An environment that has just seen a
   * failure trusts its copy for less long: the circuit may be opening, and learning it late
   * costs failed calls. A healthy environment never pays for this.
   */
  async current(): Promise<CircuitRecord> {
    return this.fresh(this.options.clock.now()) ?? this.refresh();
  }

  /** The cached record if it is fresh enough at `now` (see `current`). */
  private fresh(now: number): CircuitRecord | undefined {
    const view = this.view;
    if (!view) return undefined;
    const cacheMs = this.options.stateCacheMs;
    const maxAge =
      now - this.lastFailureAt < cacheMs
        ? Math.min(cacheMs, this.options.stateCacheWhileFailingMs)
        : cacheMs;
    return now - view.readAt < maxAge ? view.record : undefined;
  }

  /** A fresh read; concurrent callers in this environment share one request. */
  async refresh(): Promise<CircuitRecord> {
    this.refreshing ??= this.runStore('get', (options) =>
      this.store.get(this.options.name, options),
    )
      .then((record) => {
        this.adopt(record);
        return record;
      })
      .finally(() => {
        this.refreshing = undefined;
      });
    return this.refreshing;
  }

  async admit(): Promise<Admission> {
    return this.admitCached() ?? this.admitFrom(await this.current());
  }

  /**
   * The admission the fresh cached record decides on its own (CLOSED, DISABLED, FORCED_OPEN, OPEN
   * before its time), without a promise: the healthy path's every call. Undefined when the
   * record is stale or the decision needs the store (a due half-open move, a probe lease).
   */
  admitCached(): Admission | undefined {
    const now = this.options.clock.now();
    const record = this.fresh(now);
    if (!record) return undefined;
    switch (record.state) {
      case 'CLOSED':
        return this.callAdmission(record);
      case 'DISABLED':
        return BYPASS;
      case 'FORCED_OPEN':
        return { kind: 'reject', state: record.state };
      case 'OPEN':
        return now < (record.openUntil ?? 0) ? { kind: 'reject', state: record.state } : undefined;
      default:
        return undefined;
    }
  }

  /** One admission object per CLOSED record: calls under the same version share it. */
  private callAdmission(record: CircuitRecord): Admission {
    const cached = this.closedAdmission;
    if (cached?.version === record.version) return cached;
    return (this.closedAdmission = { kind: 'call', version: record.version });
  }

  private async admitFrom(current: CircuitRecord): Promise<Admission> {
    let record = current;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const now = this.options.clock.now();
      switch (record.state) {
        case 'DISABLED':
          return BYPASS;
        case 'FORCED_OPEN':
          return { kind: 'reject', state: record.state };
        case 'CLOSED':
          return this.callAdmission(record);
        case 'OPEN':
          if (now < (record.openUntil ?? 0)) return { kind: 'reject', state: record.state };
          record = await this.transition(record, halfOpened(record, now));
          break;
        case 'HALF_OPEN': {
          const slot = this.scope === 'shared' ? this.freeSlot(record, now) : undefined;
          if (slot === undefined) return { kind: 'reject', state: record.state };
          // The lease's clock starts before the request: the probe's time is counted from here.
          const lease = { slot, token: randomUUID(), until: now + this.options.probeLeaseMs };
          const version = record.version;
          const taken = await this.runStore(
            'acquireLease',
            (options) => this.store.acquireLease(this.options.name, version, lease, now, options),
            // Taken after this environment gave up waiting: nobody probes, free the slot.
            (late) => late && this.releaseQuietly(version, lease),
          ).catch((error: unknown) => {
            // Perhaps taken and the answer lost: give the slot back rather than orphan it.
            this.releaseQuietly(version, lease);
            throw error;
          });
          if (taken) {
            this.adopt(taken);
            return { kind: 'probe', version: taken.version, lease };
          }
          record = await this.refresh();
          break;
        }
      }
    }
    return { kind: 'reject', state: record.state };
  }

  /**
   * Records the outcome of an admitted call: probes report at once, other calls in batches.
   * Returns the store write to wait for, if the outcome needs one (undefined on the healthy
   * path, which then costs no promise).
   */
  report(admission: Admission, failed: boolean): Promise<void> | undefined {
    if (failed) this.lastFailureAt = this.options.clock.now();
    if (admission.kind === 'probe') return this.reportProbe(admission, failed);
    if (admission.kind === 'call') return this.reportCall(admission.version, failed);
    return undefined;
  }

  /**
   * Writes pending outcomes now, under the same rule as during calls (without the interval):
   * failures always, successes alone only while the fleet's window holds failures.
   */
  async flush(): Promise<void> {
    if (this.pending.calls === 0) return;
    if (this.pending.failures > 0 || this.fleetIsFailing()) await this.flushPending();
  }

  /** The same, in the background and without a word: the lease runs out anyway. */
  private releaseQuietly(version: number, lease: ProbeLease): void {
    void this.release(version, lease).catch(() => undefined);
  }

  /** Frees a probe slot this environment holds but will not use. */
  async release(version: number, lease: ProbeLease): Promise<void> {
    const updated = await this.runStore('releaseLease', (options) =>
      this.store.releaseLease(this.options.name, version, lease, options),
    );
    if (updated) this.adopt(updated);
  }

  private async reportProbe(
    admission: Extract<Admission, { kind: 'probe' }>,
    failed: boolean,
  ): Promise<void> {
    const now = this.options.clock.now();
    if (failed) {
      let record = this.view?.record;
      // Only the half-open period the probe belonged to can be ended by it. A lost race under
      // the same version means a lease was taken meanwhile: try again from the fresh record.
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        if (record?.version !== admission.version || record.state !== 'HALF_OPEN') return;
        record = await this.transition(record, opened(record, 'probe-failed', now, this.options));
      }
      return;
    }
    const updated = await this.runStore('completeProbe', (options) =>
      this.store.completeProbe(this.options.name, admission.version, admission.lease, options),
    ).catch((error: unknown) => {
      this.releaseQuietly(admission.version, admission.lease); // uncounted, but not blocking
      throw error;
    });
    if (!updated) {
      await this.refresh(); // lease lost or state moved on: this success no longer counts
      return;
    }
    this.adopt(updated);
    if (updated.state === 'HALF_OPEN' && updated.probeSuccesses >= this.options.halfOpenSuccesses) {
      await this.transition(updated, closed(updated, 'probes-succeeded', now));
    }
  }

  private reportCall(version: number, failed: boolean): Promise<void> | undefined {
    if (this.view && this.view.record.version !== version) return undefined; // observed under a state that has ended
    const now = this.options.clock.now();
    const stale = this.pending.calls > 0 && now - this.pending.since >= this.options.windowMs;
    if (this.pending.version !== version || stale) this.pending = emptyPending(version);
    const pending = this.pending;
    if (pending.calls === 0) pending.since = now;
    pending.calls += 1;
    if (failed) {
      pending.failures += 1;
      pending.trailingFailures += 1;
    } else {
      pending.hadSuccess = true;
      pending.trailingFailures = 0;
    }
    return this.shouldFlush() ? this.flushPending() : undefined;
  }

  private shouldFlush(): boolean {
    if (!this.view) return false;
    // A failure is shared before this environment calls again: the fleet (and this
    // environment, through the write's answer) must not keep calling on a stale CLOSED copy.
    if (this.pending.failures > 0) return true;
    const intervalElapsed =
      this.options.clock.now() - this.lastFlushAt >= this.options.flushIntervalMs;
    return intervalElapsed && this.fleetIsFailing();
  }

  /** Whether the fleet's window holds failures: only then do successes alone weigh anything. */
  private fleetIsFailing(): boolean {
    const record = this.view?.record;
    if (!record) return false;
    const shared = windowCounts(record, this.options.clock.now(), this.options.windowMs);
    return shared.failures > 0 || record.streak > 0;
  }

  private async flushPending(): Promise<void> {
    while (this.writing) await this.writing;
    if (this.pending.calls === 0) return;
    this.writing = this.writePending().finally(() => {
      this.writing = undefined;
    });
    return this.writing;
  }

  private async writePending(): Promise<void> {
    const batch = this.pending;
    this.pending = emptyPending(batch.version);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const record = this.view?.record ?? (await this.refresh());
      if (record.version !== batch.version || record.state !== 'CLOSED') return; // the epoch ended
      const now = this.options.clock.now();
      const windowMs = this.options.windowMs;
      const bucketStart = bucketStartOf(now, windowMs);
      const outcome: OutcomeBatch = {
        expectedVersion: record.version,
        expectedBucketStart: record.bucketStart,
        bucketStart,
        windowMs,
        carryOver: record.bucketStart === bucketStart - windowMs,
        calls: batch.calls,
        failures: batch.failures,
        hadSuccess: batch.hadSuccess,
        trailingFailures: batch.trailingFailures,
        at: now,
        writer: this.writer,
        seq: ++this.seq,
      };
      const updated = await this.runStore(
        'addOutcomes',
        (options) => this.store.addOutcomes(this.options.name, outcome, options),
        (late) => late && this.adopt(late),
      );
      if (!updated) {
        await this.refresh(); // another environment rolled the bucket or changed the state
        continue;
      }
      this.adopt(updated);
      this.lastFlushAt = now;
      const reason = tripReason(windowCounts(updated, now, windowMs), updated.streak, this.options);
      if (reason) await this.transition(updated, opened(updated, reason, now, this.options));
      return;
    }
  }

  /**
   * Compare-and-set from `from` to `next`. The winner logs the transition; a loser re-reads and
   * adopts what the winner wrote. Either way the caller gets the record as it now stands.
   */
  private async transition(from: CircuitRecord, next: CircuitRecord): Promise<CircuitRecord> {
    const won = await this.runStore(
      'transition',
      (options) => this.store.transition(from.version, next, options),
      // Applied after this environment stopped waiting: still reported, once.
      (late) => late && this.won(from, next),
    ).catch((error: unknown) => {
      // Perhaps applied with every answer lost: the next record read settles it (see adopt).
      const id = transitionIdOf(next);
      if (id) this.unconfirmed.set(id, { from, next });
      throw error;
    });
    if (!won) return this.refresh();
    this.won(from, next);
    return next;
  }

  private won(from: CircuitRecord, next: CircuitRecord): void {
    const id = transitionIdOf(next);
    if (id) this.unconfirmed.delete(id);
    this.adopt(next);
    this.telemetry.transition({
      circuit: this.options.name,
      from: from.state,
      to: next.state,
      reason: next.reason ?? 'unspecified',
      version: next.version,
      scope: this.scope,
      at: next.changedAt,
    });
  }

  private adopt(record: CircuitRecord): void {
    if (this.unconfirmed.size) this.confirm(record);
    const known = this.view?.record;
    // Requests overlap: never let an older answer replace a newer one.
    if (known && known.version > record.version) return;
    this.view = { record, readAt: this.options.clock.now() };
    if (this.pending.version !== -1 && this.pending.version !== record.version) {
      this.pending = emptyPending(record.version);
    }
  }

  /**
   * Settles transitions whose write failed without an answer: the record's transition ids say
   * whether each was applied (then it is reported now, once) or not, or can no longer tell.
   */
  private confirm(record: CircuitRecord): void {
    for (const [id, { from, next }] of [...this.unconfirmed]) {
      if (record.version < next.version) continue; // not decided yet
      this.unconfirmed.delete(id);
      if (record.transitionIds?.includes(id)) this.won(from, next);
    }
  }

  private freeSlot(record: CircuitRecord, now: number): number | undefined {
    const free: number[] = [];
    for (let slot = 0; slot < this.options.halfOpenMaxProbes; slot++) {
      const lease = record.leases.find((held) => held.slot === slot);
      if (!lease || lease.until <= now) free.push(slot);
    }
    // A random free slot: environments racing for slots then rarely collide.
    return free.length ? free[Math.floor(Math.random() * free.length)] : undefined;
  }
}

function emptyPending(version: number): PendingOutcomes {
  return { version, since: 0, calls: 0, failures: 0, trailingFailures: 0, hadSuccess: false };
}
