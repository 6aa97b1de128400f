import { InvokeCommand, LambdaClient, type InvokeCommandOutput } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  INTERNAL_REQUEST_TYPE,
  type InternalRequest,
} from '../../../../functions/runtime/service/internal-request';
import {
  ServiceCallError,
  ServiceClient,
} from '../../../../functions/runtime/service/service-client';

const FUNCTION = 'shop-Recommendations-abc123';
const CALLER = { sub: 'user-1', clientId: 'reader', scopes: ['reading-list/read'] };

const lambda = new LambdaClient({
  region: 'eu-west-1',
  credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
});
const lambdaMock = mockClient(lambda);

/** The options (second argument) of the n-th `send`; the mock's typings only know the command. */
const sendOptions = (call: number) =>
  (lambdaMock.send.getCall(call).args as unknown[])[1] as { abortSignal?: AbortSignal } | undefined;

const encode = (value: unknown) =>
  new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));
const answer = (payload: unknown, extra: Partial<InvokeCommandOutput> = {}) =>
  ({ StatusCode: 200, Payload: encode(payload), ...extra }) as unknown as InvokeCommandOutput;

function sentRequest(index = 0): InternalRequest {
  const input = lambdaMock.commandCalls(InvokeCommand)[index].args[0].input;
  return JSON.parse(new TextDecoder().decode(input.Payload as Uint8Array)) as InternalRequest;
}

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

let client: ServiceClient;
const savedTrace = process.env._X_AMZN_TRACE_ID;

beforeEach(() => {
  lambdaMock.reset();
  delete process.env._X_AMZN_TRACE_ID;
  client = new ServiceClient({ source: 'reading-list', timeoutMs: 20, lambda });
});

afterEach(() => {
  if (savedTrace === undefined) delete process.env._X_AMZN_TRACE_ID;
  else process.env._X_AMZN_TRACE_ID = savedTrace;
});

