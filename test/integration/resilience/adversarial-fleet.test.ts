/**
 * The shared breaker under adversarial timing: 20 environments, each with its own DynamoDB
 * client (as deployed: short socket timeouts, one SDK retry) and its own cache, reach dynalite
 * through a real proxy that adds latency, answers after the store timeout, loses answers of
 * applied writes, hangs and resets connections. Faults are drawn from a seeded PRNG. Real time
 * where the bug lives in real time (round trips racing caches, leases and store timeouts), a
 * hand-driven clock elsewhere. Each scenario prints the figure it guards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CircuitAdmin,
  CircuitBreaker,
  DynamoDbStateStore,
  ManualClock,
  type CircuitBreakerOptions,
  type CircuitRecord,
  type Clock,
  type OutcomeBatch,
  type StoreCallOptions,
  type TransitionEvent,
} from '../../../functions/runtime/resilience';
import { FaultProxy, seededRandom } from './fault-proxy';
import {
  countedClient,
  startLocalDynamoDb,
  type CountedClient,
  type LocalDynamoDb,
} from './local-dynamodb';

const TABLE = 'circuits';
const FLEET = 20;
const SEEDS = [11, 23, 37];

let db: LocalDynamoDb;
let proxy: FaultProxy;
let endpoint: string;
let circuitCounter = 0;

beforeAll(async () => {
  db = await startLocalDynamoDb();
  await db.createCircuitTable(TABLE);
  proxy = new FaultProxy(db.endpoint);
  endpoint = await proxy.start();
});

afterAll(async () => {
  await proxy?.close();
  await db?.close();
});

/** A dependency that honours the AbortSignal, as fetch and the AWS SDK do. */
class Dependency {
  mode: 'ok' | 'fail' | 'hang' = 'ok';
  /** With mode 'ok': the chance that a call fails all the same. */
  failureRate = 0;
  /** With mode 'ok': how long a call takes in real time (0 = the next turn of the loop). */
  durationMs = 0;
  random: () => number = Math.random;
  calls = 0;
  failures = 0;
  inFlight = 0;
  maxInFlight = 0;
  /** Real-time length of every call that was aborted. */
  readonly abortedAfter: number[] = [];

  readonly call = (signal: AbortSignal): Promise<string> => {
    this.calls++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    const startedAt = performance.now();
    const failing =
      this.mode === 'fail' || (this.mode === 'ok' && this.random() < this.failureRate);
    return new Promise<string>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = () => {
        clearTimeout(timer);
        this.abortedAfter.push(performance.now() - startedAt);
        finish(signal.reason as Error);
      };
      const finish = (error?: Error) => {
        signal.removeEventListener('abort', onAbort);
        this.inFlight--;
        if (error) {
          this.failures++;
          reject(error);
        } else resolve('ok');
      };
      signal.addEventListener('abort', onAbort, { once: true });
      if (this.mode === 'hang') return;
      const settle = () =>
        finish(failing ? Object.assign(new Error('unavailable'), { statusCode: 503 }) : undefined);
      if (this.durationMs > 0) timer = setTimeout(settle, this.durationMs);
      else setImmediate(settle);
    });
  };
}

/** Counts, per environment, the outcome writes that the store applied, refused, or left in doubt. */
class AuditedStore extends DynamoDbStateStore {
  applied = 0;
  uncertain = 0;
  override async addOutcomes(
    name: string,
    batch: OutcomeBatch,
    options?: StoreCallOptions,
  ): Promise<CircuitRecord | undefined> {
    try {
      const record = await super.addOutcomes(name, batch, options);
      if (record) this.applied += batch.calls;
      return record;
    } catch (error) {
      this.uncertain += batch.calls; // maybe applied, maybe not: the store did not say
      throw error;
    }
  }
}

interface Environment {
  readonly breaker: CircuitBreaker;
  readonly store: AuditedStore;
  readonly requests: CountedClient;
}

interface Fleet {
  readonly circuit: string;
  readonly environments: Environment[];
  readonly transitions: TransitionEvent[];
  readonly admin: CircuitAdmin;
  close(): void;
}

