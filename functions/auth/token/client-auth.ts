import { decodeJwt, importJWK, jwtVerify, type JWK } from 'jose';
import { findHeader } from '../../runtime/observability/correlation';
import type { ClientRecord, ClientsRepository } from './clients';
import { verifyClientSecret } from './clients';
import { OAuthError } from './oauth-error';
import type { ReplayStore } from './replay';

export const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
export const CLIENT_AUTH_METHODS = [
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
] as const;
export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number];
export const ASSERTION_ALGORITHMS = ['ES256', 'RS256'] as const;

export interface AuthenticatedClient {
  readonly client: ClientRecord;
  readonly method: ClientAuthMethod;
}

export interface ClientAuthContext {
  readonly clients: ClientsRepository;
  readonly replay: ReplayStore;
  readonly issuer: string;
  readonly tokenEndpoint: string;
  readonly now: Date;
  readonly clockToleranceSeconds: number;
  /** Longest accepted assertion lifetime (exp - now). */
  readonly maxAssertionLifetimeSeconds: number;
  readonly realm: string;
}

const CLIENT_ID = /^[\x21-\x7E]{1,256}$/;

/**
 * Authenticates the client by exactly one method (RFC 6749 §2.3): HTTP Basic, client_secret in
 * the body, or a private_key_jwt assertion (RFC 7523 §2.2). Every failure to authenticate is the
 * same `invalid_client` (unknown client, wrong secret, disabled client), after the same scrypt
 * work, so the answer does not reveal which clients exist.
 */
export async function authenticateClient(
  headers: Record<string, string | undefined> | null,
  params: Map<string, string>,
  ctx: ClientAuthContext,
): Promise<AuthenticatedClient> {
  const authorization = findHeader(headers, 'authorization');
  const usesBasic = authorization !== undefined;
  const usesPost = params.has('client_secret');
  const usesJwt = params.has('client_assertion') || params.has('client_assertion_type');
  const basicChallenge = { 'www-authenticate': `Basic realm="${ctx.realm}", charset="UTF-8"` };

  if (Number(usesBasic) + Number(usesPost) + Number(usesJwt) > 1) {
    throw new OAuthError('invalid_request', 'Use exactly one client authentication method.');
  }
  if (usesBasic) {
    const credentials = parseBasic(authorization);
    if (!credentials) {
      throw new OAuthError('invalid_client', 'Client authentication failed.', 401, basicChallenge);
    }
    const bodyClientId = params.get('client_id');
    if (bodyClientId !== undefined && bodyClientId !== credentials.clientId) {
      throw new OAuthError('invalid_request', 'client_id does not match the authenticated client.');
    }
    const client = await checkSecret(credentials.clientId, credentials.secret, ctx);
    if (!client)
      throw new OAuthError('invalid_client', 'Client authentication failed.', 401, basicChallenge);
    return { client, method: 'client_secret_basic' };
  }
  if (usesPost) {
    const clientId = params.get('client_id');
    if (!clientId)
      throw new OAuthError('invalid_request', 'client_id is required with client_secret.');
    const client = await checkSecret(clientId, params.get('client_secret')!, ctx);
    if (!client) throw new OAuthError('invalid_client', 'Client authentication failed.', 401);
    return { client, method: 'client_secret_post' };
  }
  if (usesJwt) {
    return { client: await checkAssertion(params, ctx), method: 'private_key_jwt' };
  }
  throw new OAuthError('invalid_client', 'Client authentication is required.', 401, basicChallenge);
}

function parseBasic(header: string | undefined): { clientId: string; secret: string } | undefined {
  const match = header ? /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header) : null;
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  try {
    // RFC 6749 §2.3.1: both parts are form-urlencoded before Basic encoding.
    const clientId = formDecode(decoded.slice(0, colon));
    const secret = formDecode(decoded.slice(colon + 1));
    return CLIENT_ID.test(clientId) && secret ? { clientId, secret } : undefined;
  } catch {
    return undefined;
  }
}

function formDecode(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, ' '));
}

async function checkSecret(
  clientId: string,
  secret: string,
  ctx: ClientAuthContext,
): Promise<ClientRecord | undefined> {
  const client =
    CLIENT_ID.test(clientId) && secret.length <= 1024
      ? await ctx.clients.find(clientId)
      : undefined;
  const usable = client && !client.disabled ? client.secretHash : undefined;
  const ok = await verifyClientSecret(secret.slice(0, 1024), usable);
  return ok ? client : undefined;
}

async function checkAssertion(
  params: Map<string, string>,
  ctx: ClientAuthContext,
): Promise<ClientRecord> {
  const fail = (description = 'Client authentication failed.') =>
    new OAuthError('invalid_client', description, 401);
  if (params.get('client_assertion_type') !== JWT_BEARER_ASSERTION_TYPE) {
    throw new OAuthError(
      'invalid_request',
      `client_assertion_type must be ${JWT_BEARER_ASSERTION_TYPE}.`,
    );
  }
  const assertion = params.get('client_assertion');
  if (!assertion) throw new OAuthError('invalid_request', 'client_assertion is required.');

  let claimedId: unknown;
  try {
    claimedId = decodeJwt(assertion).sub;
  } catch {
    throw fail();
  }
  if (typeof claimedId !== 'string' || !CLIENT_ID.test(claimedId)) throw fail();
  const bodyClientId = params.get('client_id');
  if (bodyClientId !== undefined && bodyClientId !== claimedId) throw fail();

  const client = await ctx.clients.find(claimedId);
  if (!client || client.disabled || !client.publicJwk) throw fail();

  let payload;
  try {
    const jwk = client.publicJwk as JWK;
    const allowed = ASSERTION_ALGORITHMS.filter((alg) =>
      jwk.kty === 'EC' ? alg === 'ES256' : alg === 'RS256',
    );
    const key = await importJWK(jwk, jwk.alg ?? allowed[0]);
    ({ payload } = await jwtVerify(assertion, key, {
      algorithms: [...allowed],
      issuer: client.clientId,
      subject: client.clientId,
      audience: [ctx.tokenEndpoint, ctx.issuer],
      requiredClaims: ['exp', 'jti'],
      clockTolerance: ctx.clockToleranceSeconds,
      currentDate: ctx.now,
    }));
  } catch {
    throw fail();
  }
  const nowSeconds = Math.floor(ctx.now.getTime() / 1000);
  const exp = payload.exp!;
  if (exp - nowSeconds > ctx.maxAssertionLifetimeSeconds)
    throw fail('The client assertion lives too long.');
  if (typeof payload.jti !== 'string' || !payload.jti || payload.jti.length > 256) throw fail();
  const fresh = await ctx.replay.claim(
    `${client.clientId}#${payload.jti}`,
    exp + ctx.clockToleranceSeconds,
  );
  if (!fresh) throw fail('The client assertion was already used.');
  return client;
}
