import { describe, expect, it } from 'vitest';
import { ProblemError } from '../../../../functions/runtime/http/problem';
import {
  hasAllScopes,
  isScopeToken,
  parseScope,
  requireScopes,
} from '../../../../functions/runtime/auth/scopes';
import {
  findRouteRule,
  parseRouteScopes,
  resourceToArnPath,
  ruleSatisfiedBy,
} from '../../../../functions/runtime/auth/route-scopes';

const caller = { sub: 'reader', clientId: 'reader', scopes: ['reading-list/read'] };

function problemOf(fn: () => unknown) {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ProblemError);
    return (error as ProblemError).problem;
  }
  throw new Error('expected a ProblemError');
}

describe('requireScopes', () => {
  it('passes when every scope is held', () => {
    expect(requireScopes(caller, ['reading-list/read'])).toBe(caller);
    expect(requireScopes(caller, [])).toBe(caller);
  });
  it('403 insufficient_scope when one is missing', () => {
    const problem = problemOf(() => requireScopes(caller, ['reading-list/read', 'platform/admin']));
    expect(problem).toMatchObject({ status: 403, title: 'Forbidden', error: 'insufficient_scope' });
    expect(problem.detail).toMatch(/^insufficient_scope/);
  });
  it('401 when there is no caller', () => {
    expect(problemOf(() => requireScopes(undefined, ['a']))).toMatchObject({ status: 401 });
  });
});

describe('scope helpers', () => {
  it('parses, validates and compares', () => {
    expect(parseScope('a  b a')).toEqual(['a', 'b']);
    expect(parseScope(undefined)).toEqual([]);
    expect(isScopeToken('reading-list/read')).toBe(true);
    expect(isScopeToken('a"b')).toBe(false);
    expect(isScopeToken('a\\b')).toBe(false);
    expect(hasAllScopes(['a', 'b'], ['a'])).toBe(true);
    expect(hasAllScopes(['a'], ['a', 'b'])).toBe(false);
  });
});

describe('route-scope policy', () => {
  const rules = parseRouteScopes(
    JSON.stringify([
      { method: 'get', resource: '/reading-list', scopes: ['reading-list/read'] },
      { method: 'ANY', resource: '/reading-list', scopes: ['reading-list/write'] },
      { method: 'ANY', resource: '/reports/{proxy+}', scopes: ['r', 's'], match: 'any-of' },
      {
        method: 'POST',
        resource: '/admin/circuits/{name}/force-open',
        scopes: ['platform/admin', 'ops'],
      },
    ]),
  );
  it('defaults to all-of, supports any-of, prefers an exact method over ANY', () => {
    expect(rules[0].method).toBe('GET');
    expect(findRouteRule(rules, 'GET', '/reading-list')).toBe(rules[0]);
    expect(findRouteRule(rules, 'PUT', '/reading-list')).toBe(rules[1]);
    expect(findRouteRule(rules, 'GET', '/nope')).toBeUndefined();
    expect(ruleSatisfiedBy(rules[3], new Set(['platform/admin']))).toBe(false);
    expect(ruleSatisfiedBy(rules[3], new Set(['platform/admin', 'ops']))).toBe(true);
    expect(ruleSatisfiedBy(rules[2], new Set(['s']))).toBe(true);
  });
  it('turns templates into ARN paths', () => {
    expect(resourceToArnPath('/admin/circuits/{name}/force-open')).toBe(
      '/admin/circuits/*/force-open',
    );
    expect(resourceToArnPath('/reports/{proxy+}')).toBe('/reports/*');
    expect(resourceToArnPath('/')).toBe('/');
  });
  it('rejects an invalid policy at parse time', () => {
    expect(() => parseRouteScopes('[{"method":"FETCH","resource":"/x","scopes":[]}]')).toThrow();
    expect(() => parseRouteScopes('[{"method":"GET","resource":"x","scopes":[]}]')).toThrow();
    expect(() => parseRouteScopes('[{"method":"GET","resource":"/x","scopes":["a b"]}]')).toThrow();
    expect(parseRouteScopes(undefined)).toEqual([]);
  });
});
