import { describe, expect, it } from 'vitest';
import { parseRequestTarget } from '../../../localstack/platform/request-path';

describe('reading a request target as API Gateway does', () => {
  it('drops one trailing slash and keeps the query apart', () => {
    const target = parseRequestTarget('/reading-list/?userId=x&a=1&a=2');
    expect(target).toMatchObject({
      ok: true,
      rawPath: '/reading-list/',
      path: '/reading-list',
      segments: ['reading-list'],
    });
    expect(target.ok && target.query.getAll('a')).toEqual(['1', '2']);
  });

  it('decodes the path once before splitting it, so %2F separates segments', () => {
    expect(parseRequestTarget('/admin/%63ircuits')).toMatchObject({
      rawPath: '/admin/%63ircuits',
      path: '/admin/circuits',
    });
    expect(parseRequestTarget('/books/a%2Fb')).toMatchObject({ segments: ['books', 'a', 'b'] });
    expect(parseRequestTarget('/books/a%252Fb')).toMatchObject({ segments: ['books', 'a%2Fb'] });
  });

  it('reads the root and keeps interior empty segments (which match no resource)', () => {
    expect(parseRequestTarget('/')).toMatchObject({ path: '/', segments: [] });
    expect(parseRequestTarget('/a//b')).toMatchObject({ segments: ['a', '', 'b'] });
  });

  it('reads //host/path as a path, never as another host', () => {
    expect(parseRequestTarget('//evil.example/admin/circuits')).toMatchObject({
      ok: true,
      segments: ['', 'evil.example', 'admin', 'circuits'],
    });
  });

  it('reads the absolute form a proxy would send', () => {
    expect(parseRequestTarget('http://127.0.0.1:3000/books/7?x=1')).toMatchObject({
      ok: true,
      path: '/books/7',
    });
  });

  it('refuses malformed percent-encoding and targets that are not paths', () => {
    expect(parseRequestTarget('/books/%E0%A4%A')).toMatchObject({
      ok: false,
      rawPath: '/books/%E0%A4%A',
      reason: 'The request path is not valid percent-encoding.',
    });
    expect(parseRequestTarget('/%ZZ')).toMatchObject({ ok: false });
    expect(parseRequestTarget('*')).toMatchObject({ ok: false, rawPath: '/' });
    expect(parseRequestTarget('example.com:443')).toMatchObject({ ok: false });
  });

  it('gives prototype-named query keys back as plain values', () => {
    const target = parseRequestTarget('/x?__proto__=1&constructor=2');
    expect(target.ok && [...target.query]).toEqual([
      ['__proto__', '1'],
      ['constructor', '2'],
    ]);
  });
});
