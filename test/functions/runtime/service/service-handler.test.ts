import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { jsonResponse } from '../../../../functions/runtime/http/json';
import { forbidden, ProblemError } from '../../../../functions/runtime/http/problem';
import type { Powertools } from '../../../../functions/runtime/observability/powertools';
import type { InternalResponse } from '../../../../functions/runtime/service/internal-request';
import {
  createServiceHandler,
  type RequestScope,
  type ServiceHandlerOptions,
} from '../../../../functions/runtime/service/service-handler';
import { captureOutput } from '../../../support/captured-output';
import {
  gatewayEvent as baseGatewayEvent,
  internalEvent as baseInternalEvent,
  lambdaContext,
} from '../../../support/events';

const SERVICE = 'orders';
const LEAKY_MESSAGE = 'connect ECONNREFUSED 10.0.0.12:5432 password=hunter2';

const context = lambdaContext('shop-Orders-abc123');

function powertools(): Powertools {
  return {
    logger: new Logger({ serviceName: SERVICE, logLevel: 'DEBUG' }),
    tracer: new Tracer({ serviceName: SERVICE, enabled: false }),
    metrics: new Metrics({ serviceName: SERVICE, namespace: 'Test' }),
  };
}

function gatewayEvent(init: {
  method?: string;
  resource: string;
  headers?: Record<string, string>;
  authorizer?: Record<string, unknown> | null;
  requestId?: string;
}): APIGatewayProxyEvent {
  return baseGatewayEvent({
    method: init.method,
    resource: init.resource,
    headers: init.headers,
    requestContext: {
      requestId: init.requestId ?? 'gw-req-1',
      authorizer: init.authorizer ?? null,
    },
  });
}

const internalEvent = (overrides: Record<string, unknown> = {}) =>
  baseInternalEvent({ traceHeader: 'Root=1-abc;Parent=def;Sampled=1', ...overrides });

/** Everything written to stdout/stderr (Powertools writes one JSON object per line). */
const output = captureOutput();
const { logLines, metricLines } = output;

function handlerWith(options: Partial<ServiceHandlerOptions> = {}) {
  return createServiceHandler({
    serviceName: SERVICE,
    version: '7',
    powertools: powertools(),
    ...options,
  });
}

const gateway = (handler: ReturnType<typeof createServiceHandler>, event: APIGatewayProxyEvent) =>
  handler(event, context) as Promise<APIGatewayProxyResult>;
const internal = (handler: ReturnType<typeof createServiceHandler>, event: unknown) =>
  handler(event, context) as Promise<InternalResponse>;