function fleet(
  options: Partial<CircuitBreakerOptions>,
  client: Parameters<typeof countedClient>[1] = {},
  clock?: Clock,
): Fleet {
  const circuit = `adversarial-${++circuitCounter}`;
  const transitions: TransitionEvent[] = [];
  const environments = Array.from({ length: FLEET }, () => {
    const requests = countedClient(endpoint, client);
    const store = new AuditedStore({ tableName: TABLE, client: requests.client });
    const breaker = new CircuitBreaker({
      name: circuit,
      store,
      clock,
      onTransition: (event) => transitions.push(event),
      ...options,
    });
    return { breaker, store, requests };
  });
  // The test's own view of the store goes around the proxy: it must not be faulted.
  const adminClient = countedClient(db.endpoint);
  const admin = new CircuitAdmin({
    store: new DynamoDbStateStore({ tableName: TABLE, client: adminClient.client }),
    clock,
  });
  return {
    circuit,
    environments,
    transitions,
    admin,
    close: () => {
      environments.forEach((environment) => environment.requests.client.destroy());
      adminClient.client.destroy();
    },
  };
}

const LEGAL = new Set(['CLOSED>OPEN', 'OPEN>HALF_OPEN', 'HALF_OPEN>OPEN', 'HALF_OPEN>CLOSED']);

/**
 * The fleet's reported shared transitions against the record: each version 1..N reported once
 * (none lost, none doubled), each a legal move from the state the previous one left.
 */
async function auditTransitions(
  subject: Fleet,
): Promise<{ version: number; lost: number; doubled: number }> {
  const { version } = await subject.admin.get(subject.circuit);
  const shared = subject.transitions.filter((event) => event.scope === 'shared');
  const byVersion = new Map<number, TransitionEvent[]>();
  for (const event of shared)
    byVersion.set(event.version, [...(byVersion.get(event.version) ?? []), event]);
  let lost = 0;
  let doubled = 0;
  for (let v = 1; v <= version; v++) {
    const events = byVersion.get(v) ?? [];
    if (events.length === 0) lost++;
    doubled += Math.max(0, events.length - 1);
  }
  const ordered = [...byVersion.entries()].sort(([a], [b]) => a - b).map(([, [event]]) => event!);
  const trace = ordered.map(
    (event) => `${event.version}:${event.from}>${event.to}:${event.reason}`,
  );
  ordered.forEach((event, index) => {
    expect(LEGAL.has(`${event.from}>${event.to}`), `${event.from}>${event.to}`).toBe(true);
    if (index > 0) expect(event.from, trace.join(' ')).toBe(ordered[index - 1]!.to);
  });
  expect(Math.max(0, ...byVersion.keys())).toBeLessThanOrEqual(version);
  return { version, lost, doubled };
}

/** Every environment calls back to back until it is refused once; returns the dependency. */
async function untilEveryoneShortCircuits(subject: Fleet, dependency: Dependency): Promise<void> {
  await Promise.all(
    subject.environments.map(async (environment) => {
      for (let call = 0; call < 500; call++) {
        const answer = await environment.breaker.execute(
          dependency.call,
          (context) => context.reason,
        );
        if (answer === 'open') return;
      }
      throw new Error('an environment never short-circuited');
    }),
  );
}

