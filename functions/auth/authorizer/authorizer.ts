import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { resolveIssuer } from '../../runtime/auth/issuer';
import {
  findRouteRule,
  ruleSatisfiedBy,
  type RouteScopeRule,
} from '../../runtime/auth/route-scopes';
import { findHeader } from '../../runtime/observability/correlation';
import type { LogAndMetrics } from '../../runtime/observability/log-and-metrics';
import type { AuthorizerSettings } from './config';
import { buildPolicy, type AuthorizerResult } from './policy';
import { StaticRouteScopeSource, type RouteScopeSource } from './route-scope-source';
import type { UsageKeyResolver } from './usage-keys';
import { KeySourceUnavailable, TokenRejected, type TokenVerifier } from './verifier';

export interface AuthorizerDeps {
  readonly settings: AuthorizerSettings;
  readonly verifier: TokenVerifier;
  /** Fixed rules (tests, ROUTE_SCOPES); give this or `routeScopes`. */
  readonly rules?: readonly RouteScopeRule[];
  /** Where the rules are read at run time (SSM, below the platform's route-scopes path). */
  readonly routeScopes?: RouteScopeSource;
  readonly usageKeys?: UsageKeyResolver;
  readonly powertools: LogAndMetrics;
}

/** `Bearer <token>`; the scheme is case-insensitive (RFC 7235 §2.1), exactly one space-run. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  return BEARER.exec(header)?.[1];
}

/**
 * The REQUEST authorizer. Outcomes:
 * - no/invalid token → throws `Error('Unauthorized')`, which API Gateway answers with 401;
 * - valid token → a policy allowing exactly the routes its scopes cover (so the cached policy stays
 *   right for every route the same token calls later); when the requested route is not among them,
 *   API Gateway answers 403;
 * - keys unobtainable (JWKS endpoint down) → a different error, which API Gateway answers with a
 *   500-class authorizer error: the token was not found invalid, the platform could not check it.
 */
export function createAuthorizer(deps: AuthorizerDeps) {
  const { logger, metrics } = deps.powertools;
  const routeScopes = deps.routeScopes ?? new StaticRouteScopeSource(deps.rules ?? []);

  return async (event: APIGatewayRequestAuthorizerEvent): Promise<AuthorizerResult> => {
    try {
      const token = bearerToken(findHeader(event.headers, 'authorization'));
      if (!token) throw new TokenRejected('missing_bearer_token');
      const ownIssuer = deps.settings.ownIssuer ?? resolveIssuer(event);
      const verified = await deps.verifier.verify(token, ownIssuer);

      let rules = await routeScopes.rules();
      let rule = findRouteRule(rules, event.httpMethod, event.resource);
      if (!rule) {
        // A service deployed since the rules were read: read them again (rate-limited).
        rules = await routeScopes.rulesAfterMiss();
        rule = findRouteRule(rules, event.httpMethod, event.resource);
      }
      if (verified.ungrantedScopes.length > 0)
        logger.warn('Scopes the issuer may not grant here were not granted', {
          issuer: verified.issuer,
          client_id: verified.clientId,
          // Names from a verified token of a trusted issuer; a few, cut short, suffice.
          ungrantedScopes: verified.ungrantedScopes.slice(0, 10).map((s) => s.slice(0, 64)),
        });
      const granted = new Set(verified.scopes);
      const allowed = rule !== undefined && ruleSatisfiedBy(rule, granted);
      if (!rule)
        logger.warn('No route-scope rule for this route: denied', {
          method: event.httpMethod,
          resource: event.resource,
        });

      const usageIdentifierKey = deps.usageKeys
        ? await deps.usageKeys.keyFor(
            verified.own ? verified.clientId : `${verified.issuer}#${verified.clientId}`,
          )
        : undefined;

      logger.info(allowed ? 'Access granted' : 'Access denied: insufficient scope', {
        sub: verified.sub,
        client_id: verified.clientId,
        issuer: verified.issuer,
        method: event.httpMethod,
        resource: event.resource,
      });
      metrics.addMetric(allowed ? 'AuthorizerAllowed' : 'AuthorizerInsufficientScope', 'Count', 1);
      return {
        principalId: verified.sub,
        policyDocument: buildPolicy(event.methodArn, rules, verified.scopes, allowed),
        context: {
          sub: verified.sub,
          clientId: verified.clientId,
          scope: verified.scopes.join(' '),
          issuer: verified.issuer,
        },
        ...(usageIdentifierKey ? { usageIdentifierKey } : {}),
      };
    } catch (error) {
      if (error instanceof TokenRejected) {
        logger.info('Token rejected', {
          reason: error.reason,
          method: event.httpMethod,
          resource: event.resource,
        });
        metrics.addMetric('AuthorizerRejected', 'Count', 1);
        throw new Error('Unauthorized');
      }
      if (error instanceof KeySourceUnavailable) {
        logger.error('Signing keys unavailable', { reason: error.reason });
        metrics.addMetric('AuthorizerKeysUnavailable', 'Count', 1);
        throw new Error('Signing keys unavailable');
      }
      logger.error('Authorizer failure', { errorName: (error as Error | undefined)?.name });
      metrics.addMetric('Errors', 'Count', 1);
      throw new Error('Unauthorized');
    } finally {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    }
  };
}
