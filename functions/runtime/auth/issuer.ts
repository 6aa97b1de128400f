import { findHeader } from '../observability/correlation';

/** The parts of a gateway event (proxy or REQUEST authorizer) that locate the API. */
export interface GatewayLocation {
  readonly headers?: Record<string, string | undefined> | null;
  readonly requestContext?: { readonly domainName?: string; readonly stage?: string } | null;
}

const EXECUTE_API_DOMAIN = /^[a-z0-9]+\.execute-api\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/i;
const LOCAL_HOST = /^(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/i;
const HOST = /^[A-Za-z0-9.-]{1,253}(:\d{1,5})?$/;
const STAGE = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * The issuer identifier (RFC 8414 §2: https, no query or fragment, no trailing slash).
 *
 * ISSUER_URL wins when configured — set it in every deployment, so that tokens do not depend on
 * the host name a client happened to use. Otherwise it is derived from where the request arrived:
 * - the default `{api}.execute-api.{region}.amazonaws.com` endpoint → `https://{domain}/{stage}`
 *   (the stage is the first path segment there);
 * - any other (custom) domain → `https://{domain}` (a base-path mapping cannot be seen from the
 *   event: configure ISSUER_URL then);
 * - localhost / 127.0.0.1 (the local platform) → `http://{host}` plus the stage when one is set.
 * Returns undefined when nothing usable is known.
 */
export function resolveIssuer(location: GatewayLocation, configured?: string): string | undefined {
  if (configured) return configured.replace(/\/+$/, '');
  const domain = location.requestContext?.domainName ?? findHeader(location.headers, 'host');
  if (!domain || !HOST.test(domain)) return undefined;
  const stage = location.requestContext?.stage;
  const stagePath = stage && STAGE.test(stage) && stage !== '$default' ? `/${stage}` : '';
  if (EXECUTE_API_DOMAIN.test(domain)) return `https://${domain.toLowerCase()}${stagePath}`;
  if (LOCAL_HOST.test(domain)) return `http://${domain.toLowerCase()}${stagePath}`;
  return `https://${domain.toLowerCase()}`;
}

/** Token endpoint and JWKS URLs of an issuer. */
export function tokenEndpointOf(issuer: string): string {
  return `${issuer}/oauth2/token`;
}

export function jwksUriOf(issuer: string): string {
  return `${issuer}/.well-known/jwks.json`;
}
