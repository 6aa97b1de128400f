import { InvokeCommand, LambdaClient, type InvokeCommandOutput } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../functions/runtime/resilience/clock';
import { CircuitOpenError } from '../../../../functions/runtime/resilience/errors';
import { MemoryStateStore } from '../../../../functions/runtime/resilience/memory-state-store';
import type { CircuitBreakerOptions } from '../../../../functions/runtime/resilience/options';
import {
  ServiceCallError,
  ServiceClient,
  type ServiceClientResilience,
} from '../../../../functions/runtime/service/service-client';
import { createServiceRuntime } from '../../../../functions/runtime/service/service-runtime';

const FUNCTION = 'shop-Recommendations-abc123';
const CONTEXT = {
  correlationId: 'corr-1',
  caller: { sub: 'user-1', clientId: 'reader', scopes: ['reading-list/read'] },
};

const lambda = new LambdaClient({
  region: 'eu-west-1',
  credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
});
const lambdaMock = mockClient(lambda);

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const answer = (body: unknown) =>
  ({ StatusCode: 200, Payload: encode(body) }) as unknown as InvokeCommandOutput;
const ok = (payload: unknown = { items: [] }) => answer({ status: 200, payload });
const problem = (status: number) =>
  answer({ status, problem: { title: 'Problem', status, detail: `answered ${status}` } });

/** An AWS SDK error as the client throws it (no response, or an HTTP status). */
function sdkError(name: string, httpStatusCode?: number): Error {
  const error = new Error(`${name} happened`);
  error.name = name;
  if (httpStatusCode !== undefined) {
    Object.assign(error, { $metadata: { httpStatusCode } });
  }
  return error;
}

const invocations = () => lambdaMock.commandCalls(InvokeCommand).length;

async function failure(promise: Promise<unknown>): Promise<ServiceCallError> {
  const error = await promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (rejected: unknown) => rejected,
  );
  expect(error).toBeInstanceOf(ServiceCallError);
  return error as ServiceCallError;
}

interface Setup {
  client: ServiceClient;
  store: MemoryStateStore;
  clock: ManualClock;
  /** Every wait the client asked for, in order. */
  delays: number[];
}

function setup(
  breaker: Partial<Omit<CircuitBreakerOptions, 'name' | 'store'>> = {},
  resilience: Partial<ServiceClientResilience> = {},
  timeoutMs = 500,
): Setup {
  const store = new MemoryStateStore();
  const clock = new ManualClock();
  const delays: number[] = [];
  const client = new ServiceClient({
    source: 'reading-list',
    timeoutMs,
    lambda,
    resilience: {
      store,
      breaker: {
        clock,
        consecutiveFailures: 3,
        minimumCalls: 100,
        openDurationMs: 30_000,
        ...breaker,
      },
      random: () => 0.5,
      delay: async (ms) => {
        delays.push(ms);
      },
      ...resilience,
    },
  });
  return { client, store, clock, delays };
}

/** Makes `count` calls that each fail with a 503 answer, swallowing the errors. */
async function failTimes(client: ServiceClient, count: number, circuit?: string): Promise<void> {
  for (let i = 0; i < count; i++) {
    await client.call(FUNCTION, 'recommend', {}, CONTEXT, { circuit }).catch(() => undefined);
  }
}

const savedServiceVariable = process.env.SERVICE_RECOMMENDATIONS_FUNCTION_NAME;

beforeEach(() => {
  lambdaMock.reset();
  process.env.SERVICE_RECOMMENDATIONS_FUNCTION_NAME = FUNCTION;
});

afterEach(() => {
  if (savedServiceVariable === undefined) delete process.env.SERVICE_RECOMMENDATIONS_FUNCTION_NAME;
  else process.env.SERVICE_RECOMMENDATIONS_FUNCTION_NAME = savedServiceVariable;
});

