import { jwksUriOf, tokenEndpointOf } from '../../runtime/auth/issuer';
import { ASSERTION_ALGORITHMS, CLIENT_AUTH_METHODS } from './client-auth';

/**
 * RFC 8414 authorization server metadata. Only the client_credentials grant exists, so there is
 * no authorization endpoint and `response_types_supported` is empty (RFC 7591 §2 uses the same
 * empty list for clients that use no authorization endpoint).
 */
export function authorizationServerMetadata(issuer: string, scopesSupported: readonly string[]) {
  return {
    issuer,
    token_endpoint: tokenEndpointOf(issuer),
    jwks_uri: jwksUriOf(issuer),
    grant_types_supported: ['client_credentials'],
    response_types_supported: [] as string[],
    token_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS],
    token_endpoint_auth_signing_alg_values_supported: [...ASSERTION_ALGORITHMS],
    ...(scopesSupported.length > 0 ? { scopes_supported: [...scopesSupported] } : {}),
  };
}

/**
 * `/.well-known/openid-configuration`, for clients and JWT libraries that discover by the OIDC
 * path. This server is not an OpenID Provider: it issues no ID tokens and has no authorization or
 * userinfo endpoint. It therefore carries the OIDC-required members only where a truthful value
 * exists (`subject_types_supported: ["public"]` — `sub` is the client_id for everyone) and states
 * empty lists for `response_types_supported` and `id_token_signing_alg_values_supported` rather
 * than advertising capabilities it does not have; `authorization_endpoint` is omitted.
 */
export function openIdConfiguration(issuer: string, scopesSupported: readonly string[]) {
  return {
    ...authorizationServerMetadata(issuer, scopesSupported),
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [] as string[],
  };
}
