import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  defineService,
  jsonResponse,
  MissingEnvironmentError,
  REQUIRED_SERVICE_VARIABLES,
} from '../../../../functions/runtime';
import { captureOutput } from '../../../support/captured-output';
import { gatewayEvent, lambdaContext } from '../../../support/events';

const dynamodb = mockClient(DynamoDBClient);
const documents = mockClient(DynamoDBDocumentClient);
const ssm = mockClient(SSMClient);

/** What the Microservice construct sets on every service function. */
const ENV = {
  SERVICE_NAME: 'orders',
  SERVICE_VERSION: '7',
  TABLE_NAME: 'orders-table',
  RESILIENCE_TABLE_NAME: 'shop-resilience',
  SERVICE_DISCOVERY_NAMESPACE: 'shop-prod',
  CONFIG_SERVICE_PATH: '/shop/prod/orders',
  CONFIG_SHARED_PATH: '/shop/prod/shared',
};

beforeAll(() => {
  vi.stubEnv('AWS_REGION', 'eu-west-1');
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'x');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'y');
  vi.stubEnv('POWERTOOLS_TRACE_ENABLED', 'false');
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
});

afterAll(() => {
  vi.unstubAllEnvs();
  dynamodb.restore();
  documents.restore();
  ssm.restore();
});

const output = captureOutput();

beforeEach(() => {
  dynamodb.reset();
  documents.reset();
  ssm.reset();
  dynamodb.on(DescribeTableCommand).resolves({ Table: { TableStatus: 'ACTIVE' } });
  documents.on(GetCommand).resolves({}); // no injected fault
  ssm.on(GetParametersByPathCommand).resolves({ Parameters: [] });
});

function withoutVariables(...names: string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(ENV).filter(([name]) => !names.includes(name)));
}

describe('defineService — a missing environment variable fails at cold start', () => {
  it('names every required variable when none is set', () => {
    const define = () => defineService({}, { env: {} });
    expect(define).toThrow(MissingEnvironmentError);
    expect(define).toThrow(
      'service function cannot start: environment variables SERVICE_NAME, TABLE_NAME, RESILIENCE_TABLE_NAME, CONFIG_SERVICE_PATH, CONFIG_SHARED_PATH are not set',
    );
  });

  it.each(REQUIRED_SERVICE_VARIABLES.filter((name) => name !== 'SERVICE_NAME'))(
    'fails naming the service and %s when only that one is missing',
    (variable) => {
      expect(() => defineService({}, { env: withoutVariables(variable) })).toThrow(
        `orders cannot start: environment variable ${variable} is not set (the Microservice construct sets them`,
      );
    },
  );

  it('starts without a discovery namespace (a LocalStack target: calls go by function name)', () => {
    expect(() =>
      defineService({}, { env: withoutVariables('SERVICE_DISCOVERY_NAMESPACE') }),
    ).not.toThrow();
  });

  it('counts a blank value as missing (never a table called "")', () => {
    expect(() => defineService({}, { env: { ...ENV, TABLE_NAME: '  ' } })).toThrow(
      'orders cannot start: environment variable TABLE_NAME is not set',
    );
  });

  it('fails on a bad breaker setting, naming the variable', () => {
    expect(() =>
      defineService({}, { env: { ...ENV, CIRCUIT_HALF_OPEN_MAX_PROBES: 'two' } }),
    ).toThrow(
      "CIRCUIT_HALF_OPEN_MAX_PROBES: halfOpenMaxProbes must be a non-negative number, got 'two'",
    );
  });

  it('fails when only one of APPCONFIG_APPLICATION and APPCONFIG_ENVIRONMENT is set', () => {
    expect(() => defineService({}, { env: { ...ENV, APPCONFIG_APPLICATION: 'app-1' } })).toThrow(
      'APPCONFIG_APPLICATION and APPCONFIG_ENVIRONMENT must be set together',
    );
  });

  it('does not build the routes when the environment is incomplete', () => {
    const routes = vi.fn(() => ({}));
    expect(() => defineService(routes, { env: withoutVariables('TABLE_NAME') })).toThrow();
    expect(routes).not.toHaveBeenCalled();
  });
});

