/**
 * How route-scope rules travel from the constructs to the authorizer: a JSON list of rules, in
 * SSM parameters below one path per platform and stage, one subtree per owner (a service, or
 * `_platform` for the platform's own routes), each parameter a chunk of the owner's list.
 *
 * ```json
 * [
 *   { "method": "GET", "resource": "/reading-list", "scopes": ["reading-list/read"] },
 *   { "method": "ANY", "resource": "/reports/{proxy+}", "scopes": ["a/b", "c/d"], "match": "any-of" }
 * ]
 * ```
 *
 * `scopes` combine by `match`: `all-of` (the default) needs every scope, `any-of` one of them;
 * an empty list means any valid token. `resource` is the API Gateway resource template.
 */
export const ROUTE_SCOPE_METHODS = [
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'OPTIONS',
  'ANY',
] as const;
export type RouteScopeMethod = (typeof ROUTE_SCOPE_METHODS)[number];

export const ROUTE_SCOPE_MATCHES = ['all-of', 'any-of'] as const;
export type RouteScopeMatch = (typeof ROUTE_SCOPE_MATCHES)[number];

/** One rule as written by a construct (`match` may be left out). */
export interface RouteScopeRuleInput {
  readonly method: string;
  readonly resource: string;
  readonly scopes: readonly string[];
  readonly match?: RouteScopeMatch;
}

/** At most this many scopes in one rule. */
export const MAX_SCOPES_PER_RULE = 50;

/**
 * Characters of JSON per parameter: a standard SSM parameter holds 4 KB, a chunk stays below it
 * with room for the list's brackets.
 */
export const ROUTE_SCOPES_CHUNK_CHARACTERS = 3800;

/** The owner name of the platform's own routes (service names start with a letter). */
export const PLATFORM_ROUTE_SCOPES_OWNER = '_platform';

/**
 * Where a platform keeps what it publishes: `/{platform}/{stage}/_platform`. A service's
 * configuration path is `/{platform}/{stage}/{service}` and service names start with a letter, so
 * no service's configuration grant reaches here.
 */
export function platformParameterRoot(platformName: string, stage: string): string {
  return `/${platformName}/${stage}/_platform`;
}

/** Where the route-scope rules of every owner live; the authorizer reads all of it. */
export function routeScopesPath(platformName: string, stage: string): string {
  return `${platformParameterRoot(platformName, stage)}/route-scopes`;
}

/** The parameter holding chunk `index` of one owner's rules. */
export function routeScopesParameterName(path: string, owner: string, index: number): string {
  return `${path}/${owner}/${index}`;
}
