import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { defaultGatewayProblems, problemTemplate } from '../../../lib/gateway/problem-responses';
import type { InvocationResult, LocalFunction } from '../../../localstack/platform/lambda-runtime';
import { LocalGateway } from '../../../localstack/platform/local-gateway';
import { LocalRequestAuthorizer } from '../../../localstack/platform/request-authorizer';
import type {
  GatewayResponseDefinition,
  RestApiModel,
  RouteDefinition,
} from '../../../localstack/platform/rest-api-model';
import { rawRequest } from '../../support/raw-http';

const ACCOUNT = '123456789012';
const BASE_ARN = `arn:aws:execute-api:us-east-1:${ACCOUNT}:api1/dev`;

const route = (method: string, resourcePath: string, custom = false): RouteDefinition => ({
  method,
  resourcePath,
  resourceLogicalId: resourcePath,
  functionLogicalId: 'Fn',
  authorizationType: custom ? 'CUSTOM' : 'NONE',
  authorizerLogicalId: custom ? 'Auth' : undefined,
});

const api: RestApiModel = {
  logicalId: 'Api',
  stageName: 'dev',
  routes: [
    route('GET', '/books/health'),
    route('GET', '/books', true),
    route('POST', '/books', true),
    route('GET', '/admin/circuits', true),
  ],
  authorizers: new Map(),
  gatewayResponses: new Map<string, GatewayResponseDefinition>(
    defaultGatewayProblems('demo').map((problem) => [
      problem.type.responseType,
      {
        responseType: problem.type.responseType,
        statusCode: problem.status,
        headers: { 'Content-Type': 'application/problem+json', ...problem.headers },
        template: problemTemplate(problem),
      },
    ]),
  ),
};

/** What the function answers next; by default it echoes the event it got. */
let answer: ((event: unknown) => InvocationResult) | undefined;
const methodArns: string[] = [];

/** A stand-in for the Lambda runtime: the gateway is under test, not the functions. */
const fn = {
  invoke: async (event: unknown): Promise<InvocationResult> =>
    answer
      ? answer(event)
      : { payload: { statusCode: 200, headers: {}, body: JSON.stringify(event) } },
} as unknown as LocalFunction;

/** Allows `GET /books` and `GET /admin/circuits` for token `good`, nothing for `other`. */
const authorizer = new LocalRequestAuthorizer(
  {
    logicalId: 'Auth',
    type: 'REQUEST',
    identitySource: 'method.request.header.Authorization',
    resultTtlSeconds: 0,
  },
  async (event: APIGatewayRequestAuthorizerEvent) => {
    methodArns.push(event.methodArn);
    const allowed = event.headers?.authorization === 'Bearer good';
    return {
      payload: {
        principalId: 'client',
        policyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: allowed ? 'Allow' : 'Deny',
              Action: 'execute-api:Invoke',
              Resource: [`${BASE_ARN}/GET/books`, `${BASE_ARN}/GET/admin/circuits`],
            },
          ],
        },
        context: { scope: 'books/read' },
      },
    };
  },
);

const gateway = new LocalGateway();
let base: string;
let port: number;

beforeAll(async () => {
  base = await gateway.listen(0);
  port = Number(new URL(base).port);
  gateway.serve({
    api,
    apiContext: { apiId: 'api1', stage: 'dev', accountId: ACCOUNT },
    region: 'us-east-1',
    functions: new Map([['Fn', fn]]),
    authorizers: new Map([['Auth', authorizer]]),
  });
});

afterAll(() => gateway.close());

beforeEach(() => {
  answer = undefined;
  methodArns.length = 0;
});

const good = { authorization: 'Bearer good' };

async function problemOf(response: Response) {
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  return (await response.json()) as Record<string, unknown>;
}

describe('local gateway — request input as map keys', () => {
  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'])(
    'passes a query key named %s to the function instead of failing',
    async (name) => {
      const response = await fetch(`${base}/books/health?${name}=x&${name}=y`);
      expect(response.status).toBe(200);
      const event = (await response.json()) as {
        queryStringParameters: Record<string, string>;
        multiValueQueryStringParameters: Record<string, string[]>;
      };
      expect(event.queryStringParameters[name]).toBe('y');
      expect(event.multiValueQueryStringParameters[name]).toEqual(['x', 'y']);
    },
  );
});

