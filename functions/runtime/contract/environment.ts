/**
 * Environment variable names the constructs (lib/) set and the functions (functions/) read,
 * grouped by the function that reads them. Both sides import these constants, so a renamed
 * variable is renamed on both sides at once.
 */

/** Every function the platform deploys (platform functions and services alike). */
export const PLATFORM_ENV = {
  platformName: 'PLATFORM_NAME',
  stage: 'PLATFORM_STAGE',
  /** Powertools' own variables: the service dimension, the metrics namespace, the log level. */
  powertoolsServiceName: 'POWERTOOLS_SERVICE_NAME',
  powertoolsMetricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
  powertoolsLogLevel: 'POWERTOOLS_LOG_LEVEL',
  /** `true` where there is no X-Ray (a LocalStack target): the Tracer records nothing. */
  powertoolsTraceDisabled: 'POWERTOOLS_TRACE_DISABLED',
} as const;

/** A service function (the `Microservice` construct). */
export const SERVICE_ENV = {
  serviceName: 'SERVICE_NAME',
  version: 'SERVICE_VERSION',
  /** The service's own table. */
  tableName: 'TABLE_NAME',
  /** Circuit state and injected faults, shared by the platform. */
  resilienceTableName: 'RESILIENCE_TABLE_NAME',
} as const;

/**
 * The attribute (epoch seconds) after which DynamoDB deletes an item of a service's own table:
 * the table's TTL setting and the consumers' idempotency records both use it, so processed-event
 * records do not pile up forever.
 */
export const SERVICE_TABLE_TTL_ATTRIBUTE = 'expiresAt';

/**
 * Service discovery (Cloud Map): services, the health control loop, the admin API. Unset on a
 * LocalStack target (no Cloud Map): services then call each other by the function names their
 * dependencies set (`serviceFunctionEnvironmentName`).
 */
export const DISCOVERY_ENV = {
  namespace: 'SERVICE_DISCOVERY_NAMESPACE',
  namespaceId: 'SERVICE_DISCOVERY_NAMESPACE_ID',
} as const;

/**
 * Central configuration: the SSM hierarchy and AppConfig. The AppConfig pair is unset on a
 * LocalStack target: configuration is SSM only and feature flags read as off (or the default).
 */
export const CONFIG_ENV = {
  servicePath: 'CONFIG_SERVICE_PATH',
  sharedPath: 'CONFIG_SHARED_PATH',
  application: 'APPCONFIG_APPLICATION',
  environment: 'APPCONFIG_ENVIRONMENT',
  /** See CONFIG_MAX_AGE_SECONDS_DEFAULT. */
  maxAgeSeconds: 'CONFIG_MAX_AGE_SECONDS',
} as const;

/**
 * How long a function keeps a configuration value before reading it again (the construct's
 * `configMaxAge`, the reader's `maxAgeSeconds`).
 */
export const CONFIG_MAX_AGE_SECONDS_DEFAULT = 30;

/** The health control loop. */
export const CONTROL_LOOP_ENV = {
  probeTimeoutMs: 'HEALTH_PROBE_TIMEOUT_MS',
} as const;

/** Time one health probe of one instance may take. */
export const HEALTH_PROBE_TIMEOUT_MS_DEFAULT = 3000;

/** The token service, the key rotation and the authorizer. */
export const AUTH_ENV = {
  issuerUrl: 'ISSUER_URL',
  jwksUrl: 'JWKS_URL',
  audience: 'ACCESS_TOKEN_AUDIENCE',
  accessTokenTtlSeconds: 'ACCESS_TOKEN_TTL_SECONDS',
  clockToleranceSeconds: 'CLOCK_TOLERANCE_SECONDS',
  keyCacheSeconds: 'KEY_CACHE_SECONDS',
  scopesSupported: 'SCOPES_SUPPORTED',
  clientsTableName: 'CLIENTS_TABLE_NAME',
  assertionReplayTableName: 'ASSERTION_REPLAY_TABLE_NAME',
  /** Where each signing key's private half is one SecureString (see auth-parameters). */
  signingKeysPath: 'SIGNING_KEYS_PATH',
  /** The key set's state: statuses and dates, no key material. */
  signingKeySetParameter: 'SIGNING_KEY_SET_PARAMETER',
  /** The customer-managed KMS key the private halves are encrypted with. */
  signingKeysKmsKeyId: 'SIGNING_KEYS_KMS_KEY_ID',
  signingAlgorithm: 'SIGNING_ALGORITHM',
  retiredKeyGraceSeconds: 'RETIRED_KEY_GRACE_SECONDS',
  minNextKeyAgeSeconds: 'MIN_NEXT_KEY_AGE_SECONDS',
  allowedAlgorithms: 'ALLOWED_ALGORITHMS',
  trustedIssuers: 'TRUSTED_ISSUERS',
  maxTokenLength: 'MAX_TOKEN_LENGTH',
  jwksCooldownSeconds: 'JWKS_COOLDOWN_SECONDS',
  jwksCacheMaxAgeSeconds: 'JWKS_CACHE_MAX_AGE_SECONDS',
  /** How long past its cache age the authorizer's last good key set serves while refreshes fail. */
  jwksMaxStaleSeconds: 'JWKS_MAX_STALE_SECONDS',
  verifiedTokenCacheEntries: 'VERIFIED_TOKEN_CACHE_ENTRIES',
  usagePlanKeysParameter: 'USAGE_PLAN_KEYS_PARAMETER',
  routeScopes: 'ROUTE_SCOPES',
  routeScopesPath: 'ROUTE_SCOPES_PATH',
  routeScopesCacheSeconds: 'ROUTE_SCOPES_CACHE_SECONDS',
  routeScopesMissCooldownSeconds: 'ROUTE_SCOPES_MISS_COOLDOWN_SECONDS',
  /** People's sign-in: the users table (key `username`). */
  usersTableName: 'USERS_TABLE_NAME',
  /** Codes, refresh-token families and failed-login counters (key `pk`, TTL `expiresAt`). */
  grantsTableName: 'GRANTS_TABLE_NAME',
  /** JSON list of public clients: `[{ clientId, redirectUris, scopes, name? }]`. */
  publicClients: 'PUBLIC_CLIENTS',
  refreshTokenTtlSeconds: 'REFRESH_TOKEN_TTL_SECONDS',
  authorizationCodeTtlSeconds: 'AUTHORIZATION_CODE_TTL_SECONDS',
} as const;

/**
 * The variable naming the function of a service this one calls (set by
 * `addServiceDependency`): `SERVICE_<NAME>_FUNCTION_NAME`, the name upper-cased with `-` as `_`.
 */
export function serviceFunctionEnvironmentName(serviceName: string): string {
  return `SERVICE_${serviceName.toUpperCase().replace(/-/g, '_')}_FUNCTION_NAME`;
}
