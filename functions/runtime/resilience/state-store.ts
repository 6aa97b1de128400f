import { BREAKER_SETTINGS } from '../contract/breaker';

/**
 * CLOSED, OPEN and HALF_OPEN are driven by traffic; FORCED_OPEN and DISABLED (forced closed) are
 * set by an operator and hold until an operator changes them again.
 */
export type CircuitState = 'CLOSED' | 'OPEN' | 'HALF_OPEN' | 'FORCED_OPEN' | 'DISABLED';

/** A half-open probe slot, held until the probe reports or the lease runs out. */
export interface ProbeLease {
  readonly slot: number;
  /** Identifies the holder, so only it can report on the slot. */
  readonly token: string;
  /** Epoch milliseconds after which anyone may take the slot. */
  readonly until: number;
}

/**
 * Everything the fleet shares about one circuit, kept in one record so that one read tells an
 * environment the state, the window counts and the probe leases.
 *
 * `version` counts transitions: it changes only when the state changes, every change is a
 * compare-and-set on it, so version N means exactly N transitions since the record was created.
 * Outcome counts and leases are updated in place under the same version.
 */
export interface CircuitRecord {
  readonly name: string;
  readonly state: CircuitState;
  /** 0 while the record has never been written (an absent record reads as CLOSED, version 0). */
  readonly version: number;
  /** Epoch ms of the last transition. */
  readonly changedAt: number;
  /** Why the last transition happened, e.g. `failure-rate`, `probe-failed`, `operator`. */
  readonly reason?: string;
  /** Epoch ms the circuit last opened (automatically or forced). */
  readonly openedAt?: number;
  /** OPEN only: epoch ms from which a call may move the circuit to HALF_OPEN. */
  readonly openUntil?: number;
  /** Failed half-open attempts since the circuit last closed: the back-off exponent. */
  readonly reopenCount: number;

  /** Start (epoch ms) of the counting bucket `calls`/`failures` belong to; 0 before any count. */
  readonly bucketStart: number;
  /** Length of one counting bucket (the window), kept so that readers need no configuration. */
  readonly windowMs: number;
  readonly calls: number;
  readonly failures: number;
  /** Counts of the bucket before `bucketStart`, for the sliding-window estimate. */
  readonly prevCalls: number;
  readonly prevFailures: number;
  /** Fleet-wide failures reported since the last reported success. */
  readonly streak: number;

  /** HALF_OPEN only: probes that succeeded in this half-open period. */
  readonly probeSuccesses: number;
  readonly leases: readonly ProbeLease[];
  /**
   * Probe slots ever taken on this record. Leases change under an unchanged version, so a
   * transition is conditioned on this too: one built from a copy that missed a newer lease
   * would erase it and let the next half-open period double a running probe.
   */
  readonly leaseSeq?: number;
  /**
   * `<version>:<id>` of the last few transitions, newest last. A writer whose response was lost
   * (and whose SDK retry then failed its own condition) finds its id here and knows it won.
   */
  readonly transitionIds?: readonly string[];
}

/** One environment's outcomes since its last flush, added to the shared counts in one write. */
export interface OutcomeBatch {
  /** The record version the outcomes were observed under; a transition since voids them. */
  readonly expectedVersion: number;
  /** The bucket the record is believed to hold (0 = none): guards the roll-over below. */
  readonly expectedBucketStart: number;
  /** The bucket the outcomes go to. If it differs from `expectedBucketStart`, the record rolls. */
  readonly bucketStart: number;
  readonly windowMs: number;
  /** On a roll: whether the old bucket is the one just before (it becomes `prev*`) or stale. */
  readonly carryOver: boolean;
  readonly calls: number;
  readonly failures: number;
  /** With a success in the batch the fleet streak restarts at `trailingFailures`; else it grows by it. */
  readonly hadSuccess: boolean;
  readonly trailingFailures: number;
  /** Epoch ms of the flush (the store dates the item's expiry from it). */
  readonly at: number;
  /** The writing environment and its write counter: a retried write is applied at most once. */
  readonly writer: string;
  readonly seq: number;
}

/** Operations take an optional signal: the breaker aborts a store call that takes too long. */
export interface StoreCallOptions {
  readonly signal?: AbortSignal;
}

/**
 * Where circuit records live. Every mutation is conditional: a method returns `undefined` (or
 * `false`) when its condition failed, meaning another environment changed the record first, and
 * throws only when the store itself failed.
 */
export interface StateStore {
  /** A strongly consistent read; an absent record reads as a fresh CLOSED record of version 0. */
  get(name: string, options?: StoreCallOptions): Promise<CircuitRecord>;
  /**
   * Replaces the record with `next` (whose version must be `expectedVersion + 1`) if the stored
   * version is still `expectedVersion`. Returns whether this caller won.
   */
  transition(
    expectedVersion: number,
    next: CircuitRecord,
    options?: StoreCallOptions,
  ): Promise<boolean>;
  /** Adds a batch of outcomes to the window counts; returns the updated record. */
  addOutcomes(
    name: string,
    batch: OutcomeBatch,
    options?: StoreCallOptions,
  ): Promise<CircuitRecord | undefined>;
  /** Takes probe slot `lease.slot` if it is free or its lease has run out at `now`. */
  acquireLease(
    name: string,
    expectedVersion: number,
    lease: ProbeLease,
    now: number,
    options?: StoreCallOptions,
  ): Promise<CircuitRecord | undefined>;
  /** Frees probe slot `lease.slot` if the caller still holds it (a probe that never ran). */
  releaseLease(
    name: string,
    expectedVersion: number,
    lease: ProbeLease,
    options?: StoreCallOptions,
  ): Promise<CircuitRecord | undefined>;
  /** Counts a probe success and frees its slot, if the caller still holds it. */
  completeProbe(
    name: string,
    expectedVersion: number,
    lease: ProbeLease,
    options?: StoreCallOptions,
  ): Promise<CircuitRecord | undefined>;
  /** Every circuit that has a record. */
  list(options?: StoreCallOptions): Promise<CircuitRecord[]>;
}

export const DEFAULT_WINDOW_MS: number = BREAKER_SETTINGS.windowMs.default;

/** How many transition ids a record keeps: far more than transitions during one SDK retry. */
export const KEPT_TRANSITION_IDS = 8;

export function emptyRecord(name: string, windowMs = DEFAULT_WINDOW_MS): CircuitRecord {
  return {
    name,
    state: 'CLOSED',
    version: 0,
    changedAt: 0,
    reopenCount: 0,
    bucketStart: 0,
    windowMs,
    calls: 0,
    failures: 0,
    prevCalls: 0,
    prevFailures: 0,
    streak: 0,
    probeSuccesses: 0,
    leases: [],
  };
}

/** The record a successful `addOutcomes` produces; both stores share this arithmetic. */
export function applyOutcomes(record: CircuitRecord, batch: OutcomeBatch): CircuitRecord {
  const rolls = batch.bucketStart !== record.bucketStart;
  return {
    ...record,
    bucketStart: batch.bucketStart,
    windowMs: batch.windowMs,
    calls: (rolls ? 0 : record.calls) + batch.calls,
    failures: (rolls ? 0 : record.failures) + batch.failures,
    prevCalls: rolls ? (batch.carryOver ? record.calls : 0) : record.prevCalls,
    prevFailures: rolls ? (batch.carryOver ? record.failures : 0) : record.prevFailures,
    streak: batch.hadSuccess ? batch.trailingFailures : record.streak + batch.failures,
  };
}