describe('createServiceHandler — gateway requests', () => {
  it('dispatches by "METHOD /resource" to the matching route', async () => {
    const seen: string[] = [];
    const handler = handlerWith({
      routes: {
        'GET /orders': async () => {
          seen.push('list');
          return jsonResponse(200, { orders: [] });
        },
        'POST /orders': async () => {
          seen.push('create');
          return jsonResponse(201, { created: true });
        },
        'GET /orders/{id}': async () => {
          seen.push('get');
          return jsonResponse(200, { id: 'x' });
        },
      },
    });
    expect(
      (await gateway(handler, gatewayEvent({ method: 'POST', resource: '/orders' }))).statusCode,
    ).toBe(201);
    expect((await gateway(handler, gatewayEvent({ resource: '/orders/{id}' }))).statusCode).toBe(
      200,
    );
    expect((await gateway(handler, gatewayEvent({ resource: '/orders' }))).statusCode).toBe(200);
    expect(seen).toEqual(['create', 'get', 'list']);
  });

  it('answers a 404 problem for an unknown route', async () => {
    const handler = handlerWith({ routes: { 'GET /orders': async () => jsonResponse(200, {}) } });
    const response = await gateway(
      handler,
      gatewayEvent({ method: 'DELETE', resource: '/orders' }),
    );
    expect(response.statusCode).toBe(404);
    expect(response.headers?.['content-type']).toBe('application/problem+json');
    expect(JSON.parse(response.body)).toEqual({
      type: 'about:blank',
      title: 'Not Found',
      status: 404,
      detail: 'No such route.',
    });
  });

  it('serves GET /{service}/health: UP and 200 with no checks', async () => {
    const response = await gateway(handlerWith(), gatewayEvent({ resource: '/orders/health' }));
    expect(response.statusCode).toBe(200);
    expect(response.headers?.['cache-control']).toBe('no-store');
    expect(JSON.parse(response.body)).toEqual({
      status: 'UP',
      service: 'orders',
      version: '7',
      components: {},
    });
  });

  it('serves health UP 200 with component details when every check is UP', async () => {
    const handler = handlerWith({
      healthChecks: { table: async () => ({ status: 'UP', details: { tableStatus: 'ACTIVE' } }) },
    });
    const response = await gateway(handler, gatewayEvent({ resource: '/orders/health' }));
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body).components).toEqual({
      table: { status: 'UP', details: { tableStatus: 'ACTIVE' } },
    });
  });

  it('serves health DOWN 503 with component details when a check fails', async () => {
    const handler = handlerWith({
      healthChecks: {
        table: async () => ({ status: 'DOWN', details: { tableStatus: 'CREATING' } }),
        config: async () => ({ status: 'UP' }),
        broken: async () => {
          throw Object.assign(new Error(LEAKY_MESSAGE), { name: 'ResourceNotFoundException' });
        },
      },
    });
    const response = await gateway(handler, gatewayEvent({ resource: '/orders/health' }));
    expect(response.statusCode).toBe(503);
    expect(JSON.parse(response.body)).toEqual({
      status: 'DOWN',
      service: 'orders',
      version: '7',
      components: {
        table: { status: 'DOWN', details: { tableStatus: 'CREATING' } },
        config: { status: 'UP' },
        broken: { status: 'DOWN', details: { error: 'ResourceNotFoundException' } },
      },
    });
    expect(response.body).not.toContain('hunter2');
    expect(
      logLines().some((line) => line.level === 'WARN' && line.message === 'Health check failed'),
    ).toBe(true);
  });

  it('takes the version from SERVICE_VERSION when none is given', async () => {
    process.env.SERVICE_VERSION = '9.9';
    try {
      const handler = createServiceHandler({ serviceName: SERVICE, powertools: powertools() });
      const response = await gateway(handler, gatewayEvent({ resource: '/orders/health' }));
      expect(JSON.parse(response.body).version).toBe('9.9');
    } finally {
      delete process.env.SERVICE_VERSION;
    }
  });

  it('answers a thrown ProblemError with its status as problem+json, without counting an error', async () => {
    const handler = handlerWith({
      routes: {
        'GET /orders': async () => Promise.reject(forbidden('Missing scope orders/read.')),
      },
    });
    const response = await gateway(handler, gatewayEvent({ resource: '/orders' }));
    expect(response.statusCode).toBe(403);
    expect(response.headers?.['content-type']).toBe('application/problem+json');
    expect(JSON.parse(response.body)).toMatchObject({
      title: 'Forbidden',
      status: 403,
      detail: 'Missing scope orders/read.',
    });
    expect(metricLines()).toEqual([]);
  });

  it('answers an unexpected throw with a 500 problem that leaks no message or stack, and counts it', async () => {
    const handler = handlerWith({
      routes: {
        'GET /orders': async () => {
          throw new Error(LEAKY_MESSAGE);
        },
      },
    });
    const response = await gateway(
      handler,
      gatewayEvent({ resource: '/orders', headers: { 'x-correlation-id': 'corr-500' } }),
    );
    expect(response.statusCode).toBe(500);
    expect(JSON.parse(response.body)).toEqual({
      type: 'about:blank',
      title: 'Internal Server Error',
      status: 500,
      detail: 'The service could not complete the request.',
    });
    expect(response.body).not.toContain('hunter2');
    expect(response.body).not.toContain('ECONNREFUSED');
    expect(response.body).not.toContain('service-handler.test');
    expect(response.headers?.['x-correlation-id']).toBe('corr-500');
    // The error is logged (for operators), and an Errors metric is published.
    const errorLine = logLines().find((line) => line.level === 'ERROR');
    expect(errorLine).toMatchObject({ message: 'Request failed', correlation_id: 'corr-500' });
    const metrics = metricLines();
    expect(metrics).toHaveLength(1);
    expect(metrics[0].Errors).toBe(1);
  });

  it('echoes a valid x-correlation-id and stamps it on every log line of that request', async () => {
    const handler = createServiceHandler({
      serviceName: SERVICE,
      version: '7',
      powertools: powertools(),
      routes: {
        'GET /orders': async () => {
          throw new ProblemError({ title: 'Conflict', status: 409 });
        },
      },
    });
    const response = await gateway(
      handler,
      gatewayEvent({ resource: '/orders', headers: { 'X-Correlation-Id': 'trail-42' } }),
    );
    expect(response.headers?.['x-correlation-id']).toBe('trail-42');
    const lines = logLines();
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line.correlation_id).toBe('trail-42');
  });

  it('stamps the correlation ID on log lines a route writes itself, and on its success response', async () => {
    const tools = powertools();
    const handler = createServiceHandler({
      serviceName: SERVICE,
      version: '7',
      powertools: tools,
      routes: {
        'GET /orders': async (_event, scope) => {
          tools.logger.info('listing orders');
          tools.logger.debug('details', { scopeId: scope.correlationId });
          return jsonResponse(200, { ok: true }, { 'x-extra': '1' });
        },
      },
    });
    const response = await gateway(
      handler,
      gatewayEvent({ resource: '/orders', headers: { 'x-correlation-id': 'trail-43' } }),
    );
    expect(response.statusCode).toBe(200);
    expect(response.headers).toMatchObject({
      'x-correlation-id': 'trail-43',
      'x-extra': '1',
      'content-type': 'application/json',
    });
    const lines = logLines();
    expect(lines.map((line) => line.message)).toEqual(['listing orders', 'details']);
    for (const line of lines) {
      expect(line.correlation_id).toBe('trail-43');
      expect(line.function_request_id).toBe('aws-req-1');
    }
    expect(lines[1].scopeId).toBe('trail-43');
  });

  it('replaces a malformed correlation ID with the gateway request ID and never logs the bad value', async () => {
    const tools = powertools();
    let scopeId: string | undefined;
    const handler = createServiceHandler({
      serviceName: SERVICE,
      powertools: tools,
      routes: {
        'GET /orders': async (_event, scope) => {
          scopeId = scope.correlationId;
          tools.logger.info('hello');
          return jsonResponse(200, {});
        },
      },
    });
    const response = await gateway(
      handler,
      gatewayEvent({
        resource: '/orders',
        requestId: 'gw-req-99',
        headers: { 'x-correlation-id': 'bad value\n{"forged":1}' },
      }),
    );
    expect(response.headers?.['x-correlation-id']).toBe('gw-req-99');
    expect(scopeId).toBe('gw-req-99');
    expect(output.text()).not.toContain('forged');
  });

  it('does not carry one request’s correlation ID into the next request’s logs', async () => {
    const tools = powertools();
    const handler = createServiceHandler({
      serviceName: SERVICE,
      powertools: tools,
      routes: {
        'GET /orders': async () => {
          tools.logger.info('served');
          return jsonResponse(200, {});
        },
      },
    });
    await gateway(
      handler,
      gatewayEvent({ resource: '/orders', headers: { 'x-correlation-id': 'first' } }),
    );
    await gateway(
      handler,
      gatewayEvent({ resource: '/orders', headers: { 'x-correlation-id': 'second' } }),
    );
    expect(logLines().map((line) => line.correlation_id)).toEqual(['first', 'second']);
  });

  it('gives routes the caller from the authorizer context, scopes split on spaces', async () => {
    const scopes: (RequestScope | undefined)[] = [];
    const handler = handlerWith({
      routes: {
        'GET /orders': async (_event, scope) => {
          scopes.push(scope);
          return jsonResponse(200, {});
        },
      },
    });
    await gateway(
      handler,
      gatewayEvent({
        resource: '/orders',
        authorizer: {
          sub: 'user-1',
          clientId: 'reader',
          scope: 'orders/read  orders/write',
          principalId: 'user-1',
        },
      }),
    );
    expect(scopes[0]?.caller).toEqual({
      sub: 'user-1',
      clientId: 'reader',
      scopes: ['orders/read', 'orders/write'],
    });
    expect(scopes[0]?.sourceService).toBeUndefined();
    expect(scopes[0]?.lambdaContext).toBe(context);
  });

  it.each([
    ['no authorizer ran (public route)', null],
    ['the authorizer context lacks a clientId', { sub: 'user-1', scope: 'orders/read' }],
    ['sub is empty', { sub: '', clientId: 'reader' }],
    ['sub is not a string', { sub: 42, clientId: 'reader' }],
  ])('has no caller when %s', async (_why, authorizer) => {
    let caller: unknown = 'unset';
    const handler = handlerWith({
      routes: {
        'GET /orders': async (_event, scope) => {
          caller = scope.caller;
          return jsonResponse(200, {});
        },
      },
    });
    await gateway(handler, gatewayEvent({ resource: '/orders', authorizer }));
    expect(caller).toBeUndefined();
  });

  it('gives an empty scope list when the token carried no scope', async () => {
    let caller: unknown;
    const handler = handlerWith({
      routes: {
        'GET /orders': async (_event, scope) => {
          caller = scope.caller;
          return jsonResponse(200, {});
        },
      },
    });
    await gateway(
      handler,
      gatewayEvent({ resource: '/orders', authorizer: { sub: 's', clientId: 'c' } }),
    );
    expect(caller).toEqual({ sub: 's', clientId: 'c', scopes: [] });
  });
});

