import * as apigw from 'aws-cdk-lib/aws-apigateway';

/** How each gateway-made error is rendered; shared by the deployed API and the local gateway. */
export interface GatewayProblem {
  readonly type: apigw.ResponseType;
  readonly status: number;
  readonly title: string;
  /** Extra headers, e.g. RFC 6750's `WWW-Authenticate` on authorization failures. */
  readonly headers?: Record<string, string>;
}

/**
 * Errors API Gateway answers on its own (before or instead of a function) become RFC 9457
 * problem documents. An unknown route is a 404 here: API Gateway's own 403 "Missing
 * Authentication Token" misleads clients.
 */
export function defaultGatewayProblems(realm: string): GatewayProblem[] {
  return [
    { type: apigw.ResponseType.DEFAULT_4XX, status: 400, title: 'Bad Request' },
    { type: apigw.ResponseType.DEFAULT_5XX, status: 502, title: 'Bad Gateway' },
    { type: apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN, status: 404, title: 'Not Found' },
    { type: apigw.ResponseType.RESOURCE_NOT_FOUND, status: 404, title: 'Not Found' },
    { type: apigw.ResponseType.THROTTLED, status: 429, title: 'Too Many Requests' },
    { type: apigw.ResponseType.QUOTA_EXCEEDED, status: 429, title: 'Too Many Requests' },
    { type: apigw.ResponseType.REQUEST_TOO_LARGE, status: 413, title: 'Content Too Large' },
    { type: apigw.ResponseType.INTEGRATION_TIMEOUT, status: 504, title: 'Gateway Timeout' },
    {
      type: apigw.ResponseType.UNAUTHORIZED,
      status: 401,
      title: 'Unauthorized',
      headers: { 'WWW-Authenticate': `Bearer realm="${realm}", error="invalid_token"` },
    },
    {
      type: apigw.ResponseType.ACCESS_DENIED,
      status: 403,
      title: 'Forbidden',
      headers: { 'WWW-Authenticate': `Bearer realm="${realm}", error="insufficient_scope"` },
    },
  ];
}

/**
 * The VTL body of a problem response; `$context.error.messageString` is already JSON-quoted.
 * No `instance` member: VTL has no JSON escaping for `$context.path`, and a path holding a quote
 * or a backslash would break the document or add members to it. `requestId` is API Gateway's own.
 */
export function problemTemplate(problem: GatewayProblem): string {
  return JSON.stringify({
    type: 'about:blank',
    title: problem.title,
    status: problem.status,
  }).replace(/}$/, ',"detail":$context.error.messageString,"requestId":"$context.requestId"}');
}
