import { jwksUriOf, tokenEndpointOf } from '../../runtime/auth/issuer';
import { ASSERTION_ALGORITHMS, CLIENT_AUTH_METHODS } from './client-auth';

/** The authorization endpoint of an issuer (people's sign-in). */
export function authorizationEndpointOf(issuer: string): string {
  return `${issuer}/oauth2/authorize`;
}

/**
 * RFC 8414 authorization server metadata. With people's sign-in (`withPeople`), the
 * authorization endpoint, the code and refresh grants, PKCE S256 only, public clients
 * (`none`) and RFC 9207's `iss` in authorization responses; without it, client_credentials only
 * and `response_types_supported` is empty (RFC 7591 §2 uses the same empty list for clients that
 * use no authorization endpoint).
 */
export function authorizationServerMetadata(
  issuer: string,
  scopesSupported: readonly string[],
  withPeople = false,
) {
  return {
    issuer,
    ...(withPeople ? { authorization_endpoint: authorizationEndpointOf(issuer) } : {}),
    token_endpoint: tokenEndpointOf(issuer),
    jwks_uri: jwksUriOf(issuer),
    grant_types_supported: withPeople
      ? ['client_credentials', 'authorization_code', 'refresh_token']
      : ['client_credentials'],
    response_types_supported: withPeople ? ['code'] : ([] as string[]),
    ...(withPeople
      ? {
          response_modes_supported: ['query'],
          code_challenge_methods_supported: ['S256'],
          authorization_response_iss_parameter_supported: true,
        }
      : {}),
    token_endpoint_auth_methods_supported: withPeople
      ? [...CLIENT_AUTH_METHODS, 'none']
      : [...CLIENT_AUTH_METHODS],
    token_endpoint_auth_signing_alg_values_supported: [...ASSERTION_ALGORITHMS],
    ...(scopesSupported.length > 0 ? { scopes_supported: [...scopesSupported] } : {}),
  };
}

/**
 * `/.well-known/openid-configuration`, for clients and JWT libraries that discover by the OIDC
 * path. This server issues no ID tokens and has no userinfo endpoint: it carries the
 * OIDC-required members only where a truthful value exists (`subject_types_supported:
 * ["public"]` — `sub` is the client ID of a machine, the username of a person) and states an
 * empty `id_token_signing_alg_values_supported` rather than advertise what it does not do.
 */
export function openIdConfiguration(
  issuer: string,
  scopesSupported: readonly string[],
  withPeople = false,
) {
  return {
    ...authorizationServerMetadata(issuer, scopesSupported, withPeople),
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [] as string[],
  };
}
