export { jwksUriOf, resolveIssuer, tokenEndpointOf, type GatewayLocation } from './issuer';
export {
  CachedKeyDocument,
  currentKey,
  emptyKeyDocument,
  generateSigningKey,
  InMemoryKeyStore,
  jwksOf,
  KeyDocumentSchema,
  keyStoreFromEnv,
  parseKeyDocument,
  publishedKeys,
  SIGNING_ALGORITHMS,
  SsmKeyStore,
  type SsmKeyStoreLocation,
  StoredKeySchema,
  toPublicJwk,
  type KeyDocument,
  type KeyStatus,
  type KeyStore,
  type SigningAlgorithm,
  type StoredKey,
} from './key-store';
export {
  findRouteRule,
  parseRouteScopes,
  resourceToArnPath,
  RouteScopeRuleSchema,
  RouteScopesSchema,
  ruleSatisfiedBy,
  type RouteScopeRule,
  type RouteScopeRuleInput,
} from './route-scopes';
export { hasAllScopes, isScopeToken, parseScope, requireScopes } from './scopes';
