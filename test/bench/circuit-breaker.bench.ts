/**
 * Circuit breaker benchmarks. Counts are exact (DynamoDB requests counted by a middleware on the
 * client, against an in-process emulator); times are compared with a baseline measured in the
 * same run. Run alone with `npx tsx test/bench/circuit-breaker.bench.ts`.
 */
import { performance } from 'node:perf_hooks';
import { GetCommand, PutCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { circuitBreaker, ConsecutiveBreaker, handleAll } from 'cockatiel';
import {
  CircuitAdmin,
  CircuitBreaker,
  DynamoDbStateStore,
  ManualClock,
  MemoryStateStore,
} from '../../functions/runtime/resilience';
import { countedClient, startLocalDynamoDb } from '../integration/resilience/local-dynamodb';

const TABLE = 'circuits';
const CALLS = 1000;
/** 100 calls per second of simulated time: 10 s per scenario, i.e. 10 state-cache periods. */
const CALL_SPACING_MS = 10;

type Scenario = 'healthy' | 'failing' | 'open';

const ok = async (): Promise<string> => 'ok';
const failing = async (): Promise<never> => {
  throw Object.assign(new Error('unavailable'), { statusCode: 503 });
};

/**
 * The anchor: the design of the circuitbreaker-lambda project. Every call reads the circuit's
 * item first and writes it back after the call (last writer wins); only a short-circuited call
 * skips the write. Written here from that description, to count its requests.
 */
class ReadWriteEveryCallBreaker {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly name: string,
    private readonly clock: ManualClock,
  ) {}

  async fire<T>(call: () => Promise<T>): Promise<T | 'fallback'> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: TABLE, Key: this.key() }),
    );
    let state = (Item?.circuitState as string | undefined) ?? 'CLOSED';
    let failureCount = (Item?.failureCount as number | undefined) ?? 0;
    let successCount = (Item?.successCount as number | undefined) ?? 0;
    let nextAttempt = (Item?.nextAttempt as number | undefined) ?? 0;
    if (state === 'OPEN') {
      if (nextAttempt > this.clock.now()) return 'fallback';
      state = 'HALF';
    }
    try {
      const value = await call();
      successCount = state === 'HALF' ? successCount + 1 : 0;
      failureCount = 0;
      if (state === 'HALF' && successCount >= 2) state = 'CLOSED';
      return value;
    } catch {
      failureCount += 1;
      if (failureCount >= 10) {
        state = 'OPEN';
        nextAttempt = this.clock.now() + 30_000;
      }
      return 'fallback';
    } finally {
      await this.documents.send(
        new PutCommand({
          TableName: TABLE,
          Item: { ...this.key(), circuitState: state, failureCount, successCount, nextAttempt },
        }),
      );
    }
  }

  private key(): { pk: string; sk: string } {
    return { pk: `baseline#${this.name}`, sk: 'state' };
  }
}

async function countRequests(
  endpoint: string,
  scenario: Scenario,
): Promise<{ breaker: number[]; baseline: number[] }> {
  const clock = new ManualClock();
  const name = `bench-${scenario}`;
  const ours = countedClient(endpoint);
  const breaker = new CircuitBreaker({
    name,
    clock,
    store: new DynamoDbStateStore({ tableName: TABLE, client: ours.client }),
  });
  const theirs = countedClient(endpoint);
  const baseline = new ReadWriteEveryCallBreaker(
    DynamoDBDocumentClient.from(theirs.client),
    name,
    clock,
  );
  if (scenario === 'open') {
    const adminClient = countedClient(endpoint);
    await new CircuitAdmin({
      store: new DynamoDbStateStore({ tableName: TABLE, client: adminClient.client }),
      clock,
    }).forceOpen(name);
    await theirsOpen(theirs.client, name, clock);
    adminClient.client.destroy();
    theirs.requests.clear();
  }
  const call = scenario === 'healthy' ? ok : failing;
  for (let i = 0; i < CALLS; i++) {
    await breaker.execute(call, () => 'fallback');
    await baseline.fire(call);
    clock.advance(CALL_SPACING_MS);
  }
  const result = {
    breaker: [ours.total(), ours.writes()],
    baseline: [theirs.total(), theirs.writes()],
  };
  ours.client.destroy();
  theirs.client.destroy();
  return result;
}

