import * as z from 'zod';
import {
  MAX_SCOPES_PER_RULE,
  ROUTE_SCOPE_MATCHES,
  ROUTE_SCOPE_METHODS,
} from '../contract/route-scopes';
import { isScopeToken } from './scopes';

/**
 * The route-scope policy shared by the authorizer (which turns it into an IAM policy) and the
 * platform constructs (which write it where the authorizer reads it: see contract/route-scopes).
 *
 * ```json
 * [
 *   { "method": "GET", "resource": "/reading-list", "scopes": ["reading-list/read"] },
 *   { "method": "POST", "resource": "/admin/circuits/{name}/force-open", "scopes": ["platform/admin"] },
 *   { "method": "ANY", "resource": "/reports/{proxy+}", "scopes": ["reports/read", "reports/export"], "match": "any-of" }
 * ]
 * ```
 *
 * - `method`: an HTTP method as API Gateway names it, or `ANY`.
 * - `resource`: the API Gateway resource template (`{param}` and `{proxy+}` allowed).
 * - `scopes`: the scopes the route needs. `match` says how they combine:
 *   `all-of` (default) — the token must carry every listed scope;
 *   `any-of` — one of them is enough.
 *   An empty `scopes` list means "any valid token".
 */
export const RouteScopeRuleSchema = z.object({
  method: z
    .string()
    .transform((value) => value.toUpperCase())
    .pipe(z.enum(ROUTE_SCOPE_METHODS)),
  resource: z
    .string()
    .min(1)
    .max(1024)
    .regex(
      /^\/[A-Za-z0-9._~\-{}+/:@!$&'()*,;=%]*$/,
      'resource must be an API Gateway resource template',
    ),
  scopes: z.array(z.string().refine(isScopeToken, 'not a scope-token')).max(MAX_SCOPES_PER_RULE),
  match: z.enum(ROUTE_SCOPE_MATCHES).default('all-of'),
});
export type RouteScopeRule = z.infer<typeof RouteScopeRuleSchema>;
export type RouteScopeRuleInput = z.input<typeof RouteScopeRuleSchema>;

export const RouteScopesSchema = z.array(RouteScopeRuleSchema).max(300);

/** Parses the ROUTE_SCOPES JSON; throws (at cold start) on an invalid policy, never later. */
export function parseRouteScopes(json: string | undefined): RouteScopeRule[] {
  if (!json) return [];
  return RouteScopesSchema.parse(JSON.parse(json));
}

/** True when a token holding `granted` may call a route with this rule. */
export function ruleSatisfiedBy(rule: RouteScopeRule, granted: ReadonlySet<string>): boolean {
  if (rule.scopes.length === 0) return true;
  return rule.match === 'any-of'
    ? rule.scopes.some((scope) => granted.has(scope))
    : rule.scopes.every((scope) => granted.has(scope));
}

/** The rule for one request: an exact method match wins over an `ANY` rule on the same resource. */
export function findRouteRule(
  rules: readonly RouteScopeRule[],
  method: string,
  resource: string,
): RouteScopeRule | undefined {
  const upper = method.toUpperCase();
  return (
    rules.find((rule) => rule.resource === resource && rule.method === upper) ??
    rules.find((rule) => rule.resource === resource && rule.method === 'ANY')
  );
}

/**
 * The path part of an execute-api ARN for a resource template: each `{param}` or `{proxy+}`
 * segment becomes `*`. (In execute-api policies `*` also matches `/`, so a template wildcard can
 * match deeper paths; see the authorizer's policy builder for how that is kept safe.)
 */
export function resourceToArnPath(resource: string): string {
  return resource.replace(/\{[^}/]+\}/g, '*');
}
