import { randomUUID } from 'node:crypto';
import { KEPT_TRANSITION_IDS, type CircuitRecord, type CircuitState } from './state-store';

/** One change of state, as logged and reported to `onTransition`. */
export interface TransitionEvent {
  readonly circuit: string;
  readonly from: CircuitState;
  readonly to: CircuitState;
  readonly reason: string;
  /** The version the transition created: versions 1..N name the N transitions of a circuit. */
  readonly version: number;
  /** `shared` for the fleet's store; `local` while this environment runs on its fail-open breaker. */
  readonly scope: 'shared' | 'local';
  readonly at: number;
}

export interface BackoffRule {
  readonly openDurationMs: number;
  readonly backoffMultiplier: number;
  readonly maxOpenDurationMs: number;
}

/** open duration × multiplier^k, capped; k = failed half-open attempts since the last close. */
export function openDuration(reopenCount: number, rule: BackoffRule): number {
  return Math.min(
    rule.openDurationMs * rule.backoffMultiplier ** reopenCount,
    rule.maxOpenDurationMs,
  );
}

function successor(
  from: CircuitRecord,
  state: CircuitState,
  reason: string,
  now: number,
): CircuitRecord {
  const version = from.version + 1;
  return {
    ...from,
    state,
    reason,
    version,
    changedAt: now,
    openUntil: undefined,
    probeSuccesses: 0,
    // A probe of the half-open period that just ended may still be running: its slot stays
    // taken until its lease runs out, so the next half-open period cannot double it.
    leases:
      state === 'OPEN' || state === 'HALF_OPEN'
        ? from.leases.filter((lease) => lease.until > now)
        : [],
    // Each transition is one write with an id of its own, so its writer can recognise it later.
    transitionIds: [...(from.transitionIds ?? []), `${version}:${randomUUID()}`].slice(
      -KEPT_TRANSITION_IDS,
    ),
  };
}

/** Fresh counts: outcomes observed under an earlier state say nothing about the new one. */
function withClearedCounts(record: CircuitRecord): CircuitRecord {
  return {
    ...record,
    bucketStart: 0,
    calls: 0,
    failures: 0,
    prevCalls: 0,
    prevFailures: 0,
    streak: 0,
  };
}

export function opened(
  from: CircuitRecord,
  reason: string,
  now: number,
  rule: BackoffRule,
): CircuitRecord {
  // From HALF_OPEN this is a failed attempt: back off further. From CLOSED it is a first trip.
  const reopenCount = from.state === 'HALF_OPEN' ? from.reopenCount + 1 : 0;
  return {
    ...withClearedCounts(successor(from, 'OPEN', reason, now)),
    reopenCount,
    openedAt: now,
    openUntil: now + openDuration(reopenCount, rule),
  };
}

/** The id `successor` gave a transition record. */
export function transitionIdOf(record: CircuitRecord): string | undefined {
  return record.transitionIds?.at(-1);
}

export function halfOpened(from: CircuitRecord, now: number): CircuitRecord {
  return successor(from, 'HALF_OPEN', 'open-duration-elapsed', now);
}

export function closed(from: CircuitRecord, reason: string, now: number): CircuitRecord {
  return {
    ...withClearedCounts(successor(from, 'CLOSED', reason, now)),
    reopenCount: 0,
    openedAt: undefined,
  };
}

export function forced(
  from: CircuitRecord,
  state: 'FORCED_OPEN' | 'DISABLED',
  reason: string,
  now: number,
): CircuitRecord {
  return {
    ...withClearedCounts(successor(from, state, reason, now)),
    reopenCount: 0,
    openedAt: state === 'FORCED_OPEN' ? now : undefined,
  };
}