describe('local gateway — problem bodies are serialized, never assembled', () => {
  it('answers valid JSON with no injected member when the path holds quotes', async () => {
    const response = await rawRequest(
      port,
      'GET /nowhere%22,%22title%22:%22injected HTTP/1.1\r\nHost: x\r\n\r\n',
    );
    expect(response?.status).toBe(404);
    const body = JSON.parse(response!.body) as Record<string, unknown>;
    expect(body.title).toBe('Not Found');
    expect(Object.keys(body)).toEqual(['type', 'title', 'status', 'detail', 'requestId']);
  });

  it('answers valid JSON whatever the query holds', async () => {
    const response = await fetch(
      `${base}/nowhere?x=%22,%22title%22:%22injected%22,%22y%22:%22&z=\\`,
    );
    expect(response.status).toBe(404);
    expect(await problemOf(response)).toEqual({
      type: 'about:blank',
      title: 'Not Found',
      status: 404,
      detail: expect.any(String),
      requestId: expect.any(String),
    });
  });

  it('answers 502 with a problem when the function returns a header Node cannot write', async () => {
    answer = () => ({ payload: { statusCode: 200, headers: { 'x-bad': 'a\r\nb' }, body: '' } });
    const response = await fetch(`${base}/books/health`);
    expect(response.status).toBe(502);
    expect(await problemOf(response)).toMatchObject({ title: 'Bad Gateway' });
  });

  it('answers 502 to a status code outside 100-599 or malformed multi-value headers', async () => {
    answer = () => ({ payload: { statusCode: 42, body: '' } });
    expect((await fetch(`${base}/books/health`)).status).toBe(502);
    answer = () => ({ payload: { statusCode: 200, multiValueHeaders: { a: 'b' }, body: '' } });
    expect((await fetch(`${base}/books/health`)).status).toBe(502);
  });
});

describe('local gateway — paths normalized as API Gateway does', () => {
  it('routes a trailing slash to the resource and authorizes it under the normalized ARN', async () => {
    const response = await fetch(`${base}/books/?userId=x`, { headers: good });
    expect(response.status).toBe(200);
    expect(methodArns).toEqual([`${BASE_ARN}/GET/books`]);
    expect(((await response.json()) as { path: string }).path).toBe('/books');
  });

  it('decodes a percent-encoded path before matching and authorizing', async () => {
    const response = await fetch(`${base}/admin/%63ircuits`, { headers: good });
    expect(response.status).toBe(200);
    expect(methodArns).toEqual([`${BASE_ARN}/GET/admin/circuits`]);
  });

  it.each([[{}], [good], [{ authorization: 'Bearer other' }]])(
    'answers an unknown route 404 whatever the token (%o), without asking the authorizer',
    async (headers) => {
      for (const path of ['/admin/nothing', '/books/x/y', '/books//health']) {
        const response = await fetch(`${base}${path}`, { headers });
        expect(response.status).toBe(404);
        expect(await problemOf(response)).toMatchObject({ status: 404 });
      }
      expect(methodArns).toEqual([]);
    },
  );

  it('answers a path with malformed percent-encoding 400', async () => {
    const response = await fetch(`${base}/books/%ZZ`, { headers: good });
    expect(response.status).toBe(400);
    expect(await problemOf(response)).toMatchObject({
      detail: 'The request path is not valid percent-encoding.',
    });
  });
});

describe('local gateway — oversized bodies', () => {
  it('answers 413 to a body over 10 MB, and keeps the connection usable for the answer', async () => {
    const response = await fetch(`${base}/books`, {
      method: 'POST',
      headers: { ...good, 'content-type': 'application/json' },
      body: Buffer.alloc(10 * 1024 * 1024 + 1, 0x20),
    });
    expect(response.status).toBe(413);
    expect(await problemOf(response)).toMatchObject({ title: 'Content Too Large' });
  });

  it('answers 413 to a body the function could not be invoked with (Lambda’s 6 MB)', async () => {
    const response = await fetch(`${base}/books`, {
      method: 'POST',
      headers: { ...good, 'content-type': 'application/octet-stream' },
      body: Buffer.alloc(5 * 1024 * 1024, 1),
    });
    expect(response.status).toBe(413);
    expect(methodArns).toEqual([]);
  });
});

describe('local gateway — what the HTTP parser refuses gets a problem too', () => {
  it.each([
    ['a lower-case method', 'get /books HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ['an unknown method', 'FROB /books HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ['NUL in the path', 'GET /bo\0oks HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ['raw UTF-8 in the path', 'GET /bücher HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ['a malformed header', 'GET /books HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n', 400],
    [
      'Content-Length with Transfer-Encoding',
      'POST /books HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      400,
    ],
    [
      'a malformed chunk',
      'POST /books HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      400,
    ],
    [
      'headers over 16 KB',
      `GET /books HTTP/1.1\r\nHost: x\r\nX: ${'a'.repeat(20_000)}\r\n\r\n`,
      431,
    ],
    ['a bogus Expect', 'GET /books HTTP/1.1\r\nHost: x\r\nExpect: bogus\r\n\r\n', 417],
    ['CONNECT', 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com\r\n\r\n', 400],
    ['no Host header', 'GET /books/health HTTP/1.1\r\n\r\n', 400],
    ['two Host headers', 'GET /books/health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', 400],
    ['an asterisk target', 'OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n', 400],
  ])('answers %s with a %i problem', async (_what, request, status) => {
    const response = await rawRequest(port, request);
    expect(response?.status).toBe(status);
    expect(response?.headers['content-type']).toBe('application/problem+json');
    const body = JSON.parse(response!.body) as Record<string, unknown>;
    expect(body).toMatchObject({ type: 'about:blank', status });
    expect(typeof body.detail).toBe('string');
  });
});
