import { describe, expect, it } from 'vitest';
import type { RouteDefinition } from '../../../localstack/platform/rest-api-model';
import { RouteTable } from '../../../localstack/platform/route-table';

const route = (method: string, resourcePath: string): RouteDefinition => ({
  method,
  resourcePath,
  resourceLogicalId: resourcePath,
  authorizationType: 'NONE',
});

const table = new RouteTable([
  route('GET', '/books'),
  route('GET', '/books/{id}'),
  route('GET', '/books/featured'),
  route('ANY', '/files/{proxy+}'),
  route('POST', '/books'),
]);

describe('matching requests to resource templates', () => {
  it('matches literal paths by method', () => {
    expect(table.match('GET', '/books')?.route.method).toBe('GET');
    expect(table.match('POST', '/books')?.route.method).toBe('POST');
    expect(table.match('GET', '/books')?.pathParameters).toBeNull();
  });

  it('prefers a literal segment over a path parameter, as API Gateway does', () => {
    expect(table.match('GET', '/books/featured')?.route.resourcePath).toBe('/books/featured');
    expect(table.match('GET', '/books/42')).toMatchObject({
      route: { resourcePath: '/books/{id}' },
      pathParameters: { id: '42' },
    });
  });

  it('decodes path parameters and gives greedy parameters the rest of the path', () => {
    expect(table.match('GET', '/books/a%20b')?.pathParameters).toEqual({ id: 'a b' });
    expect(table.match('DELETE', '/files/a/b/c')?.pathParameters).toEqual({ proxy: 'a/b/c' });
  });

  it('ignores a trailing slash and decodes percent-encoded literal segments', () => {
    expect(table.match('GET', '/books/')?.route.resourcePath).toBe('/books');
    expect(table.match('GET', '/b%6Foks/featured/')?.route.resourcePath).toBe('/books/featured');
  });

  it('gives path parameters in a map with no prototype', () => {
    const parameters = table.match('GET', '/books/__proto__')?.pathParameters;
    expect(Object.getPrototypeOf(parameters)).toBeNull();
    expect(parameters?.id).toBe('__proto__');
  });

  it('matches nothing on an empty segment, and %2F is a separator, not part of a value', () => {
    expect(table.match('GET', '/books//featured')).toBeUndefined();
    expect(table.match('GET', '//books')).toBeUndefined();
    expect(table.match('GET', '/books/a%2Fb')).toBeUndefined();
  });

  it('finds nothing for an unknown path, a missing method or a malformed escape', () => {
    expect(table.match('GET', '/nope')).toBeUndefined();
    expect(table.match('DELETE', '/books')).toBeUndefined();
    expect(table.match('GET', '/books/%E0%A4%A')).toBeUndefined();
    expect(table.match('GET', '/files')).toBeUndefined();
  });
});
