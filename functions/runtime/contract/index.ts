/**
 * The contract between the constructs (lib/) and the runtime (functions/): names and defaults
 * both sides must agree on, defined once. No dependencies, so a Lambda bundle and a CDK app can
 * both import it.
 */
export * from './admin-routes';
export * from './audit';
export * from './auth-parameters';
export * from './breaker';
export * from './console';
export * from './environment';
export * from './logs';
export * from './messaging';
export * from './metrics';
export * from './route-scopes';
export * from './service-environment';