/** Puts the baseline's item in the OPEN state for the whole run. */
async function theirsOpen(
  client: ReturnType<typeof countedClient>['client'],
  name: string,
  clock: ManualClock,
) {
  await DynamoDBDocumentClient.from(client).send(
    new PutCommand({
      TableName: TABLE,
      Item: {
        pk: `baseline#${name}`,
        sk: 'state',
        circuitState: 'OPEN',
        failureCount: 10,
        successCount: 0,
        nextAttempt: clock.now() + 3_600_000,
      },
    }),
  );
}

/** Median of per-call microseconds over several alternating runs, to ride out a noisy machine. */
async function overhead(): Promise<{ ours: number; oursNoTimeout: number; cockatiel: number }> {
  const iterations = 20_000;
  const noop = async (): Promise<number> => 1;
  const breaker = new CircuitBreaker({ name: 'overhead', store: new MemoryStateStore() });
  const untimed = new CircuitBreaker({
    name: 'overhead-untimed',
    store: new MemoryStateStore(),
    callTimeoutMs: 0,
  });
  const policy = circuitBreaker(handleAll, {
    halfOpenAfter: 10_000,
    breaker: new ConsecutiveBreaker(5),
  });
  const time = async (run: () => Promise<unknown>): Promise<number> => {
    const start = performance.now();
    for (let i = 0; i < iterations; i++) await run();
    return ((performance.now() - start) * 1000) / iterations;
  };
  const samples = {
    ours: [] as number[],
    oursNoTimeout: [] as number[],
    cockatiel: [] as number[],
  };
  for (let round = 0; round < 7; round++) {
    samples.ours.push(await time(() => breaker.execute(noop)));
    samples.oursNoTimeout.push(await time(() => untimed.execute(noop)));
    samples.cockatiel.push(await time(() => policy.execute(noop)));
  }
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  // The first round warms the JIT up; the median ignores it anyway.
  return {
    ours: median(samples.ours),
    oursNoTimeout: median(samples.oursNoTimeout),
    cockatiel: median(samples.cockatiel),
  };
}

function line(
  name: string,
  value: number,
  unit: string,
  baseline?: { name: string; value: number },
): string {
  const format = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(3));
  const base = baseline
    ? ` vs ${baseline.name} ${format(baseline.value)} ratio ${baseline.value === 0 ? 'n/a' : format(value / baseline.value)}`
    : '';
  return `bench ${name} ${format(value)} ${unit}${base}`;
}

export async function run(): Promise<string[]> {
  const lines: string[] = [];
  const db = await startLocalDynamoDb();
  try {
    await db.createCircuitTable(TABLE);
    for (const scenario of ['healthy', 'failing', 'open'] as const) {
      const { breaker, baseline } = await countRequests(db.endpoint, scenario);
      const base = 'read-write-every-call';
      lines.push(
        line(`circuit-breaker.ddb-requests.${scenario}`, breaker[0]!, 'requests/1000calls', {
          name: base,
          value: baseline[0]!,
        }),
      );
      lines.push(
        line(`circuit-breaker.ddb-writes.${scenario}`, breaker[1]!, 'writes/1000calls', {
          name: base,
          value: baseline[1]!,
        }),
      );
    }
  } finally {
    await db.close();
  }
  const { ours, oursNoTimeout, cockatiel } = await overhead();
  lines.push(
    line('circuit-breaker.overhead', ours, 'us/call', {
      name: 'cockatiel-consecutive',
      value: cockatiel,
    }),
  );
  lines.push(
    line('circuit-breaker.overhead-no-timeout', oursNoTimeout, 'us/call', {
      name: 'cockatiel-consecutive',
      value: cockatiel,
    }),
  );
  return lines;
}

if (require.main === module) {
  run()
    .then((lines) => {
      for (const text of lines) console.log(text);
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}
