import { ProblemError } from '../http/problem';
import type { CallerIdentity } from '../service/internal-request';

/**
 * RFC 6749 §3.3 scope-token: one or more of %x21 / %x23-5B / %x5D-7E (printable ASCII without
 * space, double quote and backslash).
 */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

export function isScopeToken(value: string): boolean {
  return SCOPE_TOKEN.test(value);
}

/** Splits a space-delimited `scope` value (RFC 6749 §3.3, RFC 9068 §2.2.3) into distinct scopes. */
export function parseScope(value: string | undefined | null): string[] {
  if (!value) return [];
  return [...new Set(value.split(' ').filter(Boolean))];
}

/** True when every required scope is granted (all-of). An empty requirement is always met. */
export function hasAllScopes(granted: Iterable<string>, required: readonly string[]): boolean {
  const set = granted instanceof Set ? (granted as Set<string>) : new Set(granted);
  return required.every((scope) => set.has(scope));
}

/**
 * Defense in depth for services: re-checks that the caller (from the authorizer context or
 * carried by an internal call) holds every one of `required`.
 *
 * - no caller → 401 problem (the route was reached without an authenticated caller);
 * - missing scopes → 403 problem, title `Forbidden`, `error: "insufficient_scope"` and the
 *   scopes needed (RFC 6750 §3.1 vocabulary), never which scopes the caller has.
 */
export function requireScopes(
  caller: CallerIdentity | undefined,
  required: string[],
): CallerIdentity {
  if (!caller) {
    throw new ProblemError({
      title: 'Unauthorized',
      status: 401,
      detail: 'The request carries no authenticated caller.',
      error: 'invalid_token',
    });
  }
  if (!hasAllScopes(caller.scopes, required)) {
    throw new ProblemError({
      title: 'Forbidden',
      status: 403,
      detail: `insufficient_scope: this operation needs the scope(s) ${required.join(' ')}.`,
      error: 'insufficient_scope',
      scope: required.join(' '),
    });
  }
  return caller;
}
