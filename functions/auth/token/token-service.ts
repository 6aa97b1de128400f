import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { importJWK, SignJWT, type CryptoKey } from 'jose';
import { resolveIssuer, tokenEndpointOf } from '../../runtime/auth/issuer';
import {
  CachedKeyDocument,
  currentKey,
  jwksOf,
  type StoredKey,
} from '../../runtime/auth/key-store';
import { isScopeToken, parseScope } from '../../runtime/auth/scopes';
import { problemResponse } from '../../runtime/http/problem';
import {
  CORRELATION_ID_HEADER,
  findHeader,
  resolveCorrelationId,
} from '../../runtime/observability/correlation';
import { audit } from '../../runtime/observability/audit';
import type { Powertools } from '../../runtime/observability/powertools';
import { createAuthorizationEndpoint, type LoginBackoff } from './authorize';
import { authenticateClient } from './client-auth';
import {
  exchangeCode,
  refreshTokens,
  type IssuedAccessToken,
  type PeopleGrants,
} from './code-grant';
import { signedFormTokens } from './form-token';
import type { ClientsRepository } from './clients';
import { parseTokenForm, DEFAULT_MAX_BODY_BYTES } from './form';
import { authorizationServerMetadata, openIdConfiguration } from './metadata';
import { NO_STORE_HEADERS, OAuthError, oauthErrorResponse } from './oauth-error';
import type { ReplayStore } from './replay';

export interface TokenServiceOptions {
  /** Configured issuer (ISSUER_URL); otherwise derived per request. */
  readonly issuer?: string;
  /** `aud` of issued tokens. @default the issuer */
  readonly audience?: string;
  /** Access-token lifetime. @default 900 */
  readonly accessTokenTtlSeconds?: number;
  /** Tolerance for client-assertion time claims. @default 30 */
  readonly clockToleranceSeconds?: number;
  readonly maxAssertionLifetimeSeconds?: number;
  readonly maxBodyBytes?: number;
  /** Listed as `scopes_supported` in the metadata. */
  readonly scopesSupported?: readonly string[];
  readonly metadataMaxAgeSeconds?: number;
  /** Lifetime of authorization codes. @default 60 */
  readonly codeTtlSeconds?: number;
  /** Back-off after failed sign-ins. @default - see LoginBackoff */
  readonly loginBackoff?: LoginBackoff;
}

export interface TokenServiceDeps {
  readonly clients: ClientsRepository;
  readonly keys: CachedKeyDocument;
  readonly replay: ReplayStore;
  readonly powertools: Powertools;
  readonly clock?: () => Date;
  readonly options?: TokenServiceOptions;
  /**
   * People's sign-in: the authorization endpoint, the authorization_code and refresh_token grants.
   * @default - machines only (client_credentials)
   */
  readonly people?: PeopleGrants;
}

const METADATA = '/.well-known/oauth-authorization-server';

const PEOPLE_GRANTS = ['authorization_code', 'refresh_token'];

/**
 * The token service: `POST /oauth2/token` (client_credentials for machines; authorization_code
 * with PKCE and rotating refresh tokens for people), `GET|POST /oauth2/authorize` (the login
 * page), and the public metadata routes.
 * Returns an API Gateway proxy result for every input; an unexpected fault is a generic 500 that
 * says nothing about its cause, while bad input is always a 4xx.
 */