describe('ServiceClient', () => {
  it('invokes the function synchronously with the internal request envelope', async () => {
    lambdaMock
      .on(InvokeCommand)
      .resolves(answer({ status: 200, payload: { recommendations: ['ddd'] } }));
    const response = await client.call<{ recommendations: string[] }>(
      FUNCTION,
      'recommend',
      { userId: 'user-1', readBookIds: [] },
      { correlationId: 'corr-1', caller: CALLER, traceHeader: 'Root=1-abc;Parent=def;Sampled=1' },
    );
    expect(response).toEqual({ status: 200, payload: { recommendations: ['ddd'] } });
    const call = lambdaMock.commandCalls(InvokeCommand)[0];
    expect(call.args[0].input).toMatchObject({
      FunctionName: FUNCTION,
      InvocationType: 'RequestResponse',
    });
    expect(sentRequest()).toEqual({
      type: INTERNAL_REQUEST_TYPE,
      source: 'reading-list',
      operation: 'recommend',
      correlationId: 'corr-1',
      traceHeader: 'Root=1-abc;Parent=def;Sampled=1',
      caller: CALLER,
      payload: { userId: 'user-1', readBookIds: [] },
    });
  });

  it('passes an abort signal to the SDK so that the call has a hard time limit', async () => {
    lambdaMock.on(InvokeCommand).resolves(answer({ status: 200 }));
    await client.call(FUNCTION, 'op', null, { correlationId: 'c' });
    expect(sendOptions(0)?.abortSignal).toBeInstanceOf(AbortSignal);
  });

  it('falls back to the Lambda trace header of the environment and omits an absent caller', async () => {
    process.env._X_AMZN_TRACE_ID = 'Root=1-env;Parent=p;Sampled=0';
    lambdaMock.on(InvokeCommand).resolves(answer({ status: 204 }));
    const response = await client.call(FUNCTION, 'ping', undefined, { correlationId: 'corr-2' });
    expect(response.status).toBe(204);
    const request = sentRequest();
    expect(request.traceHeader).toBe('Root=1-env;Parent=p;Sampled=0');
    expect(request.caller).toBeUndefined();
  });

  it("fails with reason 'function-error' when the function itself failed", async () => {
    lambdaMock
      .on(InvokeCommand)
      .resolves(answer({ errorMessage: 'boom' }, { FunctionError: 'Unhandled' }));
    const error = await failure(client.call(FUNCTION, 'op', null, { correlationId: 'c' }));
    expect(error.reason).toBe('function-error');
    expect(error.target).toBe(FUNCTION);
    expect(error.message).toBe(`${FUNCTION}: function error (Unhandled)`);
  });

  it("fails with reason 'status' and the status when the callee answers >= 400", async () => {
    lambdaMock.on(InvokeCommand).resolves(
      answer({
        status: 404,
        problem: { title: 'Not Found', status: 404, detail: 'No such operation.' },
      }),
    );
    const error = await failure(client.call(FUNCTION, 'nope', null, { correlationId: 'c' }));
    expect(error.reason).toBe('status');
    expect(error.status).toBe(404);
    expect(error.message).toContain('answered 404: No such operation.');
  });

  it("fails with reason 'status' on a 500 without a problem detail", async () => {
    lambdaMock.on(InvokeCommand).resolves(answer({ status: 500 }));
    const error = await failure(client.call(FUNCTION, 'op', null, { correlationId: 'c' }));
    expect(error).toMatchObject({ reason: 'status', status: 500 });
    expect(error.message).toBe(`${FUNCTION}: answered 500`);
  });

  it.each([
    ['a non-JSON payload', answer('<html>oops</html>')],
    ['a JSON payload that is not an internal response', answer({ hello: 'world' })],
    ['an out-of-range status', answer({ status: 42 })],
    ['no payload at all', { StatusCode: 200 } as InvokeCommandOutput],
  ])("fails with reason 'invalid-response' on %s", async (_what, output) => {
    lambdaMock.on(InvokeCommand).resolves(output);
    const error = await failure(client.call(FUNCTION, 'op', null, { correlationId: 'c' }));
    expect(error.reason).toBe('invalid-response');
    expect(error.status).toBeUndefined();
  });

  it("fails with reason 'timeout' when the callee does not answer within timeoutMs", async () => {
    lambdaMock.on(InvokeCommand).callsFake(() => {
      // Like the SDK: the request only ends when its abort signal fires.
      const abortSignal = sendOptions(lambdaMock.send.callCount - 1)!.abortSignal!;
      return new Promise((_resolve, reject) => {
        abortSignal.addEventListener('abort', () => reject(abortSignal.reason), { once: true });
      });
    });
    const error = await failure(client.call(FUNCTION, 'op', null, { correlationId: 'c' }));
    expect(error.reason).toBe('timeout');
    expect(error.message).toBe(`${FUNCTION}: no answer within 20 ms`);
    expect((error.cause as Error).name).toBe('TimeoutError');
  });

  it.each(['AbortError', 'RequestTimeout'])("classifies an SDK %s as 'timeout'", async (name) => {
    const sdkError = Object.assign(new Error('aborted'), { name });
    lambdaMock.on(InvokeCommand).rejects(sdkError);
    expect((await failure(client.call(FUNCTION, 'op', null, { correlationId: 'c' }))).reason).toBe(
      'timeout',
    );
  });

  it("fails with reason 'transport' when the invocation itself fails", async () => {
    const denied = Object.assign(
      new Error('User is not authorized to perform lambda:InvokeFunction'),
      {
        name: 'AccessDeniedException',
      },
    );
    lambdaMock.on(InvokeCommand).rejects(denied);
    const error = await failure(client.call(FUNCTION, 'op', null, { correlationId: 'c' }));
    expect(error.reason).toBe('transport');
    expect(error.message).toBe(
      `${FUNCTION}: AccessDeniedException: User is not authorized to perform lambda:InvokeFunction`,
    );
    expect(error.cause).toBe(denied);
  });

  it('makes exactly one attempt per call (retries belong to the caller)', async () => {
    lambdaMock.on(InvokeCommand).rejects(Object.assign(new Error('reset'), { name: 'ECONNRESET' }));
    await failure(client.call(FUNCTION, 'op', null, { correlationId: 'c' }));
    expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(1);
  });

  it('builds its own single-attempt client when none is given', async () => {
    const own = new ServiceClient({ source: 'reading-list' });
    expect(own.client).toBeInstanceOf(LambdaClient);
    expect(await own.client.config.maxAttempts()).toBe(1);
  });

  it('exposes the client it was given (for tracer instrumentation)', () => {
    expect(client.client).toBe(lambda);
  });
});
