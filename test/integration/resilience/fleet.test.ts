import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CircuitAdmin,
  CircuitBreaker,
  DynamoDbStateStore,
  ManualClock,
  createBreakerDynamoDbClient,
  type CircuitBreakerOptions,
  type Clock,
  type TransitionEvent,
} from '../../../functions/runtime/resilience';
import {
  CREDENTIALS,
  REGION,
  countedClient,
  startLocalDynamoDb,
  type CountedClient,
  type LocalDynamoDb,
} from './local-dynamodb';

const TABLE = 'circuits';
const FLEET_SIZE = 20;

/**
 * The dependency every environment calls. It counts calls, failures and the calls in flight,
 * and can hold calls at a gate so that a test sees them overlap.
 */
class FakeDependency {
  failing = false;
  calls = 0;
  failures = 0;
  inFlight = 0;
  maxInFlight = 0;
  private gate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;
  private arrivals: (() => void)[] = [];

  hold(): void {
    this.gate = new Promise((resolve) => (this.openGate = resolve));
  }
  release(): void {
    this.openGate?.();
    this.gate = undefined;
  }
  /** Calls `listener` as each call enters; returns the unsubscribe. */
  onArrival(listener: () => void): () => void {
    this.arrivals.push(listener);
    return () => {
      this.arrivals = this.arrivals.filter((other) => other !== listener);
    };
  }

  readonly call = async (): Promise<string> => {
    this.calls++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    this.arrivals.forEach((listener) => listener());
    try {
      if (this.gate) await this.gate;
      else await new Promise<void>((resolve) => setImmediate(resolve)); // let other calls interleave
      if (this.failing) {
        this.failures++;
        throw Object.assign(new Error('dependency unavailable'), { statusCode: 503 });
      }
      return 'ok';
    } finally {
      this.inFlight--;
    }
  };
}

interface Environment {
  readonly breaker: CircuitBreaker;
  readonly requests: CountedClient;
}

let db: LocalDynamoDb;
let circuitCounter = 0;

beforeAll(async () => {
  db = await startLocalDynamoDb();
  await db.createCircuitTable(TABLE);
});

afterAll(async () => {
  await db?.close();
});

