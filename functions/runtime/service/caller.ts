import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { CallerIdentity } from './internal-request';

/**
 * The caller the gateway's authorizer vouched for, read from the authorizer context
 * (`sub`, `clientId`, and `scope` as a space-separated list, as in RFC 9068). Undefined on public
 * routes, where no authorizer ran.
 */
export function callerFromGatewayEvent(event: APIGatewayProxyEvent): CallerIdentity | undefined {
  const authorizer = event.requestContext?.authorizer as Record<string, unknown> | null | undefined;
  if (!authorizer) return undefined;
  const sub = authorizer.sub;
  const clientId = authorizer.clientId;
  if (typeof sub !== 'string' || typeof clientId !== 'string' || !sub || !clientId)
    return undefined;
  const scope = typeof authorizer.scope === 'string' ? authorizer.scope : '';
  return { sub, clientId, scopes: scope.split(' ').filter(Boolean) };
}
