/**
 * Circuit breaker benchmarks. Counts are exact (DynamoDB requests counted by a middleware on the
 * client, against an in-process emulator); times are compared with a baseline measured in the
 * same run. Run alone with `npx tsx test/bench/circuit-breaker.bench.ts`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { GetCommand, PutCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  circuitBreaker,
  ConsecutiveBreaker,
  handleAll,
  timeout,
  TimeoutStrategy,
  wrap,
} from 'cockatiel';
import {
  CircuitAdmin,
  CircuitBreaker,
  DynamoDbStateStore,
  ManualClock,
} from '../../functions/runtime/resilience';
import { createPowertools } from '../../functions/runtime/observability/powertools';
import { ServiceClient } from '../../functions/runtime/service/service-client';
import { createServiceHandler } from '../../functions/runtime/service/service-handler';
import { gatewayEvent, lambdaContext } from '../support/events';
import {
  CREDENTIALS,
  REGION,
  countedClient,
  startLocalDynamoDb,
} from '../integration/resilience/local-dynamodb';

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

/** Environments of the calling service, each its own Lambda environment with its own clients. */
const ENVIRONMENTS = 20;

/**
 * The healthy path as deployed: a service function's handler (createServiceHandler) calls
 * another service through the ServiceClient (shared breaker, DynamoDB store through a client as
 * service-runtime builds it) and flushes the client after every invocation, as reading-list
 * does. 20 environments × 50 invocations, 100 ms apart in each environment, against a callee
 * that answers over real HTTP (the Lambda Invoke API). Every DynamoDB request is counted.
 */
async function healthyInvocations(endpoint: string): Promise<{ requests: number; writes: number }> {
  const callee = http.createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ status: 200, payload: { recommendations: [] } }));
    });
  });
  await new Promise<void>((resolve) => callee.listen(0, '127.0.0.1', resolve));
  const lambdaEndpoint = `http://127.0.0.1:${(callee.address() as AddressInfo).port}`;
  const clock = new ManualClock();
  const counted = Array.from({ length: ENVIRONMENTS }, () => countedClient(endpoint, {}));
  const handlers = counted.map((dynamodb) => {
    const services = new ServiceClient({
      source: 'reading-list',
      lambda: new LambdaClient({
        endpoint: lambdaEndpoint,
        region: REGION,
        credentials: CREDENTIALS,
      }),
      resilience: {
        store: new DynamoDbStateStore({ tableName: TABLE, client: dynamodb.client }),
        breaker: { clock },
      },
    });
    return {
      services,
      handler: createServiceHandler({
        serviceName: 'reading-list',
        powertools: createPowertools('reading-list'),
        afterInvocation: () => services.flush(),
        routes: {
          'GET /reading-list': async (_event, scope) => {
            const answer = await services.call(
              'shop-Recommendations',
              'recommend',
              {},
              { correlationId: scope.correlationId },
              { circuit: 'bench-handler-healthy' },
            );
            return { statusCode: answer.status, body: JSON.stringify(answer.payload) };
          },
        },
      }),
    };
  });
  const event = gatewayEvent({ resource: '/reading-list' });
  const context = lambdaContext('reading-list');
  for (let round = 0; round < CALLS / ENVIRONMENTS; round++) {
    await Promise.all(
      handlers.map(async ({ handler }) => {
        const result = (await handler(event, context)) as { statusCode: number };
        if (result.statusCode !== 200) throw new Error(`invocation answered ${result.statusCode}`);
      }),
    );
    clock.advance(100);
  }
  const requests = counted.reduce((sum, client) => sum + client.total(), 0);
  const writes = counted.reduce((sum, client) => sum + client.writes(), 0);
  counted.forEach((client) => client.client.destroy());
  handlers.forEach(({ services }) => services.client.destroy());
  await new Promise<void>((resolve) => callee.close(() => resolve()));
  return { requests, writes };
}

