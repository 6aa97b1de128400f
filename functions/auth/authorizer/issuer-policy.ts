/**
 * What a trusted external issuer's token must be to open this API: an access token, granting only
 * the scopes its issuer may grant here. An issuer signs ID tokens (and more) with the same keys
 * as its access tokens, and an ID token's `aud` is the very client ID an operator may configure as
 * `audience`; so the token's kind is checked, with rules that hold for the access tokens of Amazon
 * Cognito, Keycloak, Auth0, Okta and Entra ID:
 * - header `typ`, when present, is `at+jwt` (RFC 9068, `application/` optional) or `JWT`;
 * - `token_use`, when present, is `access` (Cognito's ID tokens say `id`);
 * - a `typ` claim, when present, is `Bearer` (Keycloak's ID tokens say `ID`, refresh tokens
 *   `Refresh`);
 * - no `at_hash` or `c_hash` (OpenID Connect Core §3.1.3.6, §3.3.2.11: ID-token claims only);
 * - the issuer's scope claim is present (ID tokens carry none).
 */

/** The token is not an access token; `reason` is safe to log. */
export class NotAnAccessToken extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'NotAnAccessToken';
  }
}

const ACCESS_TOKEN_TYP = new Set(['at+jwt', 'application/at+jwt', 'jwt', 'application/jwt']);

export function checkAccessTokenUse(
  header: Readonly<Record<string, unknown>>,
  payload: Readonly<Record<string, unknown>>,
  scopeClaim: string,
): void {
  const typ = header.typ;
  if (typ !== undefined && (typeof typ !== 'string' || !ACCESS_TOKEN_TYP.has(typ.toLowerCase())))
    throw new NotAnAccessToken('not_an_access_token:typ');
  if (payload.token_use !== undefined && payload.token_use !== 'access')
    throw new NotAnAccessToken('not_an_access_token:token_use');
  if (
    payload.typ !== undefined &&
    (typeof payload.typ !== 'string' || payload.typ.toLowerCase() !== 'bearer')
  )
    throw new NotAnAccessToken('not_an_access_token:typ_claim');
  if (payload.at_hash !== undefined || payload.c_hash !== undefined)
    throw new NotAnAccessToken('not_an_access_token:id_token_claim');
  if (!Object.hasOwn(payload, scopeClaim)) throw new NotAnAccessToken('not_an_access_token:scope');
}

/**
 * The scopes an external token is granted: those it carries that its issuer may grant here.
 * `ignored` lists the rest (for the log; the policy denies every route that needs them).
 */
export function grantableScopes(
  scopes: readonly string[],
  allowed: readonly string[],
): { granted: string[]; ignored: string[] } {
  const granted: string[] = [];
  const ignored: string[] = [];
  for (const scope of scopes) (allowed.includes(scope) ? granted : ignored).push(scope);
  return { granted, ignored };
}
