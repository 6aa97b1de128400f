import { describe, expect, it } from 'vitest';
import { buildProxyEvent } from '../../../localstack/platform/proxy-event';

const match = {
  route: {
    method: 'POST',
    resourcePath: '/books/{id}',
    resourceLogicalId: 'BooksId',
    authorizationType: 'NONE',
  },
  pathParameters: { id: '7' },
};
const api = { apiId: 'abc', stage: 'dev', accountId: '123456789012', domainName: '127.0.0.1:3000' };

describe('building the REST (v1) proxy event', () => {
  it('carries resource, path, parameters, headers and request context as API Gateway does', () => {
    const event = buildProxyEvent(
      {
        method: 'POST',
        path: '/books/7',
        query: new URLSearchParams('a=1&a=2&b=x'),
        headers: { 'content-type': 'application/json', 'x-correlation-id': 'c-1' },
        body: Buffer.from('{"x":1}'),
        sourceIp: '127.0.0.1',
        requestId: 'r-1',
        now: new Date('2026-11-22T06:50:00Z'),
      },
      match,
      api,
    );
    expect(event).toMatchObject({
      resource: '/books/{id}',
      path: '/books/7',
      httpMethod: 'POST',
      pathParameters: { id: '7' },
      queryStringParameters: { a: '2', b: 'x' },
      multiValueQueryStringParameters: { a: ['1', '2'], b: ['x'] },
      headers: { 'x-correlation-id': 'c-1' },
      body: '{"x":1}',
      isBase64Encoded: false,
      requestContext: {
        stage: 'dev',
        requestId: 'r-1',
        resourcePath: '/books/{id}',
        requestTime: '22/Nov/2026:06:50:00 +0000',
        requestTimeEpoch: Date.parse('2026-11-22T06:50:00Z'),
        identity: { sourceIp: '127.0.0.1' },
      },
    });
  });

  it('sends binary bodies base64-encoded and empty ones as null', () => {
    const base = {
      method: 'POST',
      path: '/books/7',
      query: new URLSearchParams(),
      sourceIp: '127.0.0.1',
    };
    const binary = buildProxyEvent(
      { ...base, headers: { 'content-type': 'image/png' }, body: Buffer.from([1, 2, 3]) },
      match,
      api,
    );
    expect(binary).toMatchObject({ body: 'AQID', isBase64Encoded: true });
    const empty = buildProxyEvent({ ...base, headers: {}, body: Buffer.alloc(0) }, match, api);
    expect(empty).toMatchObject({
      body: null,
      isBase64Encoded: false,
      queryStringParameters: null,
    });
  });

  it('builds query and header maps with no prototype, so built-in names are plain keys', () => {
    const names = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];
    const event = buildProxyEvent(
      {
        method: 'GET',
        path: '/books/7',
        query: new URLSearchParams(names.flatMap((name) => [`${name}=a`, `${name}=b`]).join('&')),
        headers: { constructor: 'x', tostring: ['y', 'z'] },
        body: Buffer.alloc(0),
        sourceIp: '127.0.0.1',
      },
      match,
      api,
    );
    for (const name of names) {
      expect(Object.hasOwn(event.queryStringParameters!, name)).toBe(true);
      expect(event.queryStringParameters![name]).toBe('b');
      expect(event.multiValueQueryStringParameters![name]).toEqual(['a', 'b']);
    }
    expect(Object.getPrototypeOf(event.queryStringParameters)).toBeNull();
    expect(Object.getPrototypeOf(event.headers)).toBeNull();
    expect(event.headers.constructor).toBe('x');
    expect(event.multiValueHeaders.tostring).toEqual(['y', 'z']);
    // What the function receives is the JSON of it: the keys survive as data.
    expect(JSON.parse(JSON.stringify(event)).queryStringParameters).toMatchObject({
      constructor: 'b',
      toString: 'b',
    });
  });
});
