import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { INTERNAL_REQUEST_TYPE } from '../../functions/runtime/service/internal-request';

export interface GatewayEventInit {
  /** Defaults to GET. */
  method?: string;
  /** The resource template; also used as the path. */
  resource: string;
  headers?: Record<string, string>;
  body?: string | null;
  isBase64Encoded?: boolean;
  pathParameters?: Record<string, string> | null;
  /** Merged over `{ requestId: 'gw-req-1', stage: 'prod' }` (e.g. `authorizer`, `domainName`). */
  requestContext?: Record<string, unknown>;
}

/** An API Gateway (REST, proxy integration) event; only what is given varies. */
export function gatewayEvent(init: GatewayEventInit): APIGatewayProxyEvent {
  return {
    httpMethod: init.method ?? 'GET',
    resource: init.resource,
    path: init.resource,
    headers: init.headers ?? {},
    multiValueHeaders: {},
    body: init.body ?? null,
    isBase64Encoded: init.isBase64Encoded ?? false,
    pathParameters: init.pathParameters ?? null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    requestContext: {
      requestId: 'gw-req-1',
      stage: 'prod',
      ...init.requestContext,
    } as unknown as APIGatewayProxyEvent['requestContext'],
  };
}

/**
 * A well-formed internal-request envelope: `reading-list` calls `lookup` for `user-7`. Keys in
 * `overrides` replace (or, set to `undefined`, blank) the defaults.
 */
export function internalEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: INTERNAL_REQUEST_TYPE,
    source: 'reading-list',
    operation: 'lookup',
    correlationId: 'corr-internal-1',
    caller: { sub: 'user-7', clientId: 'reader', scopes: ['orders/read'] },
    payload: { orderId: 'o-1' },
    ...overrides,
  };
}

/** The Lambda context a handler receives, for a function of the given name. */
export function lambdaContext(functionName: string): Context {
  return {
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: 'aws-req-1',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'stream',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 5000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
