import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { jsonResponse } from '../../../../functions/runtime/http/json';
import type { Powertools } from '../../../../functions/runtime/observability/powertools';
import { ManualClock } from '../../../../functions/runtime/resilience/clock';
import { FaultInjector } from '../../../../functions/runtime/resilience/fault-injection';
import {
  INTERNAL_REQUEST_TYPE,
  type InternalResponse,
} from '../../../../functions/runtime/service/internal-request';
import {
  createServiceHandler,
  type ServiceHandlerOptions,
} from '../../../../functions/runtime/service/service-handler';
import { captureOutput } from '../../../support/captured-output';
import {
  gatewayEvent as baseGatewayEvent,
  internalEvent,
  lambdaContext,
} from '../../../support/events';

const SERVICE = 'orders';

const context = lambdaContext('shop-Orders-abc123');

function powertools(): Powertools {
  return {
    logger: new Logger({ serviceName: SERVICE, logLevel: 'DEBUG' }),
    tracer: new Tracer({ serviceName: SERVICE, enabled: false }),
    metrics: new Metrics({ serviceName: SERVICE, namespace: 'Test' }),
  };
}

const gatewayEvent = (resource: string, method = 'GET'): APIGatewayProxyEvent =>
  baseGatewayEvent({
    method,
    resource,
    headers: { 'x-correlation-id': 'corr-gw-1' },
    requestContext: {
      authorizer: { sub: 'user-7', clientId: 'reader', scope: 'orders/read' },
    },
  });

/** Everything written to stdout/stderr (Powertools writes one JSON object per line). */
const { logLines, metricLines } = captureOutput();

/** A fault source the test controls, counting how often it is applied. */
class Faults {
  applied = 0;
  failWith: Error | undefined;
  async apply(): Promise<void> {
    this.applied += 1;
    if (this.failWith) throw this.failWith;
  }
}

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

/** A route and an operation that record that they ran. */
function recordingHandlers(ran: string[]): Pick<ServiceHandlerOptions, 'routes' | 'operations'> {
  return {
    routes: {
      'GET /orders': async () => {
        ran.push('route');
        return jsonResponse(200, { orders: [] });
      },
    },
    operations: {
      lookup: async () => {
        ran.push('operation');
        return { found: true };
      },
    },
  };
}

describe('createServiceHandler — injected faults', () => {
  it('applies faults before a gateway route, which then answers normally', async () => {
    const faults = new Faults();
    const ran: string[] = [];
    const handler = handlerWith({ faults, ...recordingHandlers(ran) });
    const result = await gateway(handler, gatewayEvent('/orders'));
    expect(result.statusCode).toBe(200);
    expect(faults.applied).toBe(1);
    expect(ran).toEqual(['route']);
    await gateway(handler, gatewayEvent('/orders'));
    expect(faults.applied).toBe(2);
  });

  it('turns a failing fault into a 503 problem without running the route, counting InjectedFaults', async () => {
    const faults = new Faults();
    faults.failWith = new Error('Injected fault in orders');
    const ran: string[] = [];
    const handler = handlerWith({ faults, ...recordingHandlers(ran) });
    const result = await gateway(handler, gatewayEvent('/orders'));
    expect(result.statusCode).toBe(503);
    expect(result.headers).toMatchObject({
      'content-type': 'application/problem+json',
      'x-correlation-id': 'corr-gw-1',
    });
    expect(JSON.parse(result.body)).toMatchObject({
      title: 'Service Unavailable',
      status: 503,
      detail: 'Injected fault in orders',
    });
    expect(ran).toEqual([]);
    const metrics = metricLines();
    expect(metrics).toHaveLength(1);
    expect(metrics[0].InjectedFaults).toBe(1);
    expect(metrics[0].service).toBe(SERVICE);
  });

  it('does not name the cause of a fault that is not an Error', async () => {
    const faults = {
      apply: async () => {
        throw 'a string';
      },
    };
    const handler = handlerWith({ faults, ...recordingHandlers([]) });
    const result = await gateway(handler, gatewayEvent('/orders'));
    expect(result.statusCode).toBe(503);
    expect(JSON.parse(result.body).detail).toBe('Injected fault.');
  });

  it('never applies faults to the health route', async () => {
    const faults = new Faults();
    faults.failWith = new Error('Injected fault in orders');
    const handler = handlerWith({ faults });
    const result = await gateway(handler, gatewayEvent('/orders/health'));
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)).toMatchObject({ status: 'UP' });
    expect(faults.applied).toBe(0);
    expect(metricLines().some((line) => 'InjectedFaults' in line)).toBe(false);
  });

  it('answers 404 for an unknown route without applying faults', async () => {
    const faults = new Faults();
    const handler = handlerWith({ faults, ...recordingHandlers([]) });
    const result = await gateway(handler, gatewayEvent('/orders/{id}'));
    expect(result.statusCode).toBe(404);
    expect(faults.applied).toBe(0);
  });

  it('applies faults before an internal operation', async () => {
    const faults = new Faults();
    const ran: string[] = [];
    const handler = handlerWith({ faults, ...recordingHandlers(ran) });
    await expect(internal(handler, internalEvent())).resolves.toEqual({
      status: 200,
      payload: { found: true },
    });
    expect(faults.applied).toBe(1);
    expect(ran).toEqual(['operation']);
  });

  it('turns a failing fault into a 503 internal problem without running the operation', async () => {
    const faults = new Faults();
    faults.failWith = new Error('Injected fault in orders');
    const ran: string[] = [];
    const handler = handlerWith({ faults, ...recordingHandlers(ran) });
    const response = await internal(handler, internalEvent());
    expect(response.status).toBe(503);
    expect(response.problem).toMatchObject({ title: 'Service Unavailable', status: 503 });
    expect(ran).toEqual([]);
    expect(metricLines()[0].InjectedFaults).toBe(1);
  });

  it('refuses an internal call without a caller with 401 before applying faults', async () => {
    const faults = new Faults();
    const ran: string[] = [];
    const handler = handlerWith({ faults, ...recordingHandlers(ran) });
    const response = await internal(handler, internalEvent({ caller: undefined }));
    expect(response.status).toBe(401);
    expect(response.problem).toMatchObject({ title: 'Unauthorized' });
    expect(faults.applied).toBe(0);
    expect(ran).toEqual([]);
  });

  it('serves an internal call without a caller when allowAnonymousInternalCalls is set', async () => {
    const ran: string[] = [];
    const handler = handlerWith({ allowAnonymousInternalCalls: true, ...recordingHandlers(ran) });
    const response = await internal(handler, internalEvent({ caller: undefined }));
    expect(response.status).toBe(200);
    expect(ran).toEqual(['operation']);
  });

  it('fails requests at the rate a real FaultInjector reads from its store', async () => {
    let draw = 0.1;
    const injector = new FaultInjector({
      service: SERVICE,
      store: { get: async () => ({ errorRate: 0.5, latencyMs: 0 }) },
      clock: new ManualClock(),
      random: () => draw,
      delay: async () => undefined,
    });
    const handler = handlerWith({ faults: injector, ...recordingHandlers([]) });
    const failed = await gateway(handler, gatewayEvent('/orders'));
    expect(failed.statusCode).toBe(503);
    expect(JSON.parse(failed.body).detail).toBe('Injected fault in orders');
    draw = 0.5;
    expect((await gateway(handler, gatewayEvent('/orders'))).statusCode).toBe(200);
  });
});

