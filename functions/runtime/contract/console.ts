/**
 * The operator console: the public OAuth2 client it logs in as, the scopes it asks for, its
 * routes on the gateway and the environment its function reads.
 */
export const CONSOLE_CLIENT_ID = 'console';

/** Views need the read scope; actions (force, reset, faults, flags, redrive) the admin scope. */
export const CONSOLE_READ_SCOPE = 'platform/read';
export const CONSOLE_SCOPES = [CONSOLE_READ_SCOPE, 'platform/admin'] as const;

/** The console's page, its login callback, its settings and its two files (public routes). */
export const CONSOLE_ROUTES = [
  '/console',
  '/console/callback',
  '/console/config',
  '/console/assets/{file}',
] as const;

/** Where the authorization server sends the operator back: `<gateway URL>/console/callback`. */
export const CONSOLE_CALLBACK_PATH = '/console/callback';

export const CONSOLE_ENV = {
  /** The client ID the page logs in with. */
  clientId: 'CONSOLE_CLIENT_ID',
  /** Space-separated scopes the page asks for. */
  scopes: 'CONSOLE_SCOPES',
  /** A Zipkin UI to link traces to (set by the local platform); X-Ray's console otherwise. */
  zipkinUrl: 'CONSOLE_ZIPKIN_URL',
} as const;
