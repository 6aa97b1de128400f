import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { renderGatewayResponse } from './gateway-responses';
import { readBody, send, closeServer, listenOnLoopback } from './http-util';
import type { LocalFunction } from './lambda-runtime';
import { buildProxyEvent, type ApiContext } from './proxy-event';
import type { LocalRequestAuthorizer } from './request-authorizer';
import type { RestApiModel } from './rest-api-model';
import { RouteTable } from './route-table';

/** API Gateway's payload limit. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

export interface LocalGatewayOptions {
  readonly api: RestApiModel;
  readonly apiContext: Omit<ApiContext, 'domainName'>;
  readonly region: string;
  /** The function behind each route, by the function's logical ID. */
  readonly functions: ReadonlyMap<string, LocalFunction>;
  /** Authorizers by logical ID. */
  readonly authorizers: ReadonlyMap<string, LocalRequestAuthorizer>;
}

/**
 * Serves the REST API on 127.0.0.1 from the synthesized template: routes, Lambda proxy
 * integrations, REQUEST authorizers and the template's own gateway responses.
 */
export class LocalGateway {
  private routes?: RouteTable;
  private options?: LocalGatewayOptions;
  private server?: Server;

  /**
   * Starts serving what the template declares. The server listens first (so functions can be
   * told the gateway's URL) and answers 503 until this is called.
   */
  serve(options: LocalGatewayOptions): void {
    this.options = options;
    this.routes = new RouteTable(options.api.routes);
  }

  async listen(port: number): Promise<string> {
    this.server = createServer((request, response) => {
      this.handle(request, response).catch(() => {
        const requestId = randomUUID();
        this.gatewayError(
          response,
          'DEFAULT_5XX',
          'Internal server error',
          request.url ?? '/',
          requestId,
          500,
        );
      });
    });
    return listenOnLoopback(this.server, port);
  }

  async close(): Promise<void> {
    await closeServer(this.server);
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const requestId = randomUUID();
    const method = (request.method ?? 'GET').toUpperCase();
    if (!this.routes || !this.options) {
      return send(
        response,
        503,
        { 'content-type': 'application/problem+json', 'retry-after': '1' },
        JSON.stringify({
          type: 'about:blank',
          title: 'Service Unavailable',
          status: 503,
          detail: 'The platform is starting.',
        }),
      );
    }
    const match = this.routes.match(method, url.pathname);
    if (!match) {
      return this.gatewayError(
        response,
        'MISSING_AUTHENTICATION_TOKEN',
        'Missing Authentication Token',
        url.pathname,
        requestId,
      );
    }
    const body = await readBody(request, MAX_BODY_BYTES);
    if (body === 'too-large') {
      return this.gatewayError(
        response,
        'REQUEST_TOO_LARGE',
        'Request Too Long',
        url.pathname,
        requestId,
      );
    }
    const event = buildProxyEvent(
      {
        method,
        path: url.pathname,
        query: url.searchParams,
        headers: request.headers,
        body,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        requestId,
      },
      match,
      { ...this.options.apiContext, domainName: request.headers.host ?? '127.0.0.1' },
    );

    if (match.route.authorizationType === 'CUSTOM' && match.route.authorizerLogicalId) {
      const authorizer = this.options.authorizers.get(match.route.authorizerLogicalId);
      if (!authorizer)
        return this.gatewayError(
          response,
          'AUTHORIZER_CONFIGURATION_ERROR',
          'Authorizer error',
          url.pathname,
          requestId,
        );
      const outcome = await authorizer.authorize(event, this.methodArn(method, url.pathname));
      switch (outcome.kind) {
        case 'unauthorized':
          return this.gatewayError(
            response,
            'UNAUTHORIZED',
            'Unauthorized',
            url.pathname,
            requestId,
          );
        case 'denied':
          return this.gatewayError(
            response,
            'ACCESS_DENIED',
            'User is not authorized to access this resource',
            url.pathname,
            requestId,
          );
        case 'error':
          return this.gatewayError(
            response,
            'AUTHORIZER_CONFIGURATION_ERROR',
            outcome.message,
            url.pathname,
            requestId,
          );
        case 'allow':
          (event.requestContext as { authorizer: unknown }).authorizer = {
            principalId: outcome.principalId,
            ...stringify(outcome.context),
          };
      }
    }

    const target = match.route.functionLogicalId
      ? this.options.functions.get(match.route.functionLogicalId)
      : undefined;
    if (!target)
      return this.gatewayError(
        response,
        'DEFAULT_5XX',
        'Internal server error',
        url.pathname,
        requestId,
        500,
      );
    const traceHeader = `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomUUID().replace(/-/g, '').slice(0, 24)};Sampled=1`;
    const result = await target.invoke(event, traceHeader);
    this.sendProxyResult(
      response,
      result.functionError ? undefined : result.payload,
      url.pathname,
      requestId,
    );
  }

  private sendProxyResult(
    response: ServerResponse,
    payload: unknown,
    path: string,
    requestId: string,
  ): void {
    const result = payload as
      | {
          statusCode?: unknown;
          headers?: unknown;
          multiValueHeaders?: unknown;
          body?: unknown;
          isBase64Encoded?: unknown;
        }
      | undefined;
    // API Gateway answers 502 to a function error or to a malformed proxy response.
    if (
      !result ||
      typeof result !== 'object' ||
      typeof result.statusCode !== 'number' ||
      (result.body !== undefined && result.body !== null && typeof result.body !== 'string')
    ) {
      return this.gatewayError(
        response,
        'DEFAULT_5XX',
        'Internal server error',
        path,
        requestId,
        502,
      );
    }
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries((result.headers ?? {}) as Record<string, unknown>))
      headers[name.toLowerCase()] = String(value);
    for (const [name, values] of Object.entries(
      (result.multiValueHeaders ?? {}) as Record<string, unknown[]>,
    )) {
      headers[name.toLowerCase()] = values.map(String);
    }
    headers['x-amzn-requestid'] = requestId;
    const body =
      typeof result.body === 'string'
        ? result.isBase64Encoded
          ? Buffer.from(result.body, 'base64')
          : result.body
        : '';
    send(response, result.statusCode, headers, body);
  }

  private gatewayError(
    response: ServerResponse,
    type: string,
    message: string,
    path: string,
    requestId: string,
    status?: number,
  ): void {
    const rendered = renderGatewayResponse(
      this.options?.api.gatewayResponses ?? new Map(),
      type,
      message,
      { path, requestId },
      status,
    );
    send(
      response,
      rendered.status,
      { ...rendered.headers, 'x-amzn-requestid': requestId, 'x-amzn-errortype': type },
      rendered.body,
    );
  }

  private methodArn(method: string, path: string): string {
    const { accountId, apiId, stage } = this.options!.apiContext;
    return `arn:aws:execute-api:${this.options!.region}:${accountId}:${apiId}/${stage}/${method}${path}`;
  }
}

/** API Gateway hands authorizer context values to the integration as strings. */
function stringify(context: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(context).map(([key, value]) => [key, String(value)]));
}
