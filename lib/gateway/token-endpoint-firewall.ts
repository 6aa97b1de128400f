import { Duration, Names } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

/** One endpoint whose requests each source address may send only so often. */
export interface RateLimitedEndpoint {
  /** Path of the resource, e.g. `/oauth2/token`; any request whose path contains it counts. */
  readonly path: string;
  /**
   * Only requests of this method count.
   * @default - every method
   */
  readonly method?: string;
}

/** What a platform sets on its token endpoint's firewall. */
export interface TokenEndpointFirewallOptions {
  /**
   * Requests one source IP address may send to each endpoint within the evaluation window;
   * past it the source gets 429 until its rate falls below. AWS WAF's minimum is 10.
   * @default 100
   */
  readonly limit?: number;
  /**
   * How far back WAF counts a source's requests: 1, 2, 5 or 10 minutes.
   * @default Duration.minutes(1)
   */
  readonly evaluationWindow?: Duration;
}

export interface TokenEndpointFirewallProps extends TokenEndpointFirewallOptions {
  /** The REST API stage the web ACL protects. */
  readonly stage: apigw.Stage;
  /**
   * The endpoints limited per source, each counted on its own.
   * @default - `/oauth2/token` (any method) and `POST /oauth2/authorize` (the login form)
   */
  readonly endpoints?: readonly RateLimitedEndpoint[];
}

/** Key of the 429 body in the web ACL's custom response bodies. */
export const TOO_MANY_REQUESTS_BODY = 'too-many-requests';

const WINDOWS = [60, 120, 300, 600];

/**
 * A regional WAF web ACL on the platform's stage with one rate-based rule per sign-in endpoint,
 * aggregated by source IP: one source sending junk is blocked on its own, so it cannot drain the
 * endpoint's shared method throttle and make every other client's token request answer 429. The
 * client ID cannot be the key: WAF's rate keys are IPs, headers, cookies, query arguments, method
 * and path, never a form field, and a key a caller chooses (a Basic header) is one junk rotates.
 * The local platform reads these rules from the template and enforces the same limit per socket
 * address (`localstack/platform/gateway-rate-limit.ts`).
 */
export class TokenEndpointFirewall extends Construct {
  readonly webAcl: wafv2.CfnWebACL;
  readonly limit: number;
  readonly evaluationWindow: Duration;

  constructor(scope: Construct, id: string, props: TokenEndpointFirewallProps) {
    super(scope, id);
    this.limit = props.limit ?? 100;
    this.evaluationWindow = props.evaluationWindow ?? Duration.minutes(1);
    const windowSeconds = this.evaluationWindow.toSeconds();
    if (!Number.isInteger(this.limit) || this.limit < 10 || this.limit > 2_000_000_000) {
      throw new Error(
        `The token endpoint's rate limit must be a whole number from 10 (AWS WAF's minimum) to 2 000 000 000; got ${this.limit}`,
      );
    }
    if (!WINDOWS.includes(windowSeconds)) {
      throw new Error(
        `The token endpoint's evaluation window must be 1, 2, 5 or 10 minutes; got ${windowSeconds} s`,
      );
    }
    const endpoints = props.endpoints ?? [
      { path: '/oauth2/token' },
      { path: '/oauth2/authorize', method: 'POST' },
    ];
    if (endpoints.length === 0) throw new Error('The firewall needs at least one endpoint');
    const metricPrefix = Names.uniqueId(this).slice(-200);

    this.webAcl = new wafv2.CfnWebACL(this, 'Resource', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      description: 'Per-source request limits on the OAuth2 sign-in endpoints',
      visibilityConfig: {
        cloudWatchMetricsEnabled: true,
        metricName: metricPrefix,
        sampledRequestsEnabled: true,
      },
      // WAF sends only text, HTML or JSON bodies (no application/problem+json): the document is
      // the gateway's own 429 problem, without the request ID WAF cannot fill in.
      customResponseBodies: {
        [TOO_MANY_REQUESTS_BODY]: {
          contentType: 'APPLICATION_JSON',
          content: JSON.stringify({
            type: 'about:blank',
            title: 'Too Many Requests',
            status: 429,
            detail: 'Too many requests from this address; retry later.',
          }),
        },
      },
      rules: endpoints.map((endpoint, priority) => {
        const name = ruleName(endpoint);
        return {
          name,
          priority,
          action: {
            block: {
              customResponse: {
                responseCode: 429,
                customResponseBodyKey: TOO_MANY_REQUESTS_BODY,
                responseHeaders: [{ name: 'Retry-After', value: String(windowSeconds) }],
              },
            },
          },
          statement: {
            rateBasedStatement: {
              limit: this.limit,
              evaluationWindowSec: windowSeconds,
              aggregateKeyType: 'IP',
              scopeDownStatement: scopeOf(endpoint),
            },
          },
          visibilityConfig: {
            cloudWatchMetricsEnabled: true,
            metricName: `${metricPrefix}-${name}`.slice(-255),
            sampledRequestsEnabled: true,
          },
        };
      }),
    });

    new wafv2.CfnWebACLAssociation(this, 'Association', {
      resourceArn: props.stage.stageArn,
      webAclArn: this.webAcl.attrArn,
    });
  }
}

function ruleName(endpoint: RateLimitedEndpoint): string {
  const path = endpoint.path.replace(/[^\w-]+/g, '-').replace(/^-+|-+$/g, '');
  return `per-source-${endpoint.method ? `${endpoint.method.toUpperCase()}-` : ''}${path}`;
}

/**
 * Requests to the endpoint. The path is matched after URL-decoding and path normalization (API
 * Gateway decodes before it routes) and anywhere in the path: the stage prefix of the
 * execute-api URL, a custom domain without it, and a trailing slash all count.
 */
function scopeOf(endpoint: RateLimitedEndpoint): wafv2.CfnWebACL.StatementProperty {
  const path: wafv2.CfnWebACL.StatementProperty = {
    byteMatchStatement: {
      fieldToMatch: { uriPath: {} },
      positionalConstraint: 'CONTAINS',
      searchString: endpoint.path,
      textTransformations: [
        { priority: 0, type: 'URL_DECODE' },
        { priority: 1, type: 'NORMALIZE_PATH' },
      ],
    },
  };
  if (!endpoint.method) return path;
  const method: wafv2.CfnWebACL.StatementProperty = {
    byteMatchStatement: {
      fieldToMatch: { method: {} },
      positionalConstraint: 'EXACTLY',
      searchString: endpoint.method.toUpperCase(),
      textTransformations: [{ priority: 0, type: 'NONE' }],
    },
  };
  return { andStatement: { statements: [method, path] } };
}