describe('ServiceClient with resilience — circuit breaker', () => {
  it('answers normally through a closed circuit', async () => {
    const { client } = setup();
    lambdaMock.on(InvokeCommand).resolves(ok({ ids: ['b-1'] }));
    await expect(client.call(FUNCTION, 'recommend', {}, CONTEXT)).resolves.toEqual({
      status: 200,
      payload: { ids: ['b-1'] },
    });
    expect(invocations()).toBe(1);
  });

  it('opens after the configured consecutive failures; later calls short-circuit without invoking Lambda', async () => {
    const { client, store } = setup({ consecutiveFailures: 3 });
    lambdaMock.on(InvokeCommand).resolves(problem(503));
    await failTimes(client, 2);
    expect((await store.get(FUNCTION)).state).toBe('CLOSED');
    await failTimes(client, 1);
    expect((await store.get(FUNCTION)).state).toBe('OPEN');
    expect(invocations()).toBe(3);

    const refused = await failure(client.call(FUNCTION, 'recommend', {}, CONTEXT));
    expect(refused.reason).toBe('circuit-open');
    expect(refused.target).toBe(FUNCTION);
    expect(refused.cause).toBeInstanceOf(CircuitOpenError);
    expect(invocations()).toBe(3);
  });

  it('gives the fallback reason "open" while the circuit is open, without invoking Lambda', async () => {
    const { client } = setup();
    lambdaMock.on(InvokeCommand).resolves(problem(503));
    await failTimes(client, 3);
    const seen: { reason: string; error: ServiceCallError }[] = [];
    const response = await client.call<string[]>(FUNCTION, 'recommend', {}, CONTEXT, {
      fallback: (reason, error) => {
        seen.push({ reason, error });
        return ['cached'];
      },
    });
    expect(response).toEqual({ status: 200, payload: ['cached'], fallback: 'open' });
    expect(seen).toHaveLength(1);
    expect(seen[0].reason).toBe('open');
    expect(seen[0].error.reason).toBe('circuit-open');
    expect(invocations()).toBe(3);
  });

  it('lets a call through again once the open duration has passed', async () => {
    const { client, clock } = setup({ openDurationMs: 10_000 });
    lambdaMock.on(InvokeCommand).resolves(problem(503));
    await failTimes(client, 3);
    clock.advance(9_999);
    await failTimes(client, 1);
    expect(invocations()).toBe(3);
    lambdaMock.on(InvokeCommand).resolves(ok());
    clock.advance(1);
    await expect(client.call(FUNCTION, 'recommend', {}, CONTEXT)).resolves.toMatchObject({
      status: 200,
    });
    expect(invocations()).toBe(4);
  });

  it('does not count 4xx answers: the circuit stays closed and the error is the callee answer', async () => {
    const { client, store } = setup({ consecutiveFailures: 3 });
    lambdaMock.on(InvokeCommand).resolves(problem(404));
    for (let i = 0; i < 5; i++) {
      const error = await failure(client.call(FUNCTION, 'recommend', {}, CONTEXT));
      expect(error.reason).toBe('status');
      expect(error.status).toBe(404);
    }
    expect(invocations()).toBe(5);
    const record = await store.get(FUNCTION);
    expect(record.state).toBe('CLOSED');
    expect(record.failures).toBe(0);
  });

  it('does not hide a 4xx answer behind the fallback: the caller sees what it did wrong', async () => {
    const { client } = setup({ consecutiveFailures: 3 });
    lambdaMock.on(InvokeCommand).resolves(problem(403));
    let fallbackCalls = 0;
    const error = await failure(
      client.call(FUNCTION, 'recommend', {}, CONTEXT, {
        fallback: () => {
          fallbackCalls++;
          return null;
        },
      }),
    );
    expect(error.status).toBe(403);
    expect(fallbackCalls).toBe(0);
  });

  it('counts 429 answers as failures (the callee is overloaded)', async () => {
    const { client, store } = setup({ consecutiveFailures: 2 });
    lambdaMock.on(InvokeCommand).resolves(problem(429));
    await failTimes(client, 2);
    expect((await store.get(FUNCTION)).state).toBe('OPEN');
  });

  it('counts function errors and gives the fallback reason "failure"', async () => {
    const { client } = setup();
    lambdaMock.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: encode({}),
    } as unknown as InvokeCommandOutput);
    const reasons: string[] = [];
    const response = await client.call(FUNCTION, 'recommend', {}, CONTEXT, {
      fallback: (reason, error) => {
        reasons.push(`${reason}/${error.reason}`);
        return 'degraded';
      },
    });
    expect(response).toEqual({ status: 200, payload: 'degraded', fallback: 'failure' });
    expect(reasons).toEqual(['failure/function-error']);
  });

  it('gives the fallback reason "timeout" when the breaker time limit expires', async () => {
    const { client, clock } = setup({}, {}, 500);
    let started!: () => void;
    const invoked = new Promise<void>((resolve) => (started = resolve));
    lambdaMock.on(InvokeCommand).callsFake(() => {
      started();
      return new Promise(() => undefined); // never answers
    });
    const pending = client.call(FUNCTION, 'recommend', {}, CONTEXT, {
      fallback: (reason, error) => `${reason}/${error.reason}`,
    });
    await invoked;
    const signal = (lambdaMock.send.getCall(0).args as unknown[])[1] as
      { abortSignal?: AbortSignal } | undefined;
    expect(signal?.abortSignal?.aborted).toBe(false);
    clock.advance(499);
    expect(signal?.abortSignal?.aborted).toBe(false);
    clock.advance(1);
    await expect(pending).resolves.toEqual({
      status: 200,
      payload: 'timeout/timeout',
      fallback: 'timeout',
    });
    expect(signal?.abortSignal?.aborted).toBe(true);
  });

  it('maps an SDK timeout to reason "timeout", and without fallback throws it', async () => {
    const { client } = setup();
    lambdaMock.on(InvokeCommand).rejects(sdkError('TimeoutError'));
    const error = await failure(client.call(FUNCTION, 'recommend', {}, CONTEXT));
    expect(error.reason).toBe('timeout');
  });

  it('names the circuit after the callee service in callService, resolving its function from the environment', async () => {
    const { client, store } = setup();
    lambdaMock.on(InvokeCommand).resolves(problem(503));
    for (let i = 0; i < 3; i++) {
      await client.callService('recommendations', 'recommend', {}, CONTEXT).catch(() => undefined);
    }
    expect(lambdaMock.commandCalls(InvokeCommand)[0].args[0].input.FunctionName).toBe(FUNCTION);
    expect((await store.get('recommendations')).state).toBe('OPEN');
    const refused = await failure(client.callService('recommendations', 'recommend', {}, CONTEXT));
    expect(refused.reason).toBe('circuit-open');
    expect(invocations()).toBe(3);
    // A different circuit on the same function is unaffected.
    await failTimes(client, 1, 'other-circuit');
    expect(invocations()).toBe(4);
  });

  it('lets an explicit circuit option override the service name in callService', async () => {
    const { client, store } = setup();
    lambdaMock.on(InvokeCommand).resolves(problem(503));
    for (let i = 0; i < 3; i++) {
      await client
        .callService('recommendations', 'recommend', {}, CONTEXT, { circuit: 'recs-v2' })
        .catch(() => undefined);
    }
    expect((await store.get('recs-v2')).state).toBe('OPEN');
    expect((await store.get('recommendations')).state).toBe('CLOSED');
  });

  it('fails callService for a service with no SERVICE_<NAME>_FUNCTION_NAME variable', async () => {
    const { client } = setup();
    await expect(async () =>
      client.callService('no-such-service', 'x', {}, CONTEXT),
    ).rejects.toThrow('SERVICE_NO_SUCH_SERVICE_FUNCTION_NAME');
    expect(invocations()).toBe(0);
  });

  it('flush() writes no healthy outcomes, and the successes kept back once the fleet has failures', async () => {
    const { client, store } = setup({ consecutiveFailures: 10, flushIntervalMs: 1000 });
    await expect(client.flush()).resolves.toBeUndefined(); // no circuits yet
    lambdaMock.on(InvokeCommand).resolves(ok());
    await client.call(FUNCTION, 'recommend', {}, CONTEXT);
    await client.flush(); // healthy: nothing to tell the fleet
    expect((await store.get(FUNCTION)).version).toBe(0);
    expect((await store.get(FUNCTION)).calls).toBe(0);

    lambdaMock.on(InvokeCommand).resolves(problem(503));
    await failTimes(client, 1); // a failure is written before the call returns
    expect((await store.get(FUNCTION)).calls).toBe(2);
    lambdaMock.on(InvokeCommand).resolves(ok());
    await client.call(FUNCTION, 'recommend', {}, CONTEXT); // within the flush interval: kept back
    expect((await store.get(FUNCTION)).calls).toBe(2);
    await client.flush(); // the window holds a failure: the success now weighs in
    expect(await store.get(FUNCTION)).toMatchObject({ calls: 3, failures: 1, streak: 0 });
  });
});

