import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalLambdaApi } from '../../../localstack/platform/lambda-api';
import type { LocalFunction } from '../../../localstack/platform/lambda-runtime';
import { rawRequest } from '../../support/raw-http';

/** A stand-in for the Lambda runtime: the API's request handling is under test. */
const echo = {
  definition: { arn: 'arn:aws:lambda:us-east-1:123456789012:function:echo' },
  invoke: async (event: unknown) => ({ payload: event }),
} as unknown as LocalFunction;

const lambdaApi = new LocalLambdaApi(new Map([['echo', echo]]), () => true);
let base: string;
let port: number;

beforeAll(async () => {
  base = await lambdaApi.listen(0);
  port = Number(new URL(base).port);
});

afterAll(() => lambdaApi.close());

async function invoke(
  name: string,
  init: { query?: string; headers?: Record<string, string> } = {},
) {
  const response = await fetch(
    `${base}/2015-03-31/functions/${name}/invocations${init.query ?? ''}`,
    { method: 'POST', headers: init.headers, body: '{"a":1}' },
  );
  return {
    status: response.status,
    errorType: response.headers.get('x-amzn-errortype'),
    body: (await response.json()) as Record<string, unknown>,
  };
}

describe('local Lambda API — bad requests are 4xx in Lambda’s error shape', () => {
  it('answers malformed percent-encoding in the function name with 400 ValidationException', async () => {
    const answer = await invoke('%ZZ');
    expect(answer.status).toBe(400);
    expect(answer.errorType).toBe('ValidationException');
    expect(answer.body).toMatchObject({ Type: 'User' });
    expect(String(answer.body.message)).toMatch(/at 'functionName' failed to satisfy constraint/);
  });

  it.each(['bad%20name', 'a%2Fb', 'x'.repeat(171), '%00'])(
    'answers a function name outside Lambda’s pattern (%s) with 400',
    async (name) => {
      const answer = await invoke(name);
      expect(answer).toMatchObject({ status: 400, errorType: 'ValidationException' });
    },
  );

  it('answers a bad qualifier and an unknown invocation type with 400', async () => {
    expect(await invoke('echo', { query: '?Qualifier=%25' })).toMatchObject({
      status: 400,
      errorType: 'ValidationException',
    });
    expect(
      await invoke('echo', { headers: { 'x-amz-invocation-type': 'Sometimes' } }),
    ).toMatchObject({ status: 400, errorType: 'ValidationException' });
  });

  it('still finds a function by name, partial or full ARN, and 404s an unknown one', async () => {
    expect(await invoke('echo')).toMatchObject({ status: 200, body: { a: 1 } });
    expect(await invoke('123456789012%3Afunction%3Aecho')).toMatchObject({ status: 200 });
    expect(await invoke(encodeURIComponent(echo.definition.arn))).toMatchObject({ status: 200 });
    expect(await invoke('nothing')).toMatchObject({
      status: 404,
      errorType: 'ResourceNotFoundException',
    });
  });

  it('answers what the HTTP parser refuses with a problem, not a bare status', async () => {
    for (const request of [
      'post /2015-03-31/functions/echo/invocations HTTP/1.1\r\nHost: x\r\n\r\n',
      'POST /2015-03-31/functions/e\0cho/invocations HTTP/1.1\r\nHost: x\r\n\r\n',
      'CONNECT x:1 HTTP/1.1\r\nHost: x\r\n\r\n',
    ]) {
      const response = await rawRequest(port, request);
      expect(response?.status).toBe(400);
      expect(response?.headers['content-type']).toBe('application/problem+json');
    }
  });
});