describe('defineService — wired from the environment', () => {
  async function get(
    handler: (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<unknown>,
    resource: string,
  ) {
    const result = (await handler(
      gatewayEvent({ resource, requestContext: { authorizer: { sub: 'ada', clientId: 'app' } } }),
      lambdaContext('orders-fn'),
    )) as APIGatewayProxyResult;
    return { status: result.statusCode, body: JSON.parse(result.body) as Record<string, unknown> };
  }

  it('gives routes the service name, version and table from the environment', async () => {
    const handler = defineService(
      (service) => ({
        routes: {
          'GET /orders': async () =>
            jsonResponse(200, {
              name: service.serviceName,
              version: service.version,
              table: service.table.name,
            }),
        },
      }),
      { env: ENV },
    );
    expect(await get(handler, '/orders')).toEqual({
      status: 200,
      body: { name: 'orders', version: '7', table: 'orders-table' },
    });
  });

  it('answers GET /{service}/health checking its table and its configuration', async () => {
    const handler = defineService({}, { env: ENV });
    const health = await get(handler, '/orders/health');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({
      status: 'UP',
      service: 'orders',
      version: '7',
      components: { table: { status: 'UP' }, config: { status: 'UP' } },
    });
    expect(dynamodb.commandCalls(DescribeTableCommand)[0].args[0].input.TableName).toBe(
      'orders-table',
    );
    expect(ssm.commandCalls(GetParametersByPathCommand)[0].args[0].input.Path).toBe(
      '/shop/prod/orders',
    );
  });

  it('reports DOWN (503) when its table is not ACTIVE, with the definition checks beside', async () => {
    dynamodb.on(DescribeTableCommand).resolves({ Table: { TableStatus: 'DELETING' } });
    const handler = defineService(
      { healthChecks: { queue: async () => ({ status: 'UP' }) } },
      { env: ENV },
    );
    const health = await get(handler, '/orders/health');
    expect(health.status).toBe(503);
    expect(health.body.components).toMatchObject({
      table: { status: 'DOWN' },
      queue: { status: 'UP' },
    });
  });

  it('flushes the breakers at the end of every invocation, a failed one too', async () => {
    const handler = defineService(
      {
        routes: {
          'GET /orders': async () => jsonResponse(200, {}),
          'GET /orders/broken': async () => {
            throw new Error('boom');
          },
        },
      },
      { env: ENV },
    );
    const flush = vi.spyOn(handler.service.services, 'flush');
    expect((await get(handler, '/orders')).status).toBe(200);
    expect((await get(handler, '/orders/broken')).status).toBe(500);
    expect(flush).toHaveBeenCalledTimes(2);
  });

  it('applies injected faults from the resilience table before a route', async () => {
    documents.on(GetCommand).resolves({ Item: { errorRate: 1, latencyMs: 0 } });
    const route = vi.fn(async () => jsonResponse(200, {}));
    const handler = defineService({ routes: { 'GET /orders': route } }, { env: ENV });
    const answer = await get(handler, '/orders');
    expect(answer.status).toBe(503);
    expect(route).not.toHaveBeenCalled();
    expect(documents.commandCalls(GetCommand)[0].args[0].input.TableName).toBe('shop-resilience');
  });

  it('logs with the service name and the Lambda request ID (Powertools context)', async () => {
    const handler = defineService(
      ({ logger }) => ({
        routes: {
          'GET /orders': async () => {
            logger.info('served');
            return jsonResponse(200, {});
          },
        },
      }),
      { env: ENV },
    );
    await get(handler, '/orders');
    const line = output.logLines().find((entry) => entry.message === 'served');
    expect(line).toMatchObject({
      service: 'orders',
      function_request_id: 'aws-req-1',
      correlation_id: 'gw-req-1',
    });
  });
});
