import { describe, expect, it, vi } from 'vitest';
import {
  CallTimeoutError,
  CircuitAdmin,
  CircuitOpenError,
  type FallbackContext,
} from '../../../../functions/runtime/resilience';
import { boom, callMany, CapturingMetrics, ok, rig, settle } from './fixtures';

describe('CircuitBreaker transitions', () => {
  it('stays CLOSED below the minimum number of calls, whatever the failure rate', async () => {
    const { breaker } = rig();
    await callMany(breaker, 9, boom);
    expect((await breaker.view()).record.state).toBe('CLOSED');
  });

  it('opens CLOSED -> OPEN when the failure rate reaches the threshold over the minimum calls', async () => {
    const { breaker, logger } = rig();
    await callMany(breaker, 5, ok);
    await callMany(breaker, 4, boom);
    expect((await breaker.view()).record.state).toBe('CLOSED'); // 9 calls: below the minimum
    await callMany(breaker, 1, boom); // 10 calls, 5 failures: 50 %
    const { record } = await breaker.view();
    expect(record).toMatchObject({ state: 'OPEN', version: 1, reason: 'failure-rate' });
    expect(logger.transitions()).toEqual([
      {
        circuit: 'inventory',
        from: 'CLOSED',
        to: 'OPEN',
        reason: 'failure-rate',
        version: 1,
        scope: 'shared',
      },
    ]);
  });

  it('does not open while the rate stays under the threshold', async () => {
    const { breaker } = rig();
    for (let i = 0; i < 10; i++) {
      await callMany(breaker, 2, ok);
      await callMany(breaker, 1, boom);
    }
    expect((await breaker.view()).record.state).toBe('CLOSED');
  });

  it('opens on N consecutive failures below the minimum calls; a success restarts the run', async () => {
    const { breaker } = rig({ consecutiveFailures: 3, minimumCalls: 100 });
    await callMany(breaker, 2, boom);
    await callMany(breaker, 1, ok);
    await callMany(breaker, 2, boom);
    expect((await breaker.view()).record.state).toBe('CLOSED');
    await callMany(breaker, 1, boom);
    expect((await breaker.view()).record).toMatchObject({
      state: 'OPEN',
      reason: 'consecutive-failures',
    });
  });

  it('short-circuits while OPEN: the call is not made, the fallback gets reason open', async () => {
    const { breaker } = rig({ consecutiveFailures: 1 });
    await callMany(breaker, 1, boom);
    const call = vi.fn(ok);
    const contexts: FallbackContext[] = [];
    const answer = await breaker.execute(call, (context) => {
      contexts.push(context);
      return 'cached';
    });
    expect(answer).toBe('cached');
    expect(call).not.toHaveBeenCalled();
    expect(contexts).toEqual([{ circuit: 'inventory', reason: 'open', state: 'OPEN' }]);
    await expect(breaker.execute(call)).rejects.toBeInstanceOf(CircuitOpenError);
    expect(breaker.stats().shortCircuits).toBe(2);
  });

  it('OPEN -> HALF_OPEN after the open duration, and enough probe successes close it', async () => {
    const { breaker, clock, logger } = rig({ consecutiveFailures: 1 });
    await callMany(breaker, 1, boom);
    clock.advance(999);
    await expect(breaker.execute(ok)).rejects.toBeInstanceOf(CircuitOpenError);
    clock.advance(1);
    await expect(breaker.execute(ok)).resolves.toBe('ok'); // probe 1
    expect((await breaker.view()).record).toMatchObject({ state: 'HALF_OPEN', probeSuccesses: 1 });
    await expect(breaker.execute(ok)).resolves.toBe('ok'); // probe 2
    expect((await breaker.view()).record).toMatchObject({
      state: 'CLOSED',
      version: 3,
      reopenCount: 0,
    });
    expect(logger.transitions().map((t) => `${t.from}->${t.to}:${t.reason}`)).toEqual([
      'CLOSED->OPEN:consecutive-failures',
      'OPEN->HALF_OPEN:open-duration-elapsed',
      'HALF_OPEN->CLOSED:probes-succeeded',
    ]);
  });

  it('HALF_OPEN admits at most the configured probes at once; others short-circuit', async () => {
    const { breaker, clock } = rig({ consecutiveFailures: 1, halfOpenMaxProbes: 2 });
    await callMany(breaker, 1, boom);
    clock.advance(1000);
    const release: (() => void)[] = [];
    const slow = () => new Promise<string>((resolve) => release.push(() => resolve('ok')));
    const first = breaker.execute(slow);
    const second = breaker.execute(slow);
    await settle();
    await expect(breaker.execute(ok)).rejects.toMatchObject({
      name: 'CircuitOpenError',
      state: 'HALF_OPEN',
    });
    expect(release).toHaveLength(2);
    release.forEach((resolve) => resolve());
    await expect(Promise.all([first, second])).resolves.toEqual(['ok', 'ok']);
    expect((await breaker.view()).record.state).toBe('CLOSED');
  });

  it('a probe failure re-opens with exponential back-off up to the cap, and closing resets it', async () => {
    const { breaker, clock } = rig({ consecutiveFailures: 1 });
    await callMany(breaker, 1, boom);
    const durations: number[] = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      const { record } = await breaker.view();
      durations.push((record.openUntil ?? 0) - (record.openedAt ?? 0));
      clock.advance((record.openUntil ?? 0) - clock.now());
      await callMany(breaker, 1, boom); // the probe fails
    }
    expect(durations).toEqual([1000, 2000, 4000, 5000, 5000]);
    clock.advance(5000);
    await callMany(breaker, 2, ok);
    expect((await breaker.view()).record).toMatchObject({ state: 'CLOSED', reopenCount: 0 });
    await callMany(breaker, 1, boom);
    const { record } = await breaker.view();
    expect((record.openUntil ?? 0) - (record.openedAt ?? 0)).toBe(1000);
  });

  it.each([
    ['no call timeout', 0],
    ['a call timeout longer than the lease', 5000],
  ])(
    'with %s, a probe is cut short before its lease (counted from before the lease request) ends',
    async (_, callTimeoutMs) => {
      const { breaker, clock } = rig({ consecutiveFailures: 1, callTimeoutMs, probeLeaseMs: 2000 });
      await callMany(breaker, 1, boom);
      clock.advance(1000);
      let abortedAt: number | undefined;
      const probe = breaker.execute(
        (signal) =>
          new Promise<string>((_, reject) => {
            signal.addEventListener('abort', () => {
              abortedAt = clock.now();
              reject(signal.reason);
            });
          }),
        (context) => context.reason,
      );
      await settle();
      const leaseUntil = (await breaker.view()).record.leases[0]?.until;
      expect(leaseUntil).toBe(clock.now() + 2000);
      clock.advance(1799);
      expect(abortedAt).toBeUndefined();
      clock.advance(1); // a tenth of the lease before it ends
      await expect(probe).resolves.toBe('timeout');
      expect(abortedAt).toBe(leaseUntil! - 200);
    },
  );

  it('frees the slot of a probe whose environment died once its lease runs out', async () => {
    const { breaker, clock, store } = rig({ consecutiveFailures: 1 });
    await callMany(breaker, 1, boom);
    clock.advance(1000);
    // A dead environment: it moved the circuit to HALF_OPEN and took the slot, nothing more.
    const { record: open } = await breaker.view();
    expect(open.state).toBe('OPEN');
    const next = {
      ...open,
      state: 'HALF_OPEN' as const,
      version: open.version + 1,
      openUntil: undefined,
    };
    expect(await store.transition(open.version, next)).toBe(true);
    const lease = { slot: 0, token: 'dead-environment', until: clock.now() + 2000 };
    expect(await store.acquireLease('inventory', next.version, lease, clock.now())).toBeDefined();
    clock.advance(1999);
    await expect(breaker.execute(ok)).rejects.toMatchObject({ state: 'HALF_OPEN' });
    clock.advance(1);
    await expect(breaker.execute(ok)).resolves.toBe('ok');
    await expect(breaker.execute(ok)).resolves.toBe('ok');
    expect((await breaker.view()).record.state).toBe('CLOSED');
  });
});