/**
 * Per-call overhead in the configuration a deployed service client runs: the DynamoDB store
 * (the shared session, its cache warm: one read per state-cache period, as in a busy
 * environment), Powertools logger and metrics attached, the 2 s call timeout, and a call that
 * takes the signal as the service client's does. Baselines in the same run: cockatiel's
 * consecutive breaker alone, and wrapped in its cooperative timeout (a signal and a deadline per
 * call, as here); `abort-signal-floor` is what `new AbortController().signal` around the same
 * call costs by itself. Median of alternating rounds, to ride out a noisy machine.
 */
async function overhead(endpoint: string): Promise<Record<string, number>> {
  const iterations = 20_000;
  const call = async (signal: AbortSignal): Promise<number> => (signal.aborted ? 0 : 1);
  const cockatielCall = async ({ signal }: { signal: AbortSignal }): Promise<number> =>
    signal.aborted ? 0 : 1;
  const powertools = createPowertools('bench-overhead');
  const dynamodb = countedClient(endpoint, {});
  const deployed = (name: string, callTimeoutMs?: number) =>
    new CircuitBreaker({
      name,
      store: new DynamoDbStateStore({ tableName: TABLE, client: dynamodb.client }),
      logger: powertools.logger,
      metrics: powertools.metrics,
      callTimeoutMs,
    });
  const breaker = deployed('overhead');
  const untimed = deployed('overhead-untimed', 0);
  const consecutive = () =>
    circuitBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(5) });
  const policy = consecutive();
  const timedPolicy = wrap(timeout(2_000, TimeoutStrategy.Cooperative), consecutive());
  const floor = async (): Promise<number> => call(new AbortController().signal);
  // Warm caches: the first call reads the circuit's record.
  await breaker.execute(call);
  await untimed.execute(call);
  const time = async (run: () => Promise<unknown>): Promise<number> => {
    const start = performance.now();
    for (let i = 0; i < iterations; i++) await run();
    return ((performance.now() - start) * 1000) / iterations;
  };
  const runs: Record<string, () => Promise<unknown>> = {
    ours: () => breaker.execute(call),
    oursNoTimeout: () => untimed.execute(call),
    cockatiel: () => policy.execute(cockatielCall),
    cockatielTimeout: () => timedPolicy.execute(cockatielCall),
    signalFloor: floor,
  };
  const samples: Record<string, number[]> = Object.create(null);
  for (let round = 0; round < 9; round++) {
    for (const [name, run] of Object.entries(runs)) (samples[name] ??= []).push(await time(run));
  }
  dynamodb.client.destroy();
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  // The first round warms the JIT up; the median ignores it anyway.
  const result: Record<string, number> = Object.create(null);
  for (const [name, values] of Object.entries(samples)) result[name] = median(values);
  return result;
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
    // The service handler logs at INFO; the bench prints figures only.
    const level = process.env.POWERTOOLS_LOG_LEVEL;
    process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
    try {
      const healthy = await healthyInvocations(db.endpoint);
      lines.push(
        line(
          'circuit-breaker.handler-healthy.ddb-writes',
          healthy.writes,
          'writes/1000invocations',
        ),
        line(
          'circuit-breaker.handler-healthy.ddb-requests',
          healthy.requests,
          'requests/1000invocations',
        ),
      );
      const figures = await overhead(db.endpoint);
      const cockatiel = { name: 'cockatiel-consecutive', value: figures.cockatiel! };
      lines.push(
        line('circuit-breaker.overhead', figures.ours!, 'us/call', cockatiel),
        line('circuit-breaker.overhead', figures.ours!, 'us/call', {
          name: 'cockatiel-consecutive+cooperative-timeout',
          value: figures.cockatielTimeout!,
        }),
        line('circuit-breaker.overhead-no-timeout', figures.oursNoTimeout!, 'us/call', cockatiel),
        line('circuit-breaker.abort-signal-floor', figures.signalFloor!, 'us/call', cockatiel),
      );
    } finally {
      if (level === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
      else process.env.POWERTOOLS_LOG_LEVEL = level;
    }
  } finally {
    await db.close();
  }
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
