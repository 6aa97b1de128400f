import { SSMClient } from '@aws-sdk/client-ssm';
import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import type { APIGatewayRequestAuthorizerEvent, Context } from 'aws-lambda';
import { parseRouteScopes } from '../../runtime/auth/route-scopes';
import { createLogAndMetrics } from '../../runtime/observability/log-and-metrics';
import { createAuthorizer } from './authorizer';
import { authorizerSettingsFromEnv } from './config';
import type { AuthorizerResult } from './policy';
import { SsmRouteScopeSource } from './route-scope-source';
import { SsmUsageKeyResolver } from './usage-keys';
import { createTokenVerifier } from './verifier';

/**
 * REQUEST authorizer entry point. Environment:
 * - ISSUER_URL (recommended; derived from the request otherwise), JWKS_URL (default
 *   `{ISSUER_URL}/.well-known/jwks.json`), ACCESS_TOKEN_AUDIENCE (default: the issuer);
 * - TRUSTED_ISSUERS: JSON `[{ issuer, jwksUri, audience?, clientIds?, scopeClaim?, requireTyp?,
 *   algorithms?, requiredClaims?, allowedScopes? }]` (no `allowedScopes`: the issuer grants no
 *   scope);
 * - ACCESS_TOKEN_TTL_SECONDS (900, the token service's): the longest `exp − iat` of the platform's
 *   own tokens, and the longest any verified token stays cached;
 * - ROUTE_SCOPES_PATH: the SSM path below which every service keeps its route-scope rules, each
 *   parameter a JSON `[{ method, resource, scopes, match? }]` (see runtime/auth/route-scopes),
 *   read with Powertools Parameters and kept ROUTE_SCOPES_CACHE_SECONDS (60); an unknown route
 *   reads them again at most every ROUTE_SCOPES_MISS_COOLDOWN_SECONDS (5);
 * - ROUTE_SCOPES (optional): more rules of the same form, fixed in the environment;
 * - ALLOWED_ALGORITHMS (default `ES256,RS256`), CLOCK_TOLERANCE_SECONDS (30), MAX_TOKEN_LENGTH
 *   (8192), JWKS_COOLDOWN_SECONDS (30), JWKS_CACHE_MAX_AGE_SECONDS (600: a key removed from the
 *   JWKS stops passing within this), JWKS_MAX_STALE_SECONDS (3600: how much longer the last good
 *   key set serves while its refresh fails), VERIFIED_TOKEN_CACHE_ENTRIES (5000; 0 disables the
 *   verified-token cache);
 * - USAGE_PLAN_KEYS_PARAMETER (optional): SSM SecureString `{ clientId: apiKeyValue }`.
 * Configuration errors fail at cold start, not per request.
 */
let authorizer: ReturnType<typeof createAuthorizer> | undefined;
let powertools: ReturnType<typeof createLogAndMetrics> | undefined;

export const handler = async (
  event: APIGatewayRequestAuthorizerEvent,
  context: Context,
): Promise<AuthorizerResult> => {
  if (!authorizer) {
    powertools = createLogAndMetrics('authorizer');
    const settings = authorizerSettingsFromEnv();
    const parameter = process.env.USAGE_PLAN_KEYS_PARAMETER;
    const staticRules = parseRouteScopes(process.env.ROUTE_SCOPES);
    const routeScopesPath = process.env.ROUTE_SCOPES_PATH;
    const logger = powertools.logger;
    authorizer = createAuthorizer({
      settings,
      verifier: createTokenVerifier({ settings }),
      rules: staticRules,
      routeScopes: routeScopesPath
        ? new SsmRouteScopeSource({
            provider: new SSMProvider(),
            path: routeScopesPath,
            maxAgeSeconds: seconds(process.env.ROUTE_SCOPES_CACHE_SECONDS, 60),
            missCooldownMs: seconds(process.env.ROUTE_SCOPES_MISS_COOLDOWN_SECONDS, 5) * 1000,
            staticRules,
            onInvalid: (name) => logger.error('Invalid route-scope parameter left out', { name }),
          })
        : undefined,
      usageKeys: parameter ? new SsmUsageKeyResolver(new SSMClient({}), parameter) : undefined,
      powertools,
    });
  }
  powertools?.logger.addContext(context);
  return authorizer(event);
};

function seconds(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  if (!/^\d+$/.test(value)) throw new Error(`Expected whole seconds, got '${value}'`);
  return Number(value);
}
