import { InvokeCommand, LambdaClient, type InvokeCommandOutput } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createInstanceProber } from '../../../../functions/platform/control-loop/probe';
import { ManualClock } from '../../../../functions/runtime/resilience/clock';
import { INTERNAL_REQUEST_TYPE } from '../../../../functions/runtime/service/internal-request';

const lambda = new LambdaClient({
  region: 'eu-west-1',
  credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
});
const lambdaMock = mockClient(lambda);

const answer = (payload: unknown, extra: Partial<InvokeCommandOutput> = {}) =>
  ({
    StatusCode: 200,
    Payload: new TextEncoder().encode(
      typeof payload === 'string' ? payload : JSON.stringify(payload),
    ),
    ...extra,
  }) as unknown as InvokeCommandOutput;

const report = (status: 'UP' | 'DOWN', components: Record<string, { status: string }> = {}) => ({
  status,
  service: 'orders',
  version: '1.0.0',
  components,
});

let clock: ManualClock;
const prober = (timeoutMs = 1000, attempts = 2) =>
  createInstanceProber({ lambda, clock, timeoutMs, attempts, newCorrelationId: () => 'probe-1' });

/** An invocation that never answers; it moves the fake clock past the probe's limit instead. */
const hangs = (ms: number) => () => {
  clock.advance(ms);
  return new Promise<never>(() => undefined);
};

beforeEach(() => {
  lambdaMock.reset();
  clock = new ManualClock();
});

describe('createInstanceProber', () => {
  it('invokes the function with the internal health request, on nobody’s behalf', async () => {
    lambdaMock.on(InvokeCommand).resolves(answer({ status: 200, payload: report('UP') }));
    expect(await prober()('orders-fn')).toEqual({ status: 'UP', reason: 'UP' });
    const input = lambdaMock.commandCalls(InvokeCommand)[0].args[0].input;
    expect(input).toMatchObject({ FunctionName: 'orders-fn', InvocationType: 'RequestResponse' });
    expect(JSON.parse(new TextDecoder().decode(input.Payload as Uint8Array))).toEqual({
      type: INTERNAL_REQUEST_TYPE,
      source: 'control-loop',
      operation: 'health',
      correlationId: 'probe-1',
      payload: {},
    });
    expect(clock.pendingTimers).toBe(0);
  });

  it.each([
    [
      'a DOWN report with status 200',
      answer({
        status: 200,
        payload: report('DOWN', { table: { status: 'DOWN' }, config: { status: 'UP' } }),
      }),
      'reported DOWN: table',
    ],
    [
      'a DOWN report with status 503',
      answer({
        status: 503,
        payload: report('DOWN', { table: { status: 'DOWN' }, keys: { status: 'DOWN' } }),
      }),
      'reported DOWN: keys, table',
    ],
    [
      'a DOWN report without components',
      answer({ status: 503, payload: { status: 'DOWN' } }),
      'reported DOWN',
    ],
    [
      'a refusal',
      answer({ status: 401, problem: { title: 'Unauthorized', status: 401 } }),
      'answered 401 Unauthorized',
    ],
    ['a bare 503', answer({ status: 503 }), 'answered 503'],
    [
      'a 200 without a report',
      answer({ status: 200, payload: { ok: true } }),
      'invalid answer: no health report',
    ],
    [
      'a function error',
      answer({ errorMessage: 'boom' }, { FunctionError: 'Unhandled' }),
      'function error (Unhandled)',
    ],
    ['an answer that is not JSON', answer('<html>'), 'invalid answer: not an internal response'],
    [
      'an answer of another shape',
      answer({ statusCode: 200, body: '{}' }),
      'invalid answer: not an internal response',
    ],
  ])('treats %s as DOWN, without retrying', async (_, output, reason) => {
    lambdaMock.on(InvokeCommand).resolves(output);
    expect(await prober()('orders-fn')).toEqual({ status: 'DOWN', reason });
    expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(1);
  });

  it('is DOWN when every attempt times out', async () => {
    lambdaMock.on(InvokeCommand).callsFake(hangs(1000));
    expect(await prober(1000, 2)('orders-fn')).toEqual({
      status: 'DOWN',
      reason: 'no answer within 1000 ms',
    });
    expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(2);
    // The SDK call is aborted too, so that a hung connection is not left open.
    const options = lambdaMock.send.getCall(0).args as unknown[];
    expect((options[1] as { abortSignal: AbortSignal }).abortSignal.aborted).toBe(true);
  });

  it('does not time out an answer that comes just in time', async () => {
    lambdaMock.on(InvokeCommand).callsFake(() => {
      clock.advance(999);
      return Promise.resolve(answer({ status: 200, payload: report('UP') }));
    });
    expect(await prober(1000, 1)('orders-fn')).toEqual({ status: 'UP', reason: 'UP' });
  });

  it('gives a cold start a second chance', async () => {
    lambdaMock
      .on(InvokeCommand)
      .callsFakeOnce(hangs(1000))
      .resolves(answer({ status: 200, payload: report('UP') }));
    expect(await prober(1000, 2)('orders-fn')).toEqual({ status: 'UP', reason: 'UP' });
    expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(2);
  });

  it('retries a transport error but not a 4xx from the Lambda API', async () => {
    lambdaMock
      .on(InvokeCommand, { FunctionName: 'flaky' })
      .rejectsOnce(Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }))
      .resolves(answer({ status: 200, payload: report('UP') }))
      .on(InvokeCommand, { FunctionName: 'gone' })
      .rejects(
        Object.assign(new Error('Function not found'), {
          name: 'ResourceNotFoundException',
          $metadata: { httpStatusCode: 404 },
        }),
      );
    expect(await prober()('flaky')).toEqual({ status: 'UP', reason: 'UP' });
    expect(await prober()('gone')).toEqual({
      status: 'DOWN',
      reason: 'invoke failed: ResourceNotFoundException',
    });
    expect(lambdaMock.commandCalls(InvokeCommand, { FunctionName: 'gone' })).toHaveLength(1);
  });
});