describe('a fleet of environments sharing one circuit through DynamoDB', () => {
  const transitions: TransitionEvent[] = [];
  const environments: Environment[] = [];
  let clock: ManualClock;
  let circuit: string;
  let admin: CircuitAdmin;

  function fleet(size: number, options: Partial<CircuitBreakerOptions> = {}): Environment[] {
    circuit = `payments-${++circuitCounter}`;
    clock = new ManualClock();
    transitions.length = 0;
    environments.forEach((environment) => environment.requests.client.destroy());
    environments.length = 0;
    for (let i = 0; i < size; i++) environments.push(environment(options));
    admin = new CircuitAdmin({
      store: new DynamoDbStateStore({
        tableName: TABLE,
        client: countedClient(db.endpoint).client,
      }),
      clock,
      onTransition: (event) => transitions.push(event),
    });
    return environments;
  }

  function environment(
    options: Partial<CircuitBreakerOptions> = {},
    environmentClock: Clock = clock,
  ): Environment {
    const requests = countedClient(db.endpoint);
    const breaker = new CircuitBreaker({
      name: circuit,
      store: new DynamoDbStateStore({ tableName: TABLE, client: requests.client }),
      clock: environmentClock,
      minimumCalls: 20,
      failureRateThreshold: 0.5,
      consecutiveFailures: 0,
      windowMs: 60_000,
      openDurationMs: 10_000,
      halfOpenMaxProbes: 3,
      halfOpenSuccesses: 3,
      probeLeaseMs: 5_000,
      callTimeoutMs: 2_000,
      stateCacheMs: 1_000,
      flushIntervalMs: 1_000,
      storeTimeoutMs: 500,
      onTransition: (event) => transitions.push(event),
      ...options,
    });
    return { breaker, requests };
  }

  /** Every environment makes one call at the same time; returns how many short-circuited. */
  async function round(dependency: FakeDependency): Promise<number> {
    const answers = await Promise.all(
      environments.map((environment) =>
        environment.breaker.execute(dependency.call, (context) => `fallback:${context.reason}`),
      ),
    );
    return answers.filter((answer) => answer === 'fallback:open').length;
  }

  /**
   * Every environment calls at once while the dependency holds its calls: resolves when each
   * call has either reached the dependency or been refused, so the test sees them all in flight.
   */
  async function heldRound(
    dependency: FakeDependency,
  ): Promise<{ arrived: number; refused: number; done: Promise<unknown> }> {
    dependency.hold();
    let arrived = 0;
    let refused = 0;
    let everyoneAnswered!: () => void;
    const answered = new Promise<void>((resolve) => (everyoneAnswered = resolve));
    const check = () => arrived + refused === environments.length && everyoneAnswered();
    const unsubscribe = dependency.onArrival(() => {
      arrived++;
      check();
    });
    const done = Promise.all(
      environments.map((environment) =>
        environment.breaker.execute(dependency.call, (context) => {
          if (context.reason === 'open') refused++;
          check();
          return `fallback:${context.reason}`;
        }),
      ),
    );
    await answered;
    unsubscribe();
    return { arrived, refused, done };
  }

  async function shared() {
    return admin.get(circuit);
  }

  /** Transitions reported across the fleet must be exactly versions 1..N of the record. */
  async function expectNoLostOrDoubledTransitions(): Promise<void> {
    const { version } = await shared();
    const versions = transitions.map((event) => event.version).sort((a, b) => a - b);
    expect(versions).toEqual(Array.from({ length: version }, (_, i) => i + 1));
  }

  it('makes no writes while healthy, then trips fleet-wide once the failure rate crosses the threshold', async () => {
    fleet(FLEET_SIZE);
    const dependency = new FakeDependency();
    for (let i = 0; i < 5; i++) {
      await round(dependency);
      clock.advance(100);
    }
    expect(environments.map((environment) => environment.requests.writes())).toEqual(
      Array(FLEET_SIZE).fill(0),
    );
    expect(environments.every((environment) => environment.requests.total() === 1)).toBe(true);
    clock.advance(60_000); // a window later: the healthy calls no longer weigh in

    dependency.failing = true;
    let rounds = 0;
    while ((await round(dependency)) < FLEET_SIZE) {
      clock.advance(100);
      expect(++rounds).toBeLessThan(50);
    }
    const state = await shared();
    expect(state).toMatchObject({ state: 'OPEN', version: 1, reason: 'failure-rate' });
    expect(transitions).toHaveLength(1);
    await expectNoLostOrDoubledTransitions();
    const requests = environments.reduce(
      (sum, environment) => sum + environment.requests.total(),
      0,
    );
    console.log(
      `fleet: ${FLEET_SIZE} environments made ${dependency.failures} failed calls before every environment short-circuited ` +
        `(minimumCalls 20, threshold 50 %, ${rounds + 1} rounds of 100 ms, ${requests} DynamoDB requests in all)`,
    );
    // The trip needs 20 failed calls in the window (the minimum); each environment's first
    // failure is flushed at once, and the losers of the race learn the new state from it.
    expect(dependency.failures).toBeGreaterThanOrEqual(20);
    expect(dependency.failures).toBeLessThanOrEqual(2 * FLEET_SIZE);
  });

  it('admits at most N probes fleet-wide while HALF_OPEN, then closes after enough probe successes', async () => {
    fleet(FLEET_SIZE);
    const dependency = new FakeDependency();
    dependency.failing = true;
    while ((await round(dependency)) < FLEET_SIZE) clock.advance(100);
    clock.advance(10_000);
    dependency.failing = false;

    dependency.maxInFlight = 0;
    const { arrived, refused, done } = await heldRound(dependency);
    expect(arrived).toBe(3);
    expect(dependency.inFlight).toBe(3);
    expect(refused).toBe(FLEET_SIZE - 3);
    expect((await shared()).probesInFlight).toBe(3);
    dependency.release();
    await done;
    expect(dependency.maxInFlight).toBeLessThanOrEqual(3);
    expect(await shared()).toMatchObject({ state: 'CLOSED', reason: 'probes-succeeded' });
    await expectNoLostOrDoubledTransitions();
  });

  it('frees the slot of a probe whose environment died, once the lease runs out', async () => {
    fleet(FLEET_SIZE - 1, { halfOpenMaxProbes: 1, halfOpenSuccesses: 1 });
    const dependency = new FakeDependency();
    dependency.failing = true;
    while ((await round(dependency)) < FLEET_SIZE - 1) clock.advance(100);
    clock.advance(10_000);

    // The twentieth environment takes the only probe slot and then freezes: its clock stops, its
    // call never returns, so nothing it scheduled will ever run.
    const frozenClock = new ManualClock(clock.now());
    const dead = environment({ halfOpenMaxProbes: 1, halfOpenSuccesses: 1 }, frozenClock);
    let deadCallStarted!: () => void;
    const started = new Promise<void>((resolve) => (deadCallStarted = resolve));
    void dead.breaker.execute(() => {
      deadCallStarted();
      return new Promise<string>(() => undefined);
    });
    await started;
    dependency.failing = false;

    clock.advance(4_999);
    expect(await round(dependency)).toBe(FLEET_SIZE - 1); // the slot is still leased
    clock.advance(1);
    const { arrived, refused, done } = await heldRound(dependency);
    expect({ arrived, refused }).toEqual({ arrived: 1, refused: FLEET_SIZE - 2 }); // one took the freed slot
    dependency.release();
    await done;
    expect(await shared()).toMatchObject({ state: 'CLOSED', reason: 'probes-succeeded' });
    await expectNoLostOrDoubledTransitions();
  });

  it('keeps forced states whatever the traffic, with one transition per operator action', async () => {
    fleet(FLEET_SIZE, { consecutiveFailures: 3 });
    const dependency = new FakeDependency();
    await admin.forceOpen(circuit);
    clock.advance(1_000); // every cached state expires
    for (let i = 0; i < 3; i++) {
      expect(await round(dependency)).toBe(FLEET_SIZE);
      clock.advance(3_600_000);
    }
    expect(dependency.calls).toBe(0);

    await admin.forceClosed(circuit);
    clock.advance(1_000);
    dependency.failing = true;
    for (let i = 0; i < 5; i++) {
      expect(await round(dependency)).toBe(0);
      clock.advance(1_000);
    }
    expect(await shared()).toMatchObject({ state: 'DISABLED', version: 2 });
    await admin.reset(circuit);
    expect(await shared()).toMatchObject({ state: 'CLOSED', version: 3 });
    await expectNoLostOrDoubledTransitions();
  });

  it('falls open to a local breaker when the store fails or is slow, and counts it', async () => {
    fleet(2);
    const dependency = new FakeDependency();
    // Nothing listens on this port: every request fails at once.
    const unreachable = new CircuitBreaker({
      name: circuit,
      clock,
      store: new DynamoDbStateStore({
        tableName: TABLE,
        client: createBreakerDynamoDbClient({
          endpoint: 'http://127.0.0.1:9',
          region: REGION,
          credentials: CREDENTIALS,
          maxAttempts: 1,
        }),
      }),
    });
    await expect(unreachable.execute(dependency.call)).resolves.toBe('ok');
    expect(unreachable.stats().storeErrors).toBe(1);
    expect((await unreachable.view()).scope).toBe('local');

    // A store that accepts the request and never answers: the breaker's store timeout decides.
    const slow = environments[0]!;
    slow.requests.client.middlewareStack.add(() => () => new Promise(() => undefined), {
      step: 'finalizeRequest',
      name: 'hang',
    });
    const pending = slow.breaker.execute(dependency.call);
    await new Promise<void>((resolve) => setImmediate(resolve));
    clock.advance(500);
    await expect(pending).resolves.toBe('ok');
    expect(slow.breaker.stats().storeErrors).toBe(1);
    // The healthy neighbour is unaffected.
    await expect(environments[1]!.breaker.execute(dependency.call)).resolves.toBe('ok');
    expect(environments[1]!.breaker.stats().storeErrors).toBe(0);
  });
});