describe('createServiceHandler — afterInvocation', () => {
  /** Work that finishes only after a macrotask: an answer given before it would be out of order. */
  function slowWork(events: string[]) {
    return async () => {
      events.push('after-start');
      await new Promise<void>((resolve) => setImmediate(resolve));
      events.push('after-done');
    };
  }

  it('awaits the work before answering a gateway request', async () => {
    const events: string[] = [];
    const handler = handlerWith({
      afterInvocation: slowWork(events),
      routes: {
        'GET /orders': async () => {
          events.push('route');
          return jsonResponse(200, {});
        },
      },
    });
    await gateway(handler, gatewayEvent('/orders')).then(() => events.push('answer'));
    expect(events).toEqual(['route', 'after-start', 'after-done', 'answer']);
  });

  it('awaits the work before answering an internal call', async () => {
    const events: string[] = [];
    const handler = handlerWith({
      afterInvocation: slowWork(events),
      ...recordingHandlers(events),
    });
    await internal(handler, internalEvent()).then(() => events.push('answer'));
    expect(events).toEqual(['operation', 'after-start', 'after-done', 'answer']);
  });

  it('runs the work also when the route fails or is unknown', async () => {
    let runs = 0;
    const handler = handlerWith({
      afterInvocation: async () => {
        runs += 1;
      },
      routes: {
        'GET /orders': async () => {
          throw new Error('boom');
        },
      },
    });
    expect((await gateway(handler, gatewayEvent('/orders'))).statusCode).toBe(500);
    expect((await gateway(handler, gatewayEvent('/nowhere'))).statusCode).toBe(404);
    expect((await internal(handler, { type: INTERNAL_REQUEST_TYPE })).status).toBe(400);
    expect(runs).toBe(3);
  });

  it('logs a failure of the work as a warning and leaves the gateway answer unchanged', async () => {
    const handler = handlerWith({
      afterInvocation: async () => {
        throw new TypeError('flush failed: secret detail');
      },
      routes: { 'GET /orders': async () => jsonResponse(200, { orders: ['o-1'] }) },
    });
    const result = await gateway(handler, gatewayEvent('/orders'));
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)).toEqual({ orders: ['o-1'] });
    const warning = logLines().find((line) => line.message === 'After-invocation work failed');
    expect(warning).toMatchObject({ level: 'WARN', error: 'TypeError' });
    expect(JSON.stringify(warning)).not.toContain('secret detail');
  });

  it('leaves the internal answer unchanged when the work fails, and still publishes metrics', async () => {
    const faults = new Faults();
    faults.failWith = new Error('Injected fault in orders');
    const handler = handlerWith({
      faults,
      afterInvocation: async () => {
        throw new Error('flush failed');
      },
      ...recordingHandlers([]),
    });
    const response = await internal(handler, internalEvent());
    expect(response.status).toBe(503);
    expect(logLines().some((line) => line.message === 'After-invocation work failed')).toBe(true);
    expect(metricLines()[0].InjectedFaults).toBe(1);
  });
});
