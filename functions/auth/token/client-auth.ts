import {
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  importJWK,
  jwtVerify,
  type JWK,
  type JWTPayload,
} from 'jose';
import { findHeader } from '../../runtime/observability/correlation';
import type { ClientRecord, ClientsRepository } from './clients';
import { isClientUsable, verifyClientSecret } from './clients';
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
type AssertionAlgorithm = (typeof ASSERTION_ALGORITHMS)[number];

export interface AuthenticatedClient {
  readonly client: ClientRecord;
  readonly method: ClientAuthMethod;
}

export interface ClientAuthContext {
  readonly clients: ClientsRepository;
  readonly replay: ReplayStore;
  /** The issuer identifier: the one audience a client assertion may name. */
  readonly issuer: string;
  /** Only to tell a client that names it as `aud` to name the issuer instead. */
  readonly tokenEndpoint: string;
  readonly now: Date;
  readonly clockToleranceSeconds: number;
  /** Longest accepted assertion lifetime, `exp - iat` (the service's default is 300 s). */
  readonly maxAssertionLifetimeSeconds: number;
  readonly realm: string;
}

const CLIENT_ID = /^[\x21-\x7E]{1,256}$/;

/**
 * Authenticates the client by exactly one method (RFC 6749 §2.3): HTTP Basic, client_secret in
 * the body, or a private_key_jwt assertion (RFC 7523 §2.2). Every failure to authenticate is the
 * same `invalid_client` (unknown, disabled or expired client, wrong secret or signature), after
 * the same hashing or signature-verification work, so neither the answer nor its timing reveals
 * which clients exist.
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
  const presented = secret.slice(0, 1024);
  const client =
    CLIENT_ID.test(clientId) && secret.length <= 1024
      ? await ctx.clients.find(clientId)
      : undefined;
  const usable = client && isClientUsable(client, ctx.now) ? client.secretHash : undefined;
  return (await verifyClientSecret(presented, usable)) ? client : undefined;
}

/**
 * `typ` values a client assertion may carry (RFC 7515 §4.1.9: case-insensitive, `application/`
 * optional): none, `JWT`, or the explicit type of draft-ietf-oauth-rfc7523bis. Anything else —
 * above all an access token's `at+jwt` (RFC 9068) — is some other JWT replayed as an assertion.
 */
const ASSERTION_TYPES = new Set(['jwt', 'client-authentication+jwt']);

function isAssertionType(typ: unknown): boolean {
  if (typ === undefined) return true;
  return (
    typeof typ === 'string' && ASSERTION_TYPES.has(typ.toLowerCase().replace(/^application\//, ''))
  );
}

/**
 * `aud` must name this server's issuer identifier and nothing else (draft-ietf-oauth-rfc7523bis,
 * which closes the attack where an assertion meant for one server is accepted by another): a string,
 * or an array holding exactly that one value (the same claim under RFC 7519 §4.1.3). The token
 * endpoint URL, which RFC 7523 also allowed, is refused, as is any array with a second value.
 */
function isOwnAudience(aud: unknown, issuer: string): boolean {
  return aud === issuer || (Array.isArray(aud) && aud.length === 1 && aud[0] === issuer);
}

// Public keys nobody holds the private half of, verified against for clients that cannot
// authenticate by assertion, so that they cost the same signature check as one that can.
const dummyKeys = new Map<AssertionAlgorithm, Promise<JWK>>();

function dummyJwk(alg: AssertionAlgorithm): Promise<JWK> {
  let jwk = dummyKeys.get(alg);
  if (!jwk) {
    jwk = generateKeyPair(alg, { extractable: true }).then(({ publicKey }) => exportJWK(publicKey));
    jwk.catch(() => dummyKeys.delete(alg));
    dummyKeys.set(alg, jwk);
  }
  return jwk;
}

function keyFits(jwk: JWK, alg: AssertionAlgorithm): boolean {
  return alg === 'ES256' ? jwk.kty === 'EC' && jwk.crv === 'P-256' : jwk.kty === 'RSA';
}

/**
 * private_key_jwt (RFC 7523 §3): signature by the client's registered key with an allowed
 * algorithm, `iss` = `sub` = client ID, `aud` = the issuer alone, `iat` not in the future,
 * `exp - iat` at most `maxAssertionLifetimeSeconds`, a single-use `jti`, an assertion `typ`.
 */
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

  // Checks on the unverified header and subject come first: they answer the same whether or not
  // the client exists.
  let claimedId: unknown;
  let alg: AssertionAlgorithm;
  try {
    const header = decodeProtectedHeader(assertion);
    if (!ASSERTION_ALGORITHMS.includes(header.alg as AssertionAlgorithm)) throw fail();
    alg = header.alg as AssertionAlgorithm;
    if (!isAssertionType(header.typ)) throw fail('The client assertion has the wrong typ.');
    claimedId = decodeJwt(assertion).sub;
  } catch (error) {
    throw error instanceof OAuthError ? error : fail();
  }
  if (typeof claimedId !== 'string' || !CLIENT_ID.test(claimedId)) throw fail();
  const bodyClientId = params.get('client_id');
  if (bodyClientId !== undefined && bodyClientId !== claimedId) throw fail();

  const found = await ctx.clients.find(claimedId);
  const client =
    found && isClientUsable(found, ctx.now) && found.publicJwk && keyFits(found.publicJwk, alg)
      ? found
      : undefined;
  // The same import and signature check whether or not the client may authenticate this way.
  let payload: JWTPayload | undefined;
  try {
    const key = await importJWK(client ? client.publicJwk! : await dummyJwk(alg), alg);
    ({ payload } = await jwtVerify(assertion, key, {
      algorithms: [alg],
      issuer: claimedId,
      subject: claimedId,
      // aud is checked below, stricter than jose's any-of-the-array match.
      requiredClaims: ['exp', 'iat', 'jti'],
      clockTolerance: ctx.clockToleranceSeconds,
      currentDate: ctx.now,
    }));
  } catch {
    payload = undefined;
  }
  if (!client || !payload) throw fail();

  if (!isOwnAudience(payload.aud, ctx.issuer)) {
    throw fail(
      isOwnAudience(payload.aud, ctx.tokenEndpoint)
        ? 'The client assertion must name the issuer identifier as its audience.'
        : 'The client assertion must name this server alone as its audience.',
    );
  }
  const nowSeconds = Math.floor(ctx.now.getTime() / 1000);
  const iat = payload.iat!;
  const exp = payload.exp!;
  if (iat > nowSeconds + ctx.clockToleranceSeconds)
    throw fail('The client assertion is issued in the future.');
  if (exp - iat > ctx.maxAssertionLifetimeSeconds)
    throw fail('The client assertion lives too long.');
  if (typeof payload.jti !== 'string' || !payload.jti || payload.jti.length > 256) throw fail();
  const fresh = await ctx.replay.claim(
    `${client.clientId}#${payload.jti}`,
    exp + ctx.clockToleranceSeconds,
  );
  if (!fresh) throw fail('The client assertion was already used.');
  return client;
}
