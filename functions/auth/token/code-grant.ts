import { isScopeToken, parseScope } from '../../runtime/auth/scopes';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { UsersRepository } from '../users/users';
import type { GrantStore } from './grant-store';
import { OAuthError } from './oauth-error';
import { verifierMatches } from './pkce';
import type { PublicClient } from './public-clients';

/** What the token endpoint needs for people's grants (authorization code and refresh token). */
export interface PeopleGrants {
  readonly clients: ReadonlyMap<string, PublicClient>;
  readonly users: UsersRepository;
  readonly grants: GrantStore;
  /** How long one sign-in lasts through rotations. @default 28800 (8 hours) */
  readonly refreshTokenTtlSeconds?: number;
}

export interface IssuedAccessToken {
  readonly accessToken: string;
  readonly expiresIn: number;
}

export type AccessTokenIssuer = (claims: {
  sub: string;
  clientId: string;
  scope: string;
}) => Promise<IssuedAccessToken>;

export interface TokenResponse {
  readonly access_token: string;
  readonly token_type: 'Bearer';
  readonly expires_in: number;
  readonly refresh_token: string;
  readonly scope: string;
}

const OPAQUE = /^[\x21-\x7E]{1,512}$/;

/**
 * `grant_type=authorization_code` (RFC 6749 §4.1.3) with PKCE (RFC 7636 §4.5): the code is
 * redeemed once, fleet-wide, and must have been issued to this client, for this exact redirect
 * URI and for the challenge this verifier answers. A code presented again revokes the refresh
 * tokens its first use started (RFC 6749 §4.1.2); the access token already issued lives on until
 * it expires (JWTs are not looked up).
 */
export async function exchangeCode(
  params: Map<string, string>,
  client: PublicClient,
  people: PeopleGrants,
  now: number,
  issue: AccessTokenIssuer,
  logger: Logger,
): Promise<TokenResponse> {
  const code = params.get('code');
  const redirectUri = params.get('redirect_uri');
  const verifier = params.get('code_verifier');
  if (!code) throw new OAuthError('invalid_request', 'code is required.');
  if (!redirectUri) throw new OAuthError('invalid_request', 'redirect_uri is required.');
  if (!verifier) throw new OAuthError('invalid_request', 'code_verifier is required (PKCE).');
  if (!OPAQUE.test(code)) throw new OAuthError('invalid_grant', 'The code is invalid or expired.');

  const redemption = await people.grants.redeemCode(code, now);
  if (redemption.kind === 'unknown') {
    throw new OAuthError('invalid_grant', 'The code is invalid or expired.');
  }
  if (redemption.kind === 'reused') {
    if (redemption.familyId) await people.grants.revokeFamily(redemption.familyId);
    logger.warn('Authorization code used twice: the tokens it issued are revoked', {
      audit: true,
      action: 'token.code_reuse',
      client_id: client.clientId,
    });
    throw new OAuthError('invalid_grant', 'The code was already used.');
  }
  const { grant, familyId } = redemption;
  // Every check below burns the code: a wrong verifier cannot be retried against it.
  if (grant.validUntil <= now) throw new OAuthError('invalid_grant', 'The code has expired.');
  if (grant.clientId !== client.clientId)
    throw new OAuthError('invalid_grant', 'The code was issued to another client.');
  if (grant.redirectUri !== redirectUri)
    throw new OAuthError('invalid_grant', 'redirect_uri does not match the authorization request.');
  if (!verifierMatches(verifier, grant.codeChallenge))
    throw new OAuthError('invalid_grant', 'The code_verifier does not match the code_challenge.');

  const refreshToken = await people.grants.startFamily({
    familyId,
    clientId: client.clientId,
    sub: grant.sub,
    scope: grant.scope,
    validUntil: now + 1000 * (people.refreshTokenTtlSeconds ?? 28_800),
  });
  if (!refreshToken) throw new OAuthError('invalid_grant', 'The code was already used.');
  const access = await issue({ sub: grant.sub, clientId: client.clientId, scope: grant.scope });
  logger.info('Tokens issued for a sign-in', {
    audit: true,
    action: 'token.authorization_code',
    sub: grant.sub,
    client_id: client.clientId,
    scope: grant.scope,
  });
  return {
    access_token: access.accessToken,
    token_type: 'Bearer',
    expires_in: access.expiresIn,
    refresh_token: refreshToken,
    scope: grant.scope,
  };
}

/**
 * `grant_type=refresh_token` (RFC 6749 §6) with rotation (RFC 9700 §4.14.2): each use returns a
 * new refresh token and retires the one presented; a retired one presented again revokes the
 * whole family, so a stolen token is worth one use at most before everyone must sign in again.
 * The person's current scopes are read again: a removed or disabled user ends here.
 */
export async function refreshTokens(
  params: Map<string, string>,
  client: PublicClient,
  people: PeopleGrants,
  now: number,
  issue: AccessTokenIssuer,
  logger: Logger,
): Promise<TokenResponse> {
  const presented = params.get('refresh_token');
  if (!presented) throw new OAuthError('invalid_request', 'refresh_token is required.');
  const requestedRaw = params.get('scope');
  const requested = requestedRaw === undefined ? undefined : parseScope(requestedRaw);
  if (requested && (requested.length === 0 || !requested.every(isScopeToken)))
    throw new OAuthError('invalid_scope', 'The scope parameter is malformed.');
  const invalid = () =>
    new OAuthError('invalid_grant', 'The refresh token is invalid, expired or revoked.');
  if (!OPAQUE.test(presented)) throw invalid();

  const rotation = await people.grants.rotate(presented, client.clientId, now);
  if (rotation.kind === 'invalid') throw invalid();
  if (rotation.kind === 'reused') {
    logger.warn('Refresh token reused: its family is revoked', {
      audit: true,
      action: 'token.refresh_reuse',
      sub: rotation.family.sub,
      client_id: client.clientId,
    });
    throw new OAuthError('invalid_grant', 'The refresh token was already used: sign in again.');
  }
  const { family } = rotation;
  const user = await people.users.find(family.sub);
  const allowed = parseScope(family.scope).filter((scope) => user?.scopes.includes(scope));
  if (!user || user.disabled || allowed.length === 0) {
    await people.grants.revokeFamily(family.familyId);
    throw invalid();
  }
  if (requested && !requested.every((scope) => allowed.includes(scope)))
    throw new OAuthError('invalid_scope', 'The requested scope exceeds the original grant.');
  const scope = (requested ?? allowed).join(' ');
  const access = await issue({ sub: family.sub, clientId: client.clientId, scope });
  logger.info('Tokens refreshed', {
    audit: true,
    action: 'token.refresh',
    sub: family.sub,
    client_id: client.clientId,
    scope,
  });
  return {
    access_token: access.accessToken,
    token_type: 'Bearer',
    expires_in: access.expiresIn,
    refresh_token: rotation.refreshToken,
    scope,
  };
}