export function createTokenService(deps: TokenServiceDeps) {
  const { logger, metrics } = deps.powertools;
  const clock = deps.clock ?? (() => new Date());
  const opts = deps.options ?? {};
  const ttl = opts.accessTokenTtlSeconds ?? 900;
  const tolerance = opts.clockToleranceSeconds ?? 30;
  const maxAge = opts.metadataMaxAgeSeconds ?? 300;
  const scopesSupported = opts.scopesSupported ?? [];
  const publicCache = { 'cache-control': `public, max-age=${maxAge}` };
  const signingKeys = new Map<string, Promise<CryptoKey | Uint8Array>>();

  function signingKeyOf(key: StoredKey) {
    let imported = signingKeys.get(key.kid);
    if (!imported) {
      imported = importJWK(key.privateJwk, key.alg);
      imported.catch(() => signingKeys.delete(key.kid));
      signingKeys.set(key.kid, imported);
    }
    return imported;
  }

  const people = deps.people;
  const authorize = people
    ? createAuthorizationEndpoint({
        clients: people.clients,
        users: people.users,
        grants: people.grants,
        formTokens: signedFormTokens(deps.keys, signingKeyOf),
        powertools: deps.powertools,
        clock,
        codeTtlSeconds: opts.codeTtlSeconds,
        backoff: opts.loginBackoff,
      })
    : undefined;

  async function issueAccessToken(
    issuer: string,
    now: Date,
    claims: { sub: string; clientId: string; scope: string },
  ): Promise<IssuedAccessToken & { kid: string; jti: string }> {
    const document = await deps.keys.get();
    const key = document ? currentKey(document) : undefined;
    if (!key) {
      logger.error('No current signing key: run the key rotation function');
      throw new OAuthError(
        'temporarily_unavailable',
        'The service cannot issue tokens right now.',
        503,
      );
    }
    const iat = Math.floor(now.getTime() / 1000);
    const jti = randomUUID();
    const accessToken = await new SignJWT({ client_id: claims.clientId, scope: claims.scope })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt' })
      .setIssuer(issuer)
      .setSubject(claims.sub)
      .setAudience(opts.audience ?? issuer)
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(iat + ttl)
      .setJti(jti)
      .sign(await signingKeyOf(key));
    metrics.addMetric('TokensIssued', 'Count', 1);
    return { accessToken, expiresIn: ttl, kid: key.kid, jti };
  }

  /** A people's grant: a public client (PKCE, no secret) names itself with client_id. */
  async function peopleGrant(
    event: APIGatewayProxyEvent,
    params: Map<string, string>,
    grantType: string,
    issuer: string,
  ): Promise<APIGatewayProxyResult> {
    const presentsCredentials =
      findHeader(event.headers, 'authorization') !== undefined ||
      params.has('client_secret') ||
      params.has('client_assertion');
    const clientId = params.get('client_id');
    const client = clientId !== undefined ? people!.clients.get(clientId) : undefined;
    if (presentsCredentials || !client) {
      if (!clientId && !presentsCredentials)
        throw new OAuthError('invalid_request', 'client_id is required.');
      throw new OAuthError(
        presentsCredentials ? 'unauthorized_client' : 'invalid_client',
        presentsCredentials
          ? 'Only public clients (PKCE, no client authentication) may use this grant.'
          : 'Client authentication failed.',
        presentsCredentials ? 400 : 401,
      );
    }
    logger.appendKeys({ client_id: client.clientId });
    const now = clock();
    const issue = (claims: { sub: string; clientId: string; scope: string }) =>
      issueAccessToken(issuer, now, claims);
    const body =
      grantType === 'authorization_code'
        ? await exchangeCode(params, client, people!, now.getTime(), issue, logger)
        : await refreshTokens(params, client, people!, now.getTime(), issue, logger);
    return {
      statusCode: 200,
      headers: { 'content-type': 'application/json;charset=UTF-8', ...NO_STORE_HEADERS },
      body: JSON.stringify(body),
    };
  }

  async function token(
    event: APIGatewayProxyEvent,
    issuer: string,
  ): Promise<APIGatewayProxyResult> {
    if (event.httpMethod !== 'POST') {
      throw new OAuthError('invalid_request', 'The token endpoint accepts POST only.', 405, {
        allow: 'POST',
      });
    }
    const params = parseTokenForm(event, opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES);
    const grantType = params.get('grant_type');
    if (!grantType) throw new OAuthError('invalid_request', 'grant_type is required.');
    if (people && PEOPLE_GRANTS.includes(grantType)) {
      return peopleGrant(event, params, grantType, issuer);
    }
    if (grantType !== 'client_credentials') {
      throw new OAuthError(
        'unsupported_grant_type',
        people
          ? 'Supported grants: client_credentials, authorization_code and refresh_token.'
          : 'Only the client_credentials grant is supported.',
      );
    }
    const now = clock();
    const { client, method } = await authenticateClient(event.headers, params, {
      clients: deps.clients,
      replay: deps.replay,
      issuer,
      tokenEndpoint: tokenEndpointOf(issuer),
      now,
      clockToleranceSeconds: tolerance,
      maxAssertionLifetimeSeconds: opts.maxAssertionLifetimeSeconds ?? 300,
      realm: 'oauth2',
    });
    logger.appendKeys({ client_id: client.clientId });
    if (!(client.grantTypes ?? ['client_credentials']).includes('client_credentials')) {
      throw new OAuthError(
        'unauthorized_client',
        'The client may not use the client_credentials grant.',
      );
    }
    const requestedRaw = params.get('scope');
    let granted: string[];
    if (requestedRaw === undefined) {
      granted = [...new Set(client.scopes)];
    } else {
      const requested = parseScope(requestedRaw);
      if (requested.length === 0 || !requested.every(isScopeToken)) {
        throw new OAuthError('invalid_scope', 'The scope parameter is malformed.');
      }
      const allowed = new Set(client.scopes);
      if (!requested.every((scope) => allowed.has(scope))) {
        throw new OAuthError(
          'invalid_scope',
          'The requested scope exceeds what the client may be granted.',
        );
      }
      granted = requested;
    }
    const scope = granted.join(' ');
    const { accessToken, kid, jti } = await issueAccessToken(issuer, now, {
      sub: client.clientId,
      clientId: client.clientId,
      scope,
    });
    audit({
      action: 'token.issue',
      result: 'success',
      target: client.clientId,
      actor: { sub: client.clientId, clientId: client.clientId },
      ...current,
      details: { grant_type: 'client_credentials', auth_method: method, scope, kid, jti },
    });
    return {
      statusCode: 200,
      headers: { 'content-type': 'application/json;charset=UTF-8', ...NO_STORE_HEADERS },
      body: JSON.stringify({
        access_token: accessToken,
        token_type: 'Bearer',
        expires_in: ttl,
        scope,
      }),
    };
  }

  async function route(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
    const issuer = resolveIssuer(event, opts.issuer);
    const resource = event.resource;
    if (!issuer) {
      logger.error('Cannot determine the issuer: set ISSUER_URL');
      return problemResponse({
        title: 'Service Unavailable',
        status: 503,
        detail: 'The issuer is not configured.',
      });
    }
    if (resource === '/oauth2/token') return token(event, issuer);
    if (resource === '/oauth2/authorize' && authorize) return authorize(event, issuer);
    if (event.httpMethod !== 'GET' && event.httpMethod !== 'HEAD') {
      return problemResponse(
        { title: 'Method Not Allowed', status: 405, detail: 'Use GET.' },
        { allow: 'GET, HEAD' },
      );
    }
    if (resource === METADATA || resource === `${METADATA}/{path+}`) {
      const issuerPath = new URL(issuer).pathname.replace(/\/+$/, '');
      const suffix = resource === METADATA ? '' : `/${event.pathParameters?.path ?? ''}`;
      if (suffix !== '' && suffix !== issuerPath) {
        return problemResponse({
          title: 'Not Found',
          status: 404,
          detail: 'No metadata for this issuer path.',
        });
      }
      return json(authorizationServerMetadata(issuer, scopesSupported, !!people), publicCache);
    }
    if (resource === '/.well-known/openid-configuration') {
      return json(openIdConfiguration(issuer, scopesSupported, !!people), publicCache);
    }
    if (resource === '/.well-known/jwks.json') {
      const document = await deps.keys.get();
      return json(
        document ? jwksOf(document, clock()) : { keys: [] },
        publicCache,
        'application/jwk-set+json',
      );
    }
    return problemResponse({ title: 'Not Found', status: 404, detail: 'No such route.' });
  }

  // The request being served (one at a time per environment), for the audit records.
  let current: { correlationId?: string; requestId?: string } = {};

  return async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    const correlationId = resolveCorrelationId(event?.headers, event?.requestContext?.requestId);
    current = { correlationId, requestId: event?.requestContext?.requestId };
    logger.appendKeys({ correlation_id: correlationId });
    const extra = { [CORRELATION_ID_HEADER]: correlationId };
    try {
      const result = await route(event);
      return { ...result, headers: { ...result.headers, ...extra } };
    } catch (error) {
      if (error instanceof OAuthError) {
        // The code and our own description only: never parameters, headers or the body.
        // The authenticated client, if it got that far (appended once authenticated).
        const known = logger.getPersistentLogAttributes().client_id;
        const clientId = typeof known === 'string' ? known : undefined;
        audit({
          action: 'token.refuse',
          result: 'denied',
          actor: clientId ? { sub: clientId, clientId } : undefined,
          reason: error.error,
          ...current,
          details: { description: error.description, status: error.status },
        });
        metrics.addMetric(`TokenRefused_${error.error}`, 'Count', 1);
        const response = oauthErrorResponse(error);
        return { ...response, headers: { ...response.headers, ...extra } };
      }
      logger.error('Token service failure', { errorName: (error as Error | undefined)?.name });
      metrics.addMetric('Errors', 'Count', 1);
      const response = oauthErrorResponse(
        new OAuthError('server_error', 'The server could not complete the request.', 500),
      );
      return { ...response, headers: { ...response.headers, ...extra } };
    } finally {
      logger.removeKeys(['correlation_id', 'client_id']);
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    }
  };
}

function json(
  body: unknown,
  headers: Record<string, string>,
  contentType = 'application/json',
): APIGatewayProxyResult {
  return {
    statusCode: 200,
    headers: { 'content-type': contentType, ...headers },
    body: JSON.stringify(body),
  };
}
