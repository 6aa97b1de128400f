import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { LocalFirewall } from './gateway-firewall';
import { renderGatewayResponse } from './gateway-responses';
import {
  answerProtocolErrors,
  closeServer,
  listenOnLoopback,
  hostProblem,
  readBody,
  send,
  sendProblem,
} from './http-util';
import type { LocalFunction } from './lambda-runtime';
import { buildProxyEvent, dictionary, type ApiContext } from './proxy-event';
import type { LocalRequestAuthorizer } from './request-authorizer';
import { BREAKDOWN_REQUEST_HEADER, requestBreakdowns } from './request-breakdown';
import { parseRequestTarget } from './request-path';
import type { RestApiModel } from './rest-api-model';
import { RouteTable } from './route-table';
import { parseTraceHeader } from './tracing/trace-header';

/** API Gateway's payload limit. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;
/** Lambda's synchronous invocation payload limit. */
const MAX_INVOKE_PAYLOAD_BYTES = 6 * 1024 * 1024;

export interface LocalGatewayOptions {
  readonly api: RestApiModel;
  readonly apiContext: Omit<ApiContext, 'domainName'>;
  readonly region: string;
  /** The function behind each route, by the function's logical ID. */
  readonly functions: ReadonlyMap<string, LocalFunction>;
  /** Authorizers by logical ID. */
  readonly authorizers: ReadonlyMap<string, LocalRequestAuthorizer>;
  /**
   * Records a segment per request, as API Gateway does with X-Ray on the stage, and starts the
   * trace the functions continue.
   * @default - no segment; functions still get a new trace ID per request
   */
  readonly tracing?: RequestTracer;
  /**
   * The stage's web ACL rate rules, checked before anything else as WAF is.
   * @default - no per-source limits
   */
  readonly firewall?: LocalFirewall;
}

