import * as z from 'zod';
import { jwksUriOf } from '../../runtime/auth/issuer';

export const VERIFY_ALGORITHMS = [
  'ES256',
  'ES384',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'EdDSA',
] as const;

/**
 * One issuer the authorizer trusts. TRUSTED_ISSUERS is a JSON list of these; the platform's own
 * issuer is added from ISSUER_URL / JWKS_URL / ACCESS_TOKEN_AUDIENCE.
 *
 * - `audience`: the accepted `aud` value(s) (RFC 9068 / RFC 7519 §4.1.3).
 * - `clientIds`: accepted `client_id` (or `azp`) values. Amazon Cognito access tokens carry no
 *   `aud` at all — they name the app client in `client_id` and say `token_use: "access"` — so for
 *   Cognito configure `clientIds` and `requiredClaims: { "token_use": "access" }` instead of
 *   `audience`. At least one of `audience` / `clientIds` is required: an issuer's tokens minted for
 *   some other application must not open this API.
 * - `scopeClaim`: where the scopes are (`scope`, space-separated, for RFC 9068, Cognito, Keycloak,
 *   Auth0; `scp` — string or array — for Okta / Entra ID).
 * - `requireTyp`: demand `typ: at+jwt` (RFC 9068). True for the own issuer; off by default for
 *   external issuers, most of which (Cognito, Keycloak) do not set it.
 * - `allowedScopes`: the scopes this issuer may grant here. A scope its token carries outside the
 *   list is not granted (routes needing it answer 403); default none, so an issuer grants nothing
 *   until its scopes are listed. `platform/admin` only ever comes from an issuer that lists it.
 * External tokens must also look like access tokens (see issuer-policy.ts): ID tokens are refused.
 */
export const IssuerConfigSchema = z
  .object({
    issuer: z.url(),
    jwksUri: z.url(),
    audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    clientIds: z.array(z.string().min(1)).min(1).optional(),
    scopeClaim: z.string().min(1).default('scope'),
    requireTyp: z.boolean().default(false),
    algorithms: z.array(z.enum(VERIFY_ALGORITHMS)).min(1).optional(),
    requiredClaims: z.record(z.string(), z.string()).optional(),
    // RFC 6749 §3.3 scope-token characters.
    allowedScopes: z
      .array(z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, 'a scope token'))
      .default([]),
  })
  .refine((value) => value.audience !== undefined || value.clientIds !== undefined, {
    message: 'set audience or clientIds',
  });
export type IssuerConfig = z.infer<typeof IssuerConfigSchema>;

export interface AuthorizerSettings {
  /** The platform's own issuer, when fixed by ISSUER_URL; otherwise derived per request. */
  readonly ownIssuer?: string;
  readonly ownJwksUri?: string;
  readonly ownAudience?: string;
  readonly trusted: IssuerConfig[];
  readonly algorithms: string[];
  readonly clockToleranceSeconds: number;
  readonly maxTokenLength: number;
  readonly jwksCooldownMs: number;
  readonly jwksCacheMaxAgeMs: number;
  /** How long past `jwksCacheMaxAgeMs` the last good key set serves while its refresh fails. */
  readonly jwksMaxStaleMs: number;
  readonly verifiedCacheMaxEntries: number;
  /**
   * The platform's access-token lifetime: its own tokens may not live longer (`exp − iat`, plus
   * the clock tolerance), and no verified token of any issuer stays cached longer.
   */
  readonly accessTokenTtlSeconds: number;
}

export function ownIssuerConfig(settings: AuthorizerSettings, issuer: string): IssuerConfig {
  return {
    issuer,
    jwksUri: settings.ownJwksUri ?? jwksUriOf(issuer),
    audience: settings.ownAudience ?? issuer,
    scopeClaim: 'scope',
    requireTyp: true,
    // Unused for the own issuer: its scopes are the token service's to grant.
    allowedScopes: [],
  };
}

export function authorizerSettingsFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): AuthorizerSettings {
  const int = (value: string | undefined, fallback: number) =>
    value && /^\d+$/.test(value) ? Number(value) : fallback;
  return {
    ownIssuer: env.ISSUER_URL ? env.ISSUER_URL.replace(/\/+$/, '') : undefined,
    ownJwksUri: env.JWKS_URL || undefined,
    ownAudience: env.ACCESS_TOKEN_AUDIENCE || undefined,
    trusted: z.array(IssuerConfigSchema).parse(JSON.parse(env.TRUSTED_ISSUERS || '[]')),
    algorithms: z
      .array(z.enum(VERIFY_ALGORITHMS))
      .min(1)
      .parse(
        (env.ALLOWED_ALGORITHMS ?? 'ES256,RS256')
          .split(',')
          .map((a) => a.trim())
          .filter(Boolean),
      ),
    clockToleranceSeconds: int(env.CLOCK_TOLERANCE_SECONDS, 30),
    maxTokenLength: int(env.MAX_TOKEN_LENGTH, 8192),
    jwksCooldownMs: int(env.JWKS_COOLDOWN_SECONDS, 30) * 1000,
    jwksCacheMaxAgeMs: int(env.JWKS_CACHE_MAX_AGE_SECONDS, 600) * 1000,
    jwksMaxStaleMs: int(env.JWKS_MAX_STALE_SECONDS, 3600) * 1000,
    verifiedCacheMaxEntries: int(env.VERIFIED_TOKEN_CACHE_ENTRIES, 5000),
    // The token service's default too.
    accessTokenTtlSeconds: int(env.ACCESS_TOKEN_TTL_SECONDS, 900) || 900,
  };
}