describe('createServiceHandler — internal invocations', () => {
  it('dispatches the envelope to its operation with the caller, source, trace and correlation ID', async () => {
    const received: { payload: unknown; scope: RequestScope }[] = [];
    const tools = powertools();
    const handler = createServiceHandler({
      serviceName: SERVICE,
      powertools: tools,
      operations: {
        lookup: async (payload, scope) => {
          received.push({ payload, scope });
          tools.logger.info('looked up');
          return { found: true };
        },
      },
    });
    const response = await internal(handler, internalEvent());
    expect(response).toEqual({ status: 200, payload: { found: true } });
    expect(received).toHaveLength(1);
    expect(received[0].payload).toEqual({ orderId: 'o-1' });
    expect(received[0].scope).toMatchObject({
      correlationId: 'corr-internal-1',
      caller: { sub: 'user-7', clientId: 'reader', scopes: ['orders/read'] },
      sourceService: 'reading-list',
      traceHeader: 'Root=1-abc;Parent=def;Sampled=1',
    });
    const line = logLines().find((entry) => entry.message === 'looked up');
    expect(line).toMatchObject({
      correlation_id: 'corr-internal-1',
      source_service: 'reading-list',
    });
  });

  it('refuses (401) an internal call that carries no caller, without running the operation', async () => {
    let ran = false;
    const handler = handlerWith({
      operations: {
        lookup: async () => {
          ran = true;
          return null;
        },
      },
    });
    const withoutCaller: Record<string, unknown> = internalEvent();
    delete withoutCaller.caller;
    const response = await internal(handler, withoutCaller);
    expect(response.status).toBe(401);
    expect(response.problem).toMatchObject({ title: 'Unauthorized', status: 401 });
    expect(ran).toBe(false);
  });

  it('passes no caller when anonymous internal calls are allowed and the envelope carries none', async () => {
    let caller: unknown = 'unset';
    const handler = handlerWith({
      allowAnonymousInternalCalls: true,
      operations: {
        lookup: async (_payload, scope) => {
          caller = scope.caller;
          return null;
        },
      },
    });
    const withoutCaller: Record<string, unknown> = internalEvent();
    delete withoutCaller.caller;
    expect((await internal(handler, withoutCaller)).status).toBe(200);
    expect(caller).toBeUndefined();
  });

  it('does not route an internal envelope to gateway routes', async () => {
    let routeCalled = false;
    const handler = handlerWith({
      routes: {
        'GET /orders': async () => {
          routeCalled = true;
          return jsonResponse(200, {});
        },
      },
    });
    const response = await internal(
      handler,
      internalEvent({ operation: 'GET /orders', httpMethod: 'GET', resource: '/orders' }),
    );
    expect(routeCalled).toBe(false);
    expect(response.status).toBe(404);
  });

  it.each([
    ['no operation', { operation: undefined }],
    ['no correlation ID', { correlationId: undefined }],
    ['an oversized correlation ID', { correlationId: 'c'.repeat(129) }],
    ['a malformed caller', { caller: { sub: 'user-7' } }],
    ['a non-string source', { source: 42 }],
  ])('answers status 400 with a problem for an envelope with %s', async (_what, overrides) => {
    let called = false;
    const handler = handlerWith({
      operations: {
        lookup: async () => {
          called = true;
          return null;
        },
      },
    });
    const response = await internal(handler, internalEvent(overrides));
    expect(response).toEqual({
      status: 400,
      problem: { title: 'Bad Request', status: 400, detail: 'Malformed internal request.' },
    });
    expect(called).toBe(false);
  });

  it('answers status 404 for an unknown operation', async () => {
    const handler = handlerWith({ operations: { lookup: async () => null } });
    const response = await internal(handler, internalEvent({ operation: 'drop-tables' }));
    expect(response.status).toBe(404);
    expect(response.problem).toMatchObject({
      title: 'Not Found',
      status: 404,
      detail: 'No such operation.',
    });
  });

  it('answers a ProblemError thrown by an operation with its status', async () => {
    const handler = handlerWith({
      operations: { lookup: async () => Promise.reject(forbidden('Caller lacks orders/read.')) },
    });
    const response = await internal(handler, internalEvent());
    expect(response.status).toBe(403);
    expect(response.problem).toMatchObject({
      title: 'Forbidden',
      status: 403,
      detail: 'Caller lacks orders/read.',
    });
  });

  it('answers an unexpected throw with status 500 and no message leak', async () => {
    const handler = handlerWith({
      operations: {
        lookup: async () => {
          throw new Error(LEAKY_MESSAGE);
        },
      },
    });
    const response = await internal(handler, internalEvent());
    expect(response.status).toBe(500);
    expect(response.problem).toMatchObject({ title: 'Internal Server Error', status: 500 });
    expect(JSON.stringify(response)).not.toContain('hunter2');
    expect(metricLines()).toHaveLength(1);
  });
});
