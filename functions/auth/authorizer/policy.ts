import type { APIGatewayAuthorizerResult, PolicyDocument, Statement } from 'aws-lambda';
import {
  resourceToArnPath,
  ruleSatisfiedBy,
  type RouteScopeRule,
} from '../../runtime/auth/route-scopes';

/** `arn:{partition}:execute-api:{region}:{account}:{apiId}/{stage}` and the rest of a method ARN. */
export function parseMethodArn(
  methodArn: string,
): { base: string; method: string; path: string } | undefined {
  const match =
    /^(arn:[a-z-]+:execute-api:[a-z0-9-]+:\d{12}:[A-Za-z0-9]+\/[^/]+)\/([A-Z*]+)(\/.*)?$/.exec(
      methodArn,
    );
  if (!match) return undefined;
  return { base: match[1], method: match[2], path: match[3] ?? '/' };
}

export function ruleArn(base: string, rule: RouteScopeRule): string {
  return `${base}/${rule.method === 'ANY' ? '*' : rule.method}${resourceToArnPath(rule.resource)}`;
}

/**
 * The IAM policy for one token, valid for every route of the API (API Gateway caches it under the
 * Authorization header and applies it to later calls on other routes):
 * - Allow every route whose rule the token satisfies;
 * - explicit Deny for every route whose rule it does not, and for the requested method when it is
 *   not allowed. Explicit Deny wins in IAM evaluation, and it matters: `*` in an execute-api ARN
 *   also matches `/`, so an allowed template such as `GET/items/*` would otherwise also cover a
 *   stricter `GET /items/{id}/secret`. The reverse overlap can only over-deny (fail closed).
 * Routes not listed in the rules are never allowed: the list must name every route behind the
 * authorizer.
 */
export function buildPolicy(
  methodArn: string,
  rules: readonly RouteScopeRule[],
  scopes: readonly string[],
  requestedAllowed: boolean,
): PolicyDocument {
  const parsed = parseMethodArn(methodArn);
  const granted = new Set(scopes);
  const allow = new Set<string>();
  const deny = new Set<string>();
  if (parsed) {
    for (const rule of rules)
      (ruleSatisfiedBy(rule, granted) ? allow : deny).add(ruleArn(parsed.base, rule));
  }
  if (!requestedAllowed || !parsed) deny.add(methodArn);
  const statements: Statement[] = [];
  if (allow.size > 0)
    statements.push({ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: [...allow] });
  if (deny.size > 0)
    statements.push({ Effect: 'Deny', Action: 'execute-api:Invoke', Resource: [...deny] });
  return { Version: '2012-10-17', Statement: statements };
}

export type AuthorizerResult = APIGatewayAuthorizerResult & { usageIdentifierKey?: string };