/** Real-time load: every environment calls back to back for `ms`, pacing refused calls. */
async function loadFor(subject: Fleet, dependency: Dependency, ms: number): Promise<void> {
  const until = performance.now() + ms;
  await Promise.all(
    subject.environments.map(async (environment) => {
      while (performance.now() < until) {
        const answer = await environment.breaker.execute(
          dependency.call,
          (context) => context.reason,
        );
        // Pacing, not synchronisation: a refused call returns at once and would spin.
        if (answer === 'open') await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }),
  );
  await Promise.all(subject.environments.map((environment) => environment.breaker.flush()));
}

describe('the shared breaker under adversarial timing (20 environments, dynalite behind a fault proxy)', () => {
  it('makes no DynamoDB write for 1000 healthy invocations, end-of-invocation flush included', async () => {
    proxy.configure(SEEDS[0]!, { maxLatencyMs: 20 });
    const clock = new ManualClock();
    const subject = fleet({}, {}, clock);
    const dependency = new Dependency();
    try {
      for (let invocation = 0; invocation < 50; invocation++) {
        await Promise.all(
          subject.environments.map(async (environment) => {
            await environment.breaker.execute(dependency.call);
            await environment.breaker.flush(); // what the service handler does after each invocation
          }),
        );
        clock.advance(100);
      }
      const writes = subject.environments.reduce(
        (sum, environment) => sum + environment.requests.writes(),
        0,
      );
      const requests = subject.environments.reduce(
        (sum, environment) => sum + environment.requests.total(),
        0,
      );
      console.log(
        `adversarial: ${dependency.calls} healthy invocations made ${writes} DynamoDB writes ` +
          `(${(writes * 1000) / dependency.calls} per 1000), ${requests} requests in all`,
      );
      expect(dependency.calls).toBe(1000);
      expect(writes).toBe(0);
      expect(requests).toBe(FLEET * 5); // one read per environment per state-cache second
    } finally {
      subject.close();
    }
  });

  it.each([
    ['defaults', {}],
    ['rate only (consecutiveFailures: 0)', { consecutiveFailures: 0 }],
  ] as const)(
    'trips after at most 40 failed calls fleet-wide, in real time with store latency 0-100 ms: %s',
    async (mode, options) => {
      const figures: number[] = [];
      for (const seed of SEEDS) {
        proxy.configure(seed, { maxLatencyMs: 100 });
        const subject = fleet(options);
        const dependency = new Dependency();
        dependency.mode = 'fail';
        try {
          await untilEveryoneShortCircuits(subject, dependency);
          figures.push(dependency.failures);
          expect((await subject.admin.get(subject.circuit)).state).toBe('OPEN');
          expect(await auditTransitions(subject)).toMatchObject({
            version: 1,
            lost: 0,
            doubled: 0,
          });
        } finally {
          subject.close();
        }
      }
      console.log(
        `adversarial: failed calls before the fleet short-circuits (${mode}, seeds ${SEEDS.join(',')}): ${figures.join(', ')}`,
      );
      expect(Math.max(...figures)).toBeLessThanOrEqual(2 * FLEET);
    },
  );

  it.each([
    ['no call timeout', 0],
    ['a call timeout twice the lease', 2400],
  ] as const)(
    'ends every probe before its lease, never two on one slot, with store latency up to 350 ms: %s',
    async (_, callTimeoutMs) => {
      proxy.configure(SEEDS[1]!, { maxLatencyMs: 350 });
      // The margin a probe keeps from its lease's end (a tenth: 120 ms) must cover this
      // machine's event-loop lag, with the emulator, the proxy and 20 clients in one process.
      const probeLeaseMs = 1200;
      const subject = fleet(
        {
          consecutiveFailures: 1,
          openDurationMs: 100,
          backoffMultiplier: 1,
          maxOpenDurationMs: 100,
          halfOpenMaxProbes: 1,
          probeLeaseMs,
          callTimeoutMs,
          storeTimeoutMs: 2000,
          stateCacheMs: 200,
        },
        { requestTimeoutMs: 2000 },
      );
      const dependency = new Dependency();
      try {
        dependency.mode = 'fail';
        await untilEveryoneShortCircuits(subject, dependency);
        dependency.mode = 'hang'; // every probe runs until it is cut short
        dependency.maxInFlight = 0;
        await loadFor(subject, dependency, 3000);
        console.log(
          `adversarial: probes (${callTimeoutMs ? `call timeout ${callTimeoutMs} ms` : 'no call timeout'}, lease ${probeLeaseMs} ms): ` +
            `${dependency.abortedAfter.length}, longest ${Math.round(Math.max(...dependency.abortedAfter))} ms, ` +
            `max in flight ${dependency.maxInFlight}`,
        );
        expect(dependency.abortedAfter.length).toBeGreaterThanOrEqual(2);
        expect(Math.max(...dependency.abortedAfter)).toBeLessThan(probeLeaseMs);
        expect(dependency.maxInFlight).toBe(1);
        expect(await auditTransitions(subject)).toMatchObject({ lost: 0, doubled: 0 });
      } finally {
        subject.close();
      }
    },
  );

  it('keeps environments that fell back to their local breaker from probing, and reports late writes', async () => {
    const seed = SEEDS[2]!;
    proxy.configure(seed, { maxLatencyMs: 50 });
    const subject = fleet(
      {
        consecutiveFailures: 1,
        openDurationMs: 300,
        backoffMultiplier: 1,
        maxOpenDurationMs: 300,
        halfOpenMaxProbes: 1,
        halfOpenSuccesses: 1000, // stays half open: every call after the trip is a probe
        probeLeaseMs: 1000,
        stateCacheMs: 100,
        failOpenMs: 500,
      },
      // Slow answers must outlast the breaker's store timeout, not the socket's.
      { requestTimeoutMs: 2000 },
    );
    const dependency = new Dependency();
    dependency.random = seededRandom(seed);
    try {
      dependency.mode = 'fail';
      await untilEveryoneShortCircuits(subject, dependency); // every environment saw it OPEN
      proxy.configure(seed, { maxLatencyMs: 50, slowProbability: 0.1, slowMs: [600, 900] });
      dependency.mode = 'ok';
      dependency.durationMs = 20;
      dependency.failureRate = 0.3; // failed probes re-open it: more transitions to account for
      dependency.maxInFlight = 0;
      await loadFor(subject, dependency, 3000);
      const local = subject.environments.reduce(
        (sum, environment) => sum + environment.breaker.stats().localDecisions,
        0,
      );
      const storeErrors = subject.environments.reduce(
        (sum, environment) => sum + environment.breaker.stats().storeErrors,
        0,
      );
      const audit = await auditTransitions(subject);
      console.log(
        `adversarial: slow store (${proxy.counts.slow} of ${proxy.counts.requests} answers past the store timeout): ` +
          `${storeErrors} store errors, ${local} calls decided locally, ${dependency.calls - 1} probes, ` +
          `max probes in flight ${dependency.maxInFlight} (1 slot), transitions ${audit.version} (lost ${audit.lost}, doubled ${audit.doubled})`,
      );
      expect(proxy.counts.slow).toBeGreaterThan(0);
      expect(local).toBeGreaterThan(0);
      expect(dependency.maxInFlight).toBe(1);
      expect(audit).toMatchObject({ lost: 0, doubled: 0 });
      expect(audit.version).toBeGreaterThanOrEqual(3);
    } finally {
      subject.close();
    }
  });

  it('counts every outcome once and reports every transition once when answers are lost, hang or connections reset', async () => {
    const seed = SEEDS[0]!;
    proxy.configure(seed, {
      maxLatencyMs: 10,
      dropAfterApplyProbability: 0.1,
      hangProbability: 0.01,
      refuseProbability: 0.05,
    });
    // Hand-driven time: only the SDK's socket timeouts (kept short here) run in real time, so
    // the SDK's retries, not the breaker's store timeout, meet the lost answers.
    const clock = new ManualClock();
    const client = { requestTimeoutMs: 150, connectionTimeoutMs: 200, maxAttempts: 2 };
    const counting = fleet(
      {
        minimumCalls: 1_000_000,
        consecutiveFailures: 0,
        flushIntervalMs: 0,
        windowMs: 3_600_000,
        failOpenMs: 200,
      },
      client,
      clock,
    );
    const tripping = fleet(
      {
        consecutiveFailures: 3,
        openDurationMs: 1000,
        backoffMultiplier: 1,
        halfOpenMaxProbes: 2,
        halfOpenSuccesses: 2,
        stateCacheMs: 100,
        failOpenMs: 200,
      },
      client,
      clock,
    );
    const dependency = new Dependency();
    dependency.random = seededRandom(seed);
    const round = (subject: Fleet) =>
      Promise.all(
        subject.environments.map((environment) =>
          environment.breaker.execute(dependency.call, () => 'fallback'),
        ),
      );
    try {
      // Outcomes: 30 % failures, never tripping, every batch written.
      dependency.failureRate = 0.3;
      for (let i = 0; i < 6; i++) {
        await round(counting);
        clock.advance(100);
      }
      await Promise.all(counting.environments.map((environment) => environment.breaker.flush()));
      const stored = (await counting.admin.get(counting.circuit)).window.calls;
      const applied = counting.environments.reduce(
        (sum, environment) => sum + environment.store.applied,
        0,
      );
      const uncertain = counting.environments.reduce(
        (sum, environment) => sum + environment.store.uncertain,
        0,
      );
      const doubledCalls = Math.max(0, stored - (applied + uncertain));
      const lostCalls = Math.max(0, applied - stored);

      // Transitions: three outages, each tripped, probed and closed again.
      for (let outage = 0; outage < 3; outage++) {
        dependency.mode = 'fail';
        for (let i = 0; i < 6; i++) {
          await round(tripping);
          clock.advance(100);
        }
        clock.advance(1000);
        dependency.mode = 'ok';
        dependency.failureRate = 0;
        for (let i = 0; i < 6; i++) {
          await round(tripping);
          clock.advance(100);
        }
      }
      await Promise.all(tripping.environments.map((environment) => environment.breaker.flush()));
      const audit = await auditTransitions(tripping);
      console.log(
        `adversarial: lost answers (${proxy.counts.dropped} dropped after apply, ${proxy.counts.hung} hung, ` +
          `${proxy.counts.refused} connections reset): outcome calls stored ${stored}, acknowledged ${applied}, in doubt ${uncertain}; ` +
          `writes lost ${lostCalls}, doubled ${doubledCalls}; transitions ${audit.version}, lost ${audit.lost}, doubled ${audit.doubled}`,
      );
      expect(proxy.counts.dropped).toBeGreaterThan(0);
      expect(doubledCalls).toBe(0);
      expect(lostCalls).toBe(0);
      expect(audit.version).toBeGreaterThanOrEqual(6);
      expect(audit).toMatchObject({ lost: 0, doubled: 0 });
      const state = await tripping.admin.get(tripping.circuit);
      expect(state.probesInFlight).toBe(0); // no orphaned lease
    } finally {
      counting.close();
      tripping.close();
    }
  });
});