describe('ServiceClient with resilience — retries', () => {
  it('retries an idempotent call once after a 503, waiting floor(random * base)', async () => {
    const { client, delays } = setup({}, { random: () => 0.5 });
    lambdaMock
      .on(InvokeCommand)
      .resolvesOnce(problem(503))
      .resolves(ok({ ids: ['b-2'] }));
    const response = await client.call(FUNCTION, 'recommend', {}, CONTEXT, { idempotent: true });
    expect(response).toEqual({ status: 200, payload: { ids: ['b-2'] } });
    expect(invocations()).toBe(2);
    expect(delays).toEqual([25]); // floor(0.5 * 50 * 2^0)
  });

  it('doubles the jitter ceiling per attempt and stops after maxRetries', async () => {
    const { client, delays } = setup(
      { consecutiveFailures: 10 },
      { random: () => 0.73, retryBaseDelayMs: 100, maxRetries: 2 },
    );
    lambdaMock.on(InvokeCommand).resolves(problem(503));
    const error = await failure(
      client.call(FUNCTION, 'recommend', {}, CONTEXT, { idempotent: true }),
    );
    expect(error.reason).toBe('status');
    expect(error.status).toBe(503);
    expect(invocations()).toBe(3);
    expect(delays).toEqual([73, 146]); // floor(0.73*100), floor(0.73*200)
  });

  it('retries an idempotent call after a 429 answer', async () => {
    const { client, delays } = setup({}, { random: () => 0 });
    lambdaMock.on(InvokeCommand).resolvesOnce(problem(429)).resolves(ok());
    await expect(
      client.call(FUNCTION, 'recommend', {}, CONTEXT, { idempotent: true }),
    ).resolves.toMatchObject({ status: 200 });
    expect(invocations()).toBe(2);
    expect(delays).toEqual([0]);
  });

  it.each([
    ['a transport error without status', sdkError('ECONNRESET')],
    ['a throttled invoke (429)', sdkError('TooManyRequestsException', 429)],
    ['a Lambda service error (5xx)', sdkError('ServiceException', 500)],
  ])('retries an idempotent call after %s', async (_what, error) => {
    const { client, delays } = setup();
    lambdaMock.on(InvokeCommand).rejectsOnce(error).resolves(ok());
    await expect(
      client.call(FUNCTION, 'recommend', {}, CONTEXT, { idempotent: true }),
    ).resolves.toMatchObject({ status: 200 });
    expect(invocations()).toBe(2);
    expect(delays).toHaveLength(1);
  });

  it('does not retry a plain 500 answer even when idempotent', async () => {
    const { client, delays } = setup();
    lambdaMock.on(InvokeCommand).resolvesOnce(problem(500)).resolves(ok());
    const error = await failure(
      client.call(FUNCTION, 'recommend', {}, CONTEXT, { idempotent: true }),
    );
    expect(error.status).toBe(500);
    expect(invocations()).toBe(1);
    expect(delays).toEqual([]);
  });

  it('does not retry a timeout even when idempotent', async () => {
    const { client, delays } = setup();
    lambdaMock.on(InvokeCommand).rejectsOnce(sdkError('TimeoutError')).resolves(ok());
    const response = await client.call(FUNCTION, 'recommend', {}, CONTEXT, {
      idempotent: true,
      fallback: (reason) => reason,
    });
    expect(response).toEqual({ status: 200, payload: 'timeout', fallback: 'timeout' });
    expect(invocations()).toBe(1);
    expect(delays).toEqual([]);
  });

  it('does not retry a 4xx transport error (the request itself is wrong)', async () => {
    const { client, delays } = setup();
    lambdaMock.on(InvokeCommand).rejectsOnce(sdkError('InvalidParameterValueException', 400));
    const error = await failure(
      client.call(FUNCTION, 'recommend', {}, CONTEXT, { idempotent: true }),
    );
    expect(error.reason).toBe('transport');
    expect(error.status).toBe(400);
    expect(invocations()).toBe(1);
    expect(delays).toEqual([]);
  });

  it('does not retry a non-idempotent call after a 503', async () => {
    const { client, delays } = setup();
    lambdaMock.on(InvokeCommand).resolvesOnce(problem(503)).resolves(ok());
    const error = await failure(client.call(FUNCTION, 'recommend', {}, CONTEXT));
    expect(error.status).toBe(503);
    expect(invocations()).toBe(1);
    expect(delays).toEqual([]);
  });

  it('hands the last failure to the fallback after the retries are spent', async () => {
    const { client } = setup({ consecutiveFailures: 10 });
    lambdaMock.on(InvokeCommand).resolves(problem(503));
    const response = await client.call(FUNCTION, 'recommend', {}, CONTEXT, {
      idempotent: true,
      fallback: (reason, error) => `${reason}/${error.status}`,
    });
    expect(response).toEqual({ status: 200, payload: 'failure/503', fallback: 'failure' });
    expect(invocations()).toBe(2);
  });

  it('stops retrying when the circuit opens between attempts', async () => {
    const { client, delays } = setup({ consecutiveFailures: 1 }, { maxRetries: 3 });
    lambdaMock.on(InvokeCommand).resolves(problem(503));
    const error = await failure(
      client.call(FUNCTION, 'recommend', {}, CONTEXT, { idempotent: true }),
    );
    expect(error.reason).toBe('circuit-open');
    expect(invocations()).toBe(1);
    expect(delays).toHaveLength(1);
  });
});