/** The gateway's side of tracing (`tracing/local-tracing.ts`). */
export interface RequestTracer {
  beginRequest(
    stageName: string,
    request: { method: string; path: string; traceHeader?: string },
  ): { readonly traceHeader: string; readonly traceId: string; end(status: number): void };
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
    // Host is checked here, not by Node: its own check answers a bare 400.
    this.server = createServer({ requireHostHeader: false }, (request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        // A fault of the local gateway itself: one line on the console (never the query,
        // which may carry a secret), and the deployed API's 5xx answer.
        process.stderr.write(
          `local gateway: ${request.method} ${pathOf(request.url)} failed: ${error instanceof Error ? error.message : String(error)}\n`,
        );
        if (response.headersSent) return void response.destroy();
        this.gatewayError(
          response,
          'DEFAULT_5XX',
          'Internal server error',
          pathOf(request.url),
          randomUUID(),
          500,
        );
      });
    });
    answerProtocolErrors(this.server);
    return listenOnLoopback(this.server, port);
  }

  async close(): Promise<void> {
    await closeServer(this.server);
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const began = performance.now();
    const requestId = randomUUID();
    // Node's parser admits only known methods, in upper case.
    const method = request.method ?? 'GET';
    if (!this.routes || !this.options) {
      return sendProblem(
        response,
        { status: 503, title: 'Service Unavailable', detail: 'The platform is starting.' },
        { 'retry-after': '1' },
      );
    }
    // Keyed by the socket's address: X-Forwarded-For is whatever the caller writes.
    const limited = this.options.firewall?.check({
      method,
      rawPath: pathOf(request.url),
      sourceAddress: request.socket.remoteAddress ?? '',
    });
    if (limited?.allowed === false) {
      response.setHeader('retry-after', String(limited.retryAfterSeconds));
      return this.gatewayError(
        response,
        'THROTTLED',
        'Too many requests from this address; retry later.',
        pathOf(request.url),
        requestId,
      );
    }
    // A client's well-formed X-Amzn-Trace-Id is continued, as API Gateway does; the answer names
    // the trace, so a caller can look it up.
    const segment = this.options.tracing?.beginRequest(
      `${this.options.apiContext.apiId}/${this.options.apiContext.stage}`,
      {
        method,
        path: pathOf(request.url),
        traceHeader: singleHeader(request.headers['x-amzn-trace-id']),
      },
    );
    if (segment) {
      response.setHeader('x-amzn-trace-id', `Root=${segment.traceId}`);
      response.once('finish', () => segment.end(response.statusCode));
    }
    const traceHeader =
      segment?.traceHeader ??
      `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomUUID().replace(/-/g, '').slice(0, 24)};Sampled=1`;
    // A request that asks for its breakdown (see request-breakdown.ts) is measured on its way.
    const measuredTrace =
      request.headers[BREAKDOWN_REQUEST_HEADER] !== undefined
        ? parseTraceHeader(traceHeader)?.traceId
        : undefined;
    const breakdown = measuredTrace ? requestBreakdowns.begin(measuredTrace) : undefined;
    if (measuredTrace) response.once('close', () => requestBreakdowns.end(measuredTrace));
    const target = parseRequestTarget(request.url ?? '/');
    const refusal = target.ok ? hostProblem(request) : target.reason;
    if (refusal !== undefined || !target.ok) {
      return this.gatewayError(
        response,
        'DEFAULT_4XX',
        refusal ?? 'The request target is not valid.',
        target.rawPath,
        requestId,
        400,
      );
    }
    // Routes are matched before anything else: an unknown route is a 404 whatever the token.
    const match = this.routes.matchSegments(method, target.segments);
    if (!match) {
      return this.gatewayError(
        response,
        'MISSING_AUTHENTICATION_TOKEN',
        'Missing Authentication Token',
        target.rawPath,
        requestId,
      );
    }
    const body = await readBody(request, MAX_BODY_BYTES);
    if (body === 'too-large') {
      response.setHeader('connection', 'close');
      return this.gatewayError(
        response,
        'REQUEST_TOO_LARGE',
        'Request Too Long',
        target.rawPath,
        requestId,
      );
    }
    const event = buildProxyEvent(
      {
        method,
        path: target.path,
        query: target.query,
        headers: request.headers,
        body,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        requestId,
      },
      match,
      { ...this.options.apiContext, domainName: request.headers.host ?? '127.0.0.1' },
    );
    // Lambda refuses an invocation payload over 6 MB: the request is too large for the route.
    if (Buffer.byteLength(JSON.stringify(event)) > MAX_INVOKE_PAYLOAD_BYTES) {
      return this.gatewayError(
        response,
        'REQUEST_TOO_LARGE',
        'Request Too Long',
        target.rawPath,
        requestId,
      );
    }

    if (match.route.authorizationType === 'CUSTOM' && match.route.authorizerLogicalId) {
      const authorizer = this.options.authorizers.get(match.route.authorizerLogicalId);
      if (!authorizer)
        return this.gatewayError(
          response,
          'AUTHORIZER_CONFIGURATION_ERROR',
          'Authorizer error',
          target.rawPath,
          requestId,
        );
      // The method ARN names the normalized path, as the policy's resources do.
      const authorizing = performance.now();
      const outcome = await authorizer.authorize(
        event,
        this.methodArn(method, target.path),
        traceHeader,
      );
      breakdown?.add('authorizer', performance.now() - authorizing);
      switch (outcome.kind) {
        case 'unauthorized':
          return this.gatewayError(
            response,
            'UNAUTHORIZED',
            'Unauthorized',
            target.rawPath,
            requestId,
          );
        case 'denied':
          return this.gatewayError(
            response,
            'ACCESS_DENIED',
            'User is not authorized to access this resource',
            target.rawPath,
            requestId,
          );
        case 'error':
          return this.gatewayError(
            response,
            'AUTHORIZER_CONFIGURATION_ERROR',
            outcome.message,
            target.rawPath,
            requestId,
          );
        case 'allow':
          (event.requestContext as { authorizer: unknown }).authorizer = {
            principalId: outcome.principalId,
            ...stringify(outcome.context),
          };
      }
    }

    const targetFunction = match.route.functionLogicalId
      ? this.options.functions.get(match.route.functionLogicalId)
      : undefined;
    if (!targetFunction)
      return this.gatewayError(
        response,
        'DEFAULT_5XX',
        'Internal server error',
        target.rawPath,
        requestId,
        500,
      );
    const invoking = performance.now();
    const result = await targetFunction.invoke(event, traceHeader);
    if (breakdown) {
      breakdown.add('integration', performance.now() - invoking);
      breakdown.add('gateway-total', performance.now() - began);
      response.setHeader('server-timing', breakdown.serverTiming());
    }
    this.sendProxyResult(
      response,
      result.functionError ? undefined : result.payload,
      target.rawPath,
      requestId,
    );
  }

  private sendProxyResult(
    response: ServerResponse,
    payload: unknown,
    path: string,
    requestId: string,
  ): void {
    const proxyResult = readProxyResult(payload);
    // API Gateway answers 502 to a function error or to a malformed proxy response.
    if (!proxyResult) {
      return this.gatewayError(
        response,
        'DEFAULT_5XX',
        'Internal server error',
        path,
        requestId,
        502,
      );
    }
    proxyResult.headers['x-amzn-requestid'] = requestId;
    try {
      send(response, proxyResult.statusCode, proxyResult.headers, proxyResult.body);
    } catch {
      // A header value Node refuses to write (a line break, say) is a malformed response too.
      for (const name of response.getHeaderNames()) response.removeHeader(name);
      this.gatewayError(response, 'DEFAULT_5XX', 'Internal server error', path, requestId, 502);
    }
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

function singleHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The path of a request target, never its query (which may carry a secret). */
function pathOf(url: string | undefined): string {
  return (url ?? '/').split('?')[0];
}

interface ProxyResult {
  readonly statusCode: number;
  readonly headers: Record<string, string | string[]>;
  readonly body: string | Buffer;
}

/** A function's proxy result as API Gateway accepts it, or undefined when it is malformed. */
function readProxyResult(payload: unknown): ProxyResult | undefined {
  if (!payload || typeof payload !== 'object') return undefined;
  const result = payload as Record<string, unknown>;
  const { statusCode, body } = result;
  if (typeof statusCode !== 'number' || !Number.isInteger(statusCode)) return undefined;
  if (statusCode < 100 || statusCode > 599) return undefined;
  if (body !== undefined && body !== null && typeof body !== 'string') return undefined;
  const headers = dictionary<string | string[]>();
  const single = result.headers ?? {};
  const multi = result.multiValueHeaders ?? {};
  if (typeof single !== 'object' || typeof multi !== 'object') return undefined;
  for (const [name, value] of Object.entries(single as Record<string, unknown>))
    headers[name.toLowerCase()] = String(value);
  for (const [name, values] of Object.entries(multi as Record<string, unknown>)) {
    if (!Array.isArray(values)) return undefined;
    headers[name.toLowerCase()] = values.map(String);
  }
  return {
    statusCode,
    headers,
    body:
      typeof body === 'string' ? (result.isBase64Encoded ? Buffer.from(body, 'base64') : body) : '',
  };
}

/** API Gateway hands authorizer context values to the integration as strings. */
function stringify(context: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(context).map(([key, value]) => [key, String(value)]));
}