describe('CircuitBreaker calls', () => {
  it('times out through the AbortSignal and gives the fallback reason timeout', async () => {
    const { breaker, clock } = rig();
    let aborted: unknown;
    const pending = breaker.execute(
      (signal) =>
        new Promise<string>((_, reject) => {
          signal.addEventListener('abort', () => {
            aborted = signal.reason;
            reject(signal.reason);
          });
        }),
      (context) => `fallback:${context.reason}`,
    );
    await settle();
    clock.advance(500);
    await expect(pending).resolves.toBe('fallback:timeout');
    expect(aborted).toBeInstanceOf(CallTimeoutError);
    expect(breaker.stats()).toMatchObject({ timeouts: 1, failures: 1, fallbacks: 1 });
  });

  it('without a fallback a timeout throws CallTimeoutError even if the call ignores the signal', async () => {
    const { breaker, clock } = rig();
    const pending = breaker.execute(() => new Promise<string>(() => undefined));
    await settle();
    clock.advance(500);
    await expect(pending).rejects.toBeInstanceOf(CallTimeoutError);
  });

  it('gives the fallback reason failure and the error for counted errors', async () => {
    const { breaker } = rig();
    const error = Object.assign(new Error('unavailable'), { status: 503 });
    const context = await breaker.execute<FallbackContext | string>(
      () => Promise.reject(error),
      (fallbackContext) => fallbackContext,
    );
    expect(context).toEqual({ circuit: 'inventory', reason: 'failure', error });
  });

  it('rethrows 4xx errors without fallback and never opens on them', async () => {
    const { breaker } = rig({ consecutiveFailures: 3 });
    const notFound = Object.assign(new Error('no such item'), { statusCode: 404 });
    const fallback = vi.fn(() => 'fallback');
    for (let i = 0; i < 30; i++) {
      await expect(breaker.execute(() => Promise.reject(notFound), fallback)).rejects.toBe(
        notFound,
      );
    }
    expect(fallback).not.toHaveBeenCalled();
    expect((await breaker.view()).record.state).toBe('CLOSED');
    expect(breaker.stats().failures).toBe(0);
  });

  it('counts returned 5xx/429 responses as failures and lets the fallback replace them', async () => {
    const { breaker } = rig({ consecutiveFailures: 2 });
    const response = { statusCode: 429, body: '' };
    await expect(breaker.execute(async () => response)).resolves.toBe(response);
    const context = await breaker.execute<unknown>(
      async () => response,
      (fallbackContext) => fallbackContext,
    );
    expect(context).toEqual({ circuit: 'inventory', reason: 'failure', result: response });
    expect((await breaker.view()).record.state).toBe('OPEN');
  });

  it('counts slow calls as failures when a slow-call threshold is set, but returns their value', async () => {
    const { breaker, clock } = rig({ slowCallThresholdMs: 100, consecutiveFailures: 3 });
    for (let i = 0; i < 3; i++) {
      const pending = breaker.execute(
        () => new Promise<string>((resolve) => clock.setTimeout(() => resolve('late'), 150)),
      );
      await settle();
      clock.advance(150);
      await expect(pending).resolves.toBe('late');
    }
    expect(breaker.stats().slowCalls).toBe(3);
    expect((await breaker.view()).record).toMatchObject({
      state: 'OPEN',
      reason: 'consecutive-failures',
    });
  });

  it('emits per-circuit EMF counts and one log line per transition, never a payload', async () => {
    const metrics = new CapturingMetrics();
    const { breaker } = rig({ consecutiveFailures: 2, metrics: metrics.asMetrics() });
    await callMany(breaker, 2, async () => {
      throw Object.assign(new Error('secret payload 4111-1111'), { status: 500 });
    });
    await callMany(breaker, 3, ok);
    await breaker.flush();
    expect(metrics.total('CircuitCalls')).toBe(5);
    expect(metrics.total('CircuitFailures')).toBe(2);
    expect(metrics.total('CircuitShortCircuits')).toBe(3);
    expect(metrics.total('CircuitFallbacks')).toBe(5);
    expect(metrics.total('CircuitTransitions')).toBe(1);
    expect(metrics.published.every((entry) => entry.dimensions.circuit === 'inventory')).toBe(true);
  });
});

describe('forced states', () => {
  it('FORCED_OPEN holds past any open duration until reset', async () => {
    const { breaker, clock, store, logger } = rig();
    const admin = new CircuitAdmin({ store, clock, logger });
    await admin.forceOpen('inventory');
    clock.advance(3_600_000);
    const call = vi.fn(ok);
    await expect(breaker.execute(call, (context) => context.reason)).resolves.toBe('open');
    expect(call).not.toHaveBeenCalled();
    await admin.reset('inventory');
    await expect(breaker.execute(call)).resolves.toBe('ok');
    expect(logger.transitions().map((t) => `${t.from}->${t.to}`)).toEqual([
      'CLOSED->FORCED_OPEN',
      'FORCED_OPEN->CLOSED',
    ]);
  });

  it('DISABLED (forced closed) lets every call through and never opens', async () => {
    const { breaker, clock, store } = rig({ consecutiveFailures: 1 });
    await new CircuitAdmin({ store, clock }).forceClosed('inventory');
    await callMany(breaker, 50, boom);
    expect((await breaker.view()).record).toMatchObject({ state: 'DISABLED', version: 1 });
    expect(breaker.stats().failures).toBe(50);
  });
});
