import { Construct } from 'constructs';
import type { PlatformGateway } from '../gateway/platform-gateway';
import type { IMicroservicePlatform } from '../platform/platform-attributes';
import { PlatformFunction } from '../service/platform-function';
import {
  CONSOLE_CLIENT_ID,
  CONSOLE_ENV,
  CONSOLE_ROUTES,
  CONSOLE_SCOPES,
} from '../../functions/runtime/contract/console';

export interface OperatorConsoleProps {
  readonly platform: IMicroservicePlatform;
  /** The gateway that serves the console, beside the admin API and the authorization server. */
  readonly gateway: PlatformGateway;
  /**
   * The public OAuth2 client (authorization code with PKCE, no secret) the console logs in as.
   * @default 'console'
   */
  readonly clientId?: string;
}

/**
 * The operator console: a single-page app (circuits, services, faults, configuration, logs,
 * errors, traces, dead letters) served through the platform's own gateway at `/console`.
 *
 * Through the gateway rather than from S3 behind CloudFront, because then the page, the admin
 * API and the authorization server share one origin: the login's redirect URI is
 * `<gateway URL>/console/callback`, the token endpoint and the admin API need no CORS, the
 * Content-Security-Policy can say `connect-src 'self'`, and the local platform serves the very
 * routes the template declares. A distribution would add a second origin (CORS on the token
 * endpoint and every admin route), a bucket and its policies, and 10-20 minutes per deploy, for
 * a handful of operators loading three small files (each revalidated with an ETag).
 *
 * The routes are public: the files hold no secret, and every view reads the admin API with the
 * operator's token. Every answer carries a strict CSP (no inline script or style, nothing from
 * another origin, no framing).
 */
export class OperatorConsole extends Construct {
  readonly function: PlatformFunction;
  /** The console's path on the gateway. */
  readonly path = '/console';

  constructor(scope: Construct, id: string, props: OperatorConsoleProps) {
    super(scope, id);
    this.function = new PlatformFunction(this, 'Resource', {
      platform: props.platform,
      bundle: 'console',
      serviceName: 'console',
      description: `Operator console of ${props.platform.platformName}`,
      memorySize: 128,
      timeout: undefined,
      environment: {
        [CONSOLE_ENV.clientId]: props.clientId ?? CONSOLE_CLIENT_ID,
        [CONSOLE_ENV.scopes]: CONSOLE_SCOPES.join(' '),
      },
    });
    for (const resource of CONSOLE_ROUTES) {
      props.gateway.addRoute('GET', resource, this.function.function, {
        publicReason:
          'The operator console’s static page and settings: no secret; every view reads the admin API with the operator’s token.',
      });
    }
  }
}
