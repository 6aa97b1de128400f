import { describe, expect, it } from 'vitest';
import {
  CircuitAdmin,
  MemoryStateStore,
  windowCounts,
  emptyRecord,
  isFailureError,
  isFailureResult,
  httpStatusOf,
  type CircuitRecord,
  type OutcomeBatch,
  type ProbeLease,
} from '../../../../functions/runtime/resilience';
import { boom, callMany, ok, rig } from './fixtures';

/** Counts the store requests a breaker makes. */
class CountingStore extends MemoryStateStore {
  reads = 0;
  writes = 0;
  override async get(name: string): Promise<CircuitRecord> {
    this.reads++;
    return super.get(name);
  }
  override async transition(expectedVersion: number, next: CircuitRecord): Promise<boolean> {
    this.writes++;
    return super.transition(expectedVersion, next);
  }
  override async addOutcomes(
    name: string,
    batch: OutcomeBatch,
  ): Promise<CircuitRecord | undefined> {
    this.writes++;
    return super.addOutcomes(name, batch);
  }
  override async acquireLease(name: string, version: number, lease: ProbeLease, now: number) {
    this.writes++;
    return super.acquireLease(name, version, lease, now);
  }
}

describe('cost of a healthy circuit', () => {
  it('makes no write and one read per state-cache period, whatever the call rate', async () => {
    const store = new CountingStore();
    const { breaker, clock } = rig({ store, stateCacheMs: 1000, flushIntervalMs: 1000 });
    for (let second = 0; second < 10; second++) {
      for (let i = 0; i < 100; i++) {
        await breaker.execute(ok);
        clock.advance(10);
      }
    }
    expect(store.writes).toBe(0);
    expect(store.reads).toBe(10);
  });

  it('flush() at the end of every invocation writes nothing while the fleet is healthy', async () => {
    const store = new CountingStore();
    const { breaker, clock } = rig({ store, stateCacheMs: 1000, flushIntervalMs: 1000 });
    for (let invocation = 0; invocation < 1000; invocation++) {
      await breaker.execute(ok);
      await breaker.flush();
      clock.advance(10);
    }
    expect(store.writes).toBe(0);
    expect(store.reads).toBe(10);
  });

  it('starts a call on a warm cache at once (no store request, no wait) and leaves no timer behind', async () => {
    const store = new CountingStore();
    const { breaker, clock } = rig({ store, stateCacheMs: 1000, flushIntervalMs: 1000 });
    await breaker.execute(ok); // the one read of this cache period
    let started = false;
    const running = breaker.execute(async (signal) => {
      started = true;
      return signal.aborted ? 'aborted' : 'ok';
    });
    // Decided from the cached record without yielding: the call already runs.
    expect(started).toBe(true);
    await expect(running).resolves.toBe('ok');
    expect(store.reads).toBe(1);
    expect(clock.pendingTimers).toBe(0); // the call's deadline went with it
  });

  it('writes each failure before its call returns, and successes alone only per flush interval', async () => {
    const store = new CountingStore();
    const { breaker, clock } = rig({
      store,
      stateCacheMs: 1000,
      flushIntervalMs: 1000,
      minimumCalls: 1000,
    });
    for (let i = 0; i < 100; i++) {
      await breaker.execute(i % 10 === 0 ? boom : ok).catch(() => undefined);
      clock.advance(10); // 1 s in total
    }
    expect(store.writes).toBe(10); // one per failure, carrying the successes before it
    expect((await store.get('inventory')).calls).toBe(91);
    await breaker.flush(); // the window holds failures: the last 9 successes count
    expect(store.writes).toBe(11);
    expect((await store.get('inventory')).calls).toBe(100);
    expect((await store.get('inventory')).failures).toBe(10);
  });
});

describe('sliding window', () => {
  it('weighs the previous bucket by how much of it the window still covers', () => {
    const record = {
      ...emptyRecord('x', 60_000),
      bucketStart: 120_000,
      calls: 10,
      failures: 5,
      prevCalls: 40,
      prevFailures: 20,
    };
    expect(windowCounts(record, 120_000)).toEqual({ calls: 50, failures: 25 });
    expect(windowCounts(record, 150_000)).toEqual({ calls: 30, failures: 15 });
    expect(windowCounts(record, 195_000)).toEqual({ calls: 7.5, failures: 3.75 }); // record is a bucket behind
    expect(windowCounts(record, 240_000)).toEqual({ calls: 0, failures: 0 });
  });
});

describe('default failure predicates', () => {
  it.each([
    [new Error('socket hang up'), true],
    [{ status: 500 }, true],
    [{ statusCode: 503 }, true],
    [{ $metadata: { httpStatusCode: 429 } }, true],
    [{ status: 404 }, false],
    [{ statusCode: 400 }, false],
    [{ $metadata: { httpStatusCode: 403 } }, false],
    ['a string', true],
  ])('isFailureError(%j) = %s', (error, expected) => {
    expect(isFailureError(error)).toBe(expected);
  });

  it('isFailureResult counts only 5xx and 429 responses', () => {
    expect(isFailureResult({ statusCode: 502 })).toBe(true);
    expect(isFailureResult({ status: 429 })).toBe(true);
    expect(isFailureResult({ statusCode: 200 })).toBe(false);
    expect(isFailureResult({ statusCode: 404 })).toBe(false);
    expect(isFailureResult('plain')).toBe(false);
    expect(httpStatusOf({ status: '500' })).toBeUndefined();
  });
});

describe('CircuitAdmin', () => {
  it('lists circuits with state, window counts and openedAt', async () => {
    const { breaker, clock, store } = rig({ minimumCalls: 4 });
    await callMany(breaker, 3, ok);
    await callMany(breaker, 1, boom);
    const admin = new CircuitAdmin({ store, clock });
    expect(await admin.list()).toEqual([
      expect.objectContaining({
        name: 'inventory',
        state: 'CLOSED',
        window: { calls: 4, failures: 1, failureRate: 0.25 },
      }),
    ]);
    const forced = await admin.forceOpen('inventory');
    expect(forced).toMatchObject({
      state: 'FORCED_OPEN',
      version: 1,
      openedAt: new Date(clock.now()).toISOString(),
    });
    expect(await admin.forceOpen('inventory')).toMatchObject({ version: 1 }); // idempotent
    expect(await admin.forceClosed('inventory')).toMatchObject({ state: 'DISABLED', version: 2 });
    expect(await admin.reset('inventory')).toMatchObject({ state: 'CLOSED', version: 3 });
  });
});
