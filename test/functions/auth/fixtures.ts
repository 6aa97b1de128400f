import type { APIGatewayProxyEvent, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { importJWK, SignJWT, type JWTPayload, type JWTHeaderParameters } from 'jose';
import { createPowertools } from '../../../functions/runtime/observability/powertools';
import type { KeyDocument, StoredKey } from '../../../functions/runtime/auth/key-store';
import { rotateKeys } from '../../../functions/auth/rotation/rotate';
import { interceptOutput } from '../../support/captured-output';
import { gatewayEvent } from '../../support/events';

process.env.POWERTOOLS_LOG_LEVEL ??= 'DEBUG';
process.env.POWERTOOLS_METRICS_NAMESPACE ??= 'Test';
process.env.POWERTOOLS_TRACE_ENABLED ??= 'false';

export const powertools = () => createPowertools('auth-test');

export const T0 = new Date('2030-01-01T00:00:00.000Z');
export const T0_SECONDS = Math.floor(T0.getTime() / 1000);

export const ISSUER = 'https://abc123defg.execute-api.eu-west-1.amazonaws.com/prod';
export const METHOD_ARN_BASE = 'arn:aws:execute-api:eu-west-1:123456789012:abc123defg/prod';

export const POLICY = {
  algorithm: 'ES256' as const,
  retiredGraceSeconds: 3600 + 30 + 60,
  minNextAgeSeconds: 900,
};

/** A bootstrapped key document (one current, one next). */
export async function keyDocument(at: Date = T0): Promise<KeyDocument> {
  return (await rotateKeys(undefined, at, POLICY)).document;
}

export function current(document: KeyDocument): StoredKey {
  return document.keys.find((key) => key.status === 'current')!;
}

export async function sign(
  key: StoredKey,
  payload: JWTPayload,
  header: Partial<JWTHeaderParameters> = {},
): Promise<string> {
  return new SignJWT(payload)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt', ...header })
    .sign(await importJWK(key.privateJwk, key.alg));
}

export function accessClaims(overrides: JWTPayload = {}): JWTPayload {
  return {
    iss: ISSUER,
    sub: 'reader',
    aud: ISSUER,
    client_id: 'reader',
    scope: 'reading-list/read',
    iat: T0_SECONDS,
    nbf: T0_SECONDS,
    exp: T0_SECONDS + 900,
    jti: Math.random().toString(36).slice(2),
    ...overrides,
  };
}

export function proxyEvent(init: {
  method?: string;
  resource: string;
  headers?: Record<string, string>;
  body?: string | null;
  isBase64Encoded?: boolean;
  domainName?: string;
  stage?: string;
  pathParameters?: Record<string, string>;
}): APIGatewayProxyEvent {
  return gatewayEvent({
    method: init.method,
    resource: init.resource,
    headers: init.headers,
    body: init.body,
    isBase64Encoded: init.isBase64Encoded,
    pathParameters: init.pathParameters,
    requestContext: {
      domainName: init.domainName ?? 'abc123defg.execute-api.eu-west-1.amazonaws.com',
      stage: init.stage ?? 'prod',
      requestId: 'req-1',
    },
  });
}

export function authorizerEvent(
  authorization: string | undefined,
  method = 'GET',
  resource = '/reading-list',
  path = resource,
): APIGatewayRequestAuthorizerEvent {
  return {
    type: 'REQUEST',
    methodArn: `${METHOD_ARN_BASE}/${method}${path}`,
    resource,
    path,
    httpMethod: method,
    headers: authorization === undefined ? {} : { Authorization: authorization },
    multiValueHeaders: null,
    pathParameters: null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    requestContext: {
      domainName: 'abc123defg.execute-api.eu-west-1.amazonaws.com',
      stage: 'prod',
    } as APIGatewayRequestAuthorizerEvent['requestContext'],
  } as APIGatewayRequestAuthorizerEvent;
}

/** Captures everything written to stdout/stderr and console until `restore()` is called. */
export function captureOutput(): { lines: string[]; restore: () => void } {
  return interceptOutput({ console: true });
}