describe('createServiceRuntime', () => {
  it('builds a fault injector when RESILIENCE_TABLE_NAME is set', () => {
    const runtime = createServiceRuntime(
      'reading-list',
      {},
      {
        RESILIENCE_TABLE_NAME: 'shop-resilience',
        AWS_REGION: 'eu-west-1',
      },
    );
    expect(runtime.serviceName).toBe('reading-list');
    expect(runtime.faults).toBeDefined();
  });

  it('reads the CIRCUIT_* settings when it has a resilience table, failing on a bad one', () => {
    expect(() =>
      createServiceRuntime(
        'reading-list',
        {},
        {
          RESILIENCE_TABLE_NAME: 'shop-resilience',
          AWS_REGION: 'eu-west-1',
          CIRCUIT_MINIMUM_CALLS: 'many',
        },
      ),
    ).toThrow('CIRCUIT_MINIMUM_CALLS');
  });

  it('builds no fault injector without RESILIENCE_TABLE_NAME', () => {
    const runtime = createServiceRuntime('reading-list', {}, { AWS_REGION: 'eu-west-1' });
    expect(runtime.faults).toBeUndefined();
    expect(runtime.services).toBeInstanceOf(ServiceClient);
  });

  it('fails on a bad CIRCUIT_CALL_TIMEOUT_MS even without a breaker: it is the calls time limit', () => {
    expect(() =>
      createServiceRuntime(
        'reading-list',
        {},
        { AWS_REGION: 'eu-west-1', CIRCUIT_CALL_TIMEOUT_MS: 'soon' },
      ),
    ).toThrow("CIRCUIT_CALL_TIMEOUT_MS: callTimeoutMs must be a non-negative number, got 'soon'");
  });
});
