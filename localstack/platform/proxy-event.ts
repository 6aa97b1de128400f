import type { APIGatewayProxyEvent } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { RouteMatch } from './route-table';

export interface ProxyRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly sourceIp: string;
  readonly requestId?: string;
  readonly now?: Date;
}

export interface ApiContext {
  readonly apiId: string;
  readonly stage: string;
  readonly accountId: string;
  readonly domainName: string;
}

const TEXT_TYPES =
  /^(text\/|application\/(json|xml|x-www-form-urlencoded|[a-z0-9.+-]+\+(json|xml))|$)/i;

/** Builds the REST (v1) Lambda proxy event API Gateway would send for a request. */
export function buildProxyEvent(
  request: ProxyRequest,
  match: RouteMatch,
  api: ApiContext,
): APIGatewayProxyEvent {
  // Every map keyed by request input has no prototype: `__proto__`, `constructor` or
  // `toString` are names a client may send like any other.
  const headers = dictionary<string>();
  const multiValueHeaders = dictionary<string[]>();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    const values = Array.isArray(value) ? value : [value];
    headers[name] = values[values.length - 1];
    multiValueHeaders[name] = values;
  }
  const query = dictionary<string>();
  const multiQuery = dictionary<string[]>();
  for (const [name, value] of request.query) {
    query[name] = value;
    if (Object.hasOwn(multiQuery, name)) multiQuery[name].push(value);
    else multiQuery[name] = [value];
  }
  const contentType = String(request.headers['content-type'] ?? '');
  const isText = TEXT_TYPES.test(contentType.split(';')[0].trim());
  const now = request.now ?? new Date();
  const requestId = request.requestId ?? randomUUID();
  return {
    resource: match.route.resourcePath,
    path: request.path,
    httpMethod: request.method,
    headers,
    multiValueHeaders,
    queryStringParameters: Object.keys(query).length ? query : null,
    multiValueQueryStringParameters: Object.keys(multiQuery).length ? multiQuery : null,
    pathParameters: match.pathParameters,
    stageVariables: null,
    body:
      request.body.length === 0
        ? null
        : isText
          ? request.body.toString('utf8')
          : request.body.toString('base64'),
    isBase64Encoded: request.body.length > 0 && !isText,
    requestContext: {
      accountId: api.accountId,
      apiId: api.apiId,
      authorizer: null,
      domainName: api.domainName,
      domainPrefix: api.domainName.split('.')[0],
      extendedRequestId: requestId,
      httpMethod: request.method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: request.sourceIp,
        user: null,
        userAgent: (request.headers['user-agent'] as string | undefined) ?? null,
        userArn: null,
      },
      path: request.path,
      protocol: 'HTTP/1.1',
      requestId,
      requestTime: formatRequestTime(now),
      requestTimeEpoch: now.getTime(),
      resourceId: match.route.resourceLogicalId,
      resourcePath: match.route.resourcePath,
      stage: api.stage,
    },
  };
}

/** An empty map with no prototype, for names that come from the request. */
export function dictionary<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** API Gateway's `requestTime` format: `22/Nov/2026:06:50:00 +0000`. */
function formatRequestTime(date: Date): string {
  const months = [
    'Jan',
    'Feb',
    'Mar',
    'Apr',
    'May',
    'Jun',
    'Jul',
    'Aug',
    'Sep',
    'Oct',
    'Nov',
    'Dec',
  ];
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}
