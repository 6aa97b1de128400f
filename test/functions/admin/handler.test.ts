import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  GetInstancesHealthStatusCommand,
  GetServiceCommand,
  ListInstancesCommand,
  ListServicesCommand,
  ServiceDiscoveryClient,
} from '@aws-sdk/client-servicediscovery';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { captureOutput } from '../../support/captured-output';
import { gatewayEvent, lambdaContext } from '../../support/events';

const TABLE = 'shop-resilience';
const TOKEN = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJvcHMtMSJ9.c2lnbmF0dXJl';
const ADMIN = { sub: 'ops-1', clientId: 'ops-console', scope: 'platform/admin' };

// Mocked on the class before the handler module loads: covers the clients it builds at load.
const dynamo = mockClient(DynamoDBDocumentClient);
const cloudMap = mockClient(ServiceDiscoveryClient);
const NAMESPACE_ID = 'ns-shop';
/** The services registered in the platform's namespace. */
const SERVICES = ['billing', 'reading-list', 'recommendations'];

const ENV = {
  RESILIENCE_TABLE_NAME: TABLE,
  SERVICE_DISCOVERY_NAMESPACE_ID: NAMESPACE_ID,
  POWERTOOLS_TRACE_ENABLED: 'false',
  POWERTOOLS_SERVICE_NAME: 'platform-admin',
  // Views uncached unless a test turns the cache on (each test mocks its own answers).
  ADMIN_VIEW_CACHE_MS: '0',
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'x',
  AWS_SECRET_ACCESS_KEY: 'y',
};
const savedEnv: Record<string, string | undefined> = {};

type Handler = (event: unknown, context: Context) => Promise<unknown>;
let handler: Handler;

beforeAll(async () => {
  for (const [name, value] of Object.entries(ENV)) {
    savedEnv[name] = process.env[name];
    process.env[name] = value;
  }
  ({ handler } = (await import('../../../functions/admin/handler.js')) as { handler: Handler });
});

afterAll(() => {
  for (const [name, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  dynamo.restore();
  cloudMap.restore();
});

const context = lambdaContext('shop-Admin-abc123');

function event(init: {
  method: string;
  resource: string;
  pathParameters?: Record<string, string>;
  body?: unknown;
  contentType?: string | null;
  authorizer?: Record<string, unknown> | null;
}): APIGatewayProxyEvent {
  const headers: Record<string, string> = { Authorization: `Bearer ${TOKEN}` };
  if (init.contentType !== null) headers['content-type'] = init.contentType ?? 'application/json';
  return gatewayEvent({
    method: init.method,
    resource: init.resource,
    headers,
    body: init.body === undefined ? null : JSON.stringify(init.body),
    pathParameters: init.pathParameters,
    requestContext: { authorizer: init.authorizer === undefined ? ADMIN : init.authorizer },
  });
}

async function call(init: Parameters<typeof event>[0]) {
  const result = (await handler(event(init), context)) as APIGatewayProxyResult;
  return { ...result, json: JSON.parse(result.body) as Record<string, unknown> };
}

/** Every admin route, as the gateway names it, with a valid path and body. */
const ROUTES: Parameters<typeof event>[0][] = [
  { method: 'GET', resource: '/admin/circuits' },
  {
    method: 'POST',
    resource: '/admin/circuits/{name}/force-open',
    pathParameters: { name: 'recommendations' },
  },
  {
    method: 'POST',
    resource: '/admin/circuits/{name}/force-closed',
    pathParameters: { name: 'recommendations' },
  },
  {
    method: 'POST',
    resource: '/admin/circuits/{name}/reset',
    pathParameters: { name: 'recommendations' },
  },
  { method: 'GET', resource: '/admin/faults' },
  {
    method: 'PUT',
    resource: '/admin/faults/{service}',
    pathParameters: { service: 'recommendations' },
    body: { errorRate: 0.5, latencyMs: 100 },
  },
  {
    method: 'DELETE',
    resource: '/admin/faults/{service}',
    pathParameters: { service: 'recommendations' },
  },
];

const output = captureOutput();
const { logLines } = output;

beforeEach(() => {
  dynamo.reset();
  // No circuit has a record unless a test says so.
  dynamo.on(ScanCommand).resolves({ Items: [] });
  cloudMap.reset();
  cloudMap.on(ListServicesCommand).resolves({
    Services: SERVICES.map((name) => ({ Id: `srv-${name}`, Name: name })),
  });
  cloudMap.on(GetServiceCommand).resolves({ Service: { NamespaceId: NAMESPACE_ID } });
});

const auditLines = () => logLines().filter((line) => line.log_type === 'audit');

const dynamoCalls = () => dynamo.calls().length;

function circuitItem(name: string, extra: Record<string, unknown> = {}) {
  return {
    pk: `circuit#${name}`,
    sk: 'state',
    name,
    state: 'CLOSED',
    version: 2,
    changedAt: Date.UTC(2030, 0, 1),
    reopenCount: 0,
    bucketStart: 0,
    windowMs: 60_000,
    calls: 0,
    failures: 0,
    prevCalls: 0,
    prevFailures: 0,
    streak: 0,
    probeSuccesses: 0,
    ...extra,
  };
}

describe('admin handler — scope re-check', () => {
  it.each(ROUTES.map((route) => [`${route.method} ${route.resource}`, route] as const))(
    'refuses %s with 403 when the caller lacks platform/admin, touching no table',
    async (_name, route) => {
      const response = await call({
        ...route,
        authorizer: { sub: 'user-1', clientId: 'reader', scope: 'reading-list/read admin' },
      });
      expect(response.statusCode).toBe(403);
      expect(response.json).toMatchObject({
        status: 403,
        error: 'insufficient_scope',
        scope: 'platform/admin',
      });
      expect(dynamoCalls()).toBe(0);
      expect(auditLines()).toEqual([]);
    },
  );

  it.each(ROUTES.map((route) => [`${route.method} ${route.resource}`, route] as const))(
    'refuses %s with 401 when no authenticated caller reached it',
    async (_name, route) => {
      const response = await call({ ...route, authorizer: null });
      expect(response.statusCode).toBe(401);
      expect(response.json).toMatchObject({ status: 401, title: 'Unauthorized' });
      expect(dynamoCalls()).toBe(0);
    },
  );

  it('answers 404 for a route that is not an admin route', async () => {
    const response = await call({ method: 'DELETE', resource: '/admin/circuits' });
    expect(response.statusCode).toBe(404);
  });
});

describe('admin handler — views for the console (read scope, cached)', () => {
  const READER = { sub: 'operator-1', clientId: 'console', scope: 'platform/read' };

  beforeEach(() => {
    cloudMap.on(ListInstancesCommand).resolves({
      Instances: [{ Id: 'i-1', Attributes: { version: '1.0.0', weight: '100' } }],
    });
    cloudMap.on(GetInstancesHealthStatusCommand).resolves({ Status: { 'i-1': 'HEALTHY' } });
  });

  it.each(['/admin/circuits', '/admin/services', '/admin/faults'])(
    'serves GET %s to a caller holding platform/read only',
    async (resource) => {
      const response = await call({ method: 'GET', resource, authorizer: READER });
      expect(response.statusCode).toBe(200);
    },
  );

  it('refuses an action (force-open) to a caller holding platform/read only, writing nothing', async () => {
    const response = await call({
      method: 'POST',
      resource: '/admin/circuits/{name}/force-open',
      pathParameters: { name: 'recommendations' },
      authorizer: READER,
    });
    expect(response.statusCode).toBe(403);
    expect(response.json).toMatchObject({ error: 'insufficient_scope', scope: 'platform/admin' });
    expect(dynamoCalls()).toBe(0);
  });

  it('serves GET /admin/logs and /admin/errors to platform/read: a 503 problem when no log store is configured', async () => {
    for (const resource of ['/admin/logs', '/admin/errors']) {
      const response = await call({ method: 'GET', resource, authorizer: READER });
      expect(response.statusCode).toBe(503);
      expect(response.headers?.['content-type']).toBe('application/problem+json');
    }
  });

  it('refuses a flag switch to platform/read (403) and bad input from platform/admin (400)', async () => {
    const flag = {
      method: 'PUT',
      resource: '/admin/flags/{service}/{flag}',
      pathParameters: { service: 'features', flag: 'recommendations' },
      body: { enabled: false },
    };
    expect((await call({ ...flag, authorizer: READER })).statusCode).toBe(403);
    expect((await call({ ...flag, body: { enabled: 'no' } })).statusCode).toBe(400);
    expect((await call({ ...flag, body: { enabled: true, extra: 1 } })).statusCode).toBe(400);
    expect(
      (
        await call({
          ...flag,
          pathParameters: { service: 'features', flag: '__proto__' },
        })
      ).statusCode,
    ).toBe(400);
  });

  it('answers ten consoles polling circuits and services within the cache age with one read each', async () => {
    process.env.ADMIN_VIEW_CACHE_MS = '600000';
    try {
      dynamo.on(ScanCommand).resolves({ Items: [circuitItem('recommendations')] });
      const poll = (resource: string) => call({ method: 'GET', resource });
      // Ten consoles at once, then each polling again.
      const first = await Promise.all(
        Array.from({ length: 10 }, () => [poll('/admin/circuits'), poll('/admin/services')]).flat(),
      );
      for (let round = 0; round < 10; round++) {
        await poll('/admin/circuits');
        await poll('/admin/services');
      }
      expect(first.every((response) => response.statusCode === 200)).toBe(true);
      expect(dynamo.commandCalls(ScanCommand)).toHaveLength(1);
      // One listing of the namespace and of each service's instances for the services view.
      expect(cloudMap.commandCalls(ListServicesCommand)).toHaveLength(1);
      expect(cloudMap.commandCalls(ListInstancesCommand)).toHaveLength(SERVICES.length);

      // An operator's action drops the cached circuits: the next poll shows it.
      dynamo.on(GetCommand).resolves({ Item: circuitItem('recommendations') });
      dynamo.on(PutCommand).resolves({});
      const forced = await call({
        method: 'POST',
        resource: '/admin/circuits/{name}/force-open',
        pathParameters: { name: 'recommendations' },
      });
      expect(forced.statusCode).toBe(200);
      const scansBefore = dynamo.commandCalls(ScanCommand).length;
      await poll('/admin/circuits');
      await poll('/admin/circuits');
      expect(dynamo.commandCalls(ScanCommand).length).toBe(scansBefore + 1);
    } finally {
      process.env.ADMIN_VIEW_CACHE_MS = '0';
    }
  });
});

describe('admin handler — circuits', () => {
  it('lists circuits from a scan of circuit items, with their state and counts', async () => {
    dynamo.on(ScanCommand).resolves({
      Items: [
        circuitItem('reading-list', { state: 'FORCED_OPEN', reason: 'operator-forced-open' }),
        circuitItem('recommendations', { state: 'OPEN', openUntil: Date.UTC(2099, 0, 1) }),
      ],
    });
    const response = await call({ method: 'GET', resource: '/admin/circuits' });
    expect(response.statusCode).toBe(200);
    const circuits = response.json.circuits as { name: string; state: string }[];
    expect(circuits.map(({ name, state }) => ({ name, state }))).toEqual([
      { name: 'reading-list', state: 'FORCED_OPEN' },
      { name: 'recommendations', state: 'OPEN' },
    ]);
    const [scan] = dynamo.commandCalls(ScanCommand);
    expect(scan.args[0].input).toMatchObject({
      TableName: TABLE,
      ExpressionAttributeValues: { ':prefix': 'circuit#', ':sk': 'state' },
    });
    expect(auditLines()).toEqual([]); // reading is not audited
  });

  it('forces a circuit open with a conditional put on its version and audits it', async () => {
    dynamo.on(GetCommand).resolves({ Item: circuitItem('recommendations') });
    dynamo.on(PutCommand).resolves({});
    const response = await call({
      method: 'POST',
      resource: '/admin/circuits/{name}/force-open',
      pathParameters: { name: 'recommendations' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json).toMatchObject({ name: 'recommendations', state: 'FORCED_OPEN' });
    const puts = dynamo.commandCalls(PutCommand);
    expect(puts).toHaveLength(1);
    const input = puts[0].args[0].input;
    expect(input).toMatchObject({
      TableName: TABLE,
      // The version, and no probe lease taken since the record was read (see leaseSeq).
      ConditionExpression:
        'version = :expected AND (attribute_not_exists(leaseSeq) OR leaseSeq = :zero)',
      ExpressionAttributeValues: { ':expected': 2, ':zero': 0 },
      Item: {
        pk: 'circuit#recommendations',
        sk: 'state',
        state: 'FORCED_OPEN',
        version: 3,
        reason: 'operator-forced-open',
      },
    });
    expect(input.Item?.expiresAt).toBeUndefined(); // forced states never expire
    const audits = auditLines();
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({
      action: 'admin.circuit.forceOpen',
      result: 'success',
      target: 'recommendations',
      sub: 'ops-1',
      client_id: 'ops-console',
      service: 'platform-admin',
      details: { state: 'FORCED_OPEN' },
    });
    expect(audits[0].correlation_id).toEqual(expect.any(String));
    expect(output.text()).not.toContain(TOKEN);
  });

  it('forces a never-seen circuit of a registered service closed (DISABLED), creating its item', async () => {
    dynamo.on(GetCommand).resolves({});
    dynamo.on(PutCommand).resolves({});
    const response = await call({
      method: 'POST',
      resource: '/admin/circuits/{name}/force-closed',
      pathParameters: { name: 'billing' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json).toMatchObject({ name: 'billing', state: 'DISABLED', version: 1 });
    const input = dynamo.commandCalls(PutCommand)[0].args[0].input;
    expect(input.ConditionExpression).toBe(
      '(attribute_not_exists(pk) OR version = :expected) AND (attribute_not_exists(leaseSeq) OR leaseSeq = :zero)',
    );
    expect(input.Item).toMatchObject({ pk: 'circuit#billing', state: 'DISABLED' });
    expect(auditLines()[0]).toMatchObject({
      action: 'admin.circuit.forceClosed',
      target: 'billing',
    });
  });

  it('resets a forced circuit to CLOSED', async () => {
    dynamo.on(GetCommand).resolves({ Item: circuitItem('billing', { state: 'FORCED_OPEN' }) });
    dynamo.on(PutCommand).resolves({});
    const response = await call({
      method: 'POST',
      resource: '/admin/circuits/{name}/reset',
      pathParameters: { name: 'billing' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json).toMatchObject({ state: 'CLOSED' });
    expect(dynamo.commandCalls(PutCommand)[0].args[0].input.Item).toMatchObject({
      state: 'CLOSED',
      reason: 'operator-reset',
    });
    expect(auditLines()[0]).toMatchObject({
      action: 'admin.circuit.reset',
      details: { state: 'CLOSED' },
    });
  });

  it('writes nothing when resetting a circuit that is already pristine', async () => {
    dynamo.on(GetCommand).resolves({});
    const response = await call({
      method: 'POST',
      resource: '/admin/circuits/{name}/reset',
      pathParameters: { name: 'billing' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json).toMatchObject({ state: 'CLOSED', version: 0 });
    expect(dynamo.commandCalls(PutCommand)).toHaveLength(0);
    expect(dynamo.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('re-reads and retries when another writer changed the circuit first', async () => {
    dynamo
      .on(GetCommand)
      .resolvesOnce({ Item: circuitItem('billing', { version: 2 }) })
      .resolves({ Item: circuitItem('billing', { version: 3, state: 'OPEN' }) });
    dynamo
      .on(PutCommand)
      .rejectsOnce(
        new ConditionalCheckFailedException({ message: 'condition failed', $metadata: {} }),
      )
      .resolves({});
    const response = await call({
      method: 'POST',
      resource: '/admin/circuits/{name}/force-open',
      pathParameters: { name: 'billing' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json).toMatchObject({ state: 'FORCED_OPEN', version: 4 });
    const puts = dynamo.commandCalls(PutCommand);
    expect(puts.map((put) => put.args[0].input.ExpressionAttributeValues)).toEqual([
      { ':expected': 2, ':zero': 0 },
      { ':expected': 3, ':zero': 0 },
    ]);
  });

  it.each([
    ['a space', 'bad name'],
    ['a slash', 'a/b'],
    ['over 128 characters', 'x'.repeat(129)],
  ])('refuses a circuit name with %s as a 400 problem pointing at /name', async (_what, name) => {
    const response = await call({
      method: 'POST',
      resource: '/admin/circuits/{name}/force-open',
      pathParameters: { name },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json).toMatchObject({
      status: 400,
      errors: [expect.objectContaining({ pointer: '/name' })],
    });
    expect(dynamoCalls()).toBe(0);
    expect(auditLines()).toEqual([]);
  });

  it('answers 500 without detail when DynamoDB fails, and audits nothing', async () => {
    dynamo.on(GetCommand).rejects(new Error('ProvisionedThroughputExceeded at 10.0.0.1'));
    const response = await call({
      method: 'POST',
      resource: '/admin/circuits/{name}/force-open',
      pathParameters: { name: 'billing' },
    });
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('10.0.0.1');
    expect(auditLines()).toEqual([]);
  });
});

describe('admin handler — unknown circuits', () => {
  it.each(['force-open', 'force-closed', 'reset'])(
    'answers %s on a circuit nobody has used and no service is named after with 404, writing nothing',
    async (action) => {
      const response = await call({
        method: 'POST',
        resource: `/admin/circuits/{name}/${action}`,
        pathParameters: { name: 'phantom' },
      });
      expect(response.statusCode).toBe(404);
      expect(response.headers?.['content-type']).toBe('application/problem+json');
      expect(response.json).toMatchObject({ status: 404, title: 'Not Found' });
      expect(String(response.json.detail)).toContain('No circuit named phantom');
      expect(dynamo.commandCalls(PutCommand)).toHaveLength(0);
      expect(dynamo.commandCalls(UpdateCommand)).toHaveLength(0);
      expect(auditLines()).toEqual([]);
    },
  );

  it('forces a circuit that has a record, even when no service has its name', async () => {
    dynamo.on(ScanCommand).resolves({ Items: [circuitItem('partner-api')] });
    dynamo.on(GetCommand).resolves({ Item: circuitItem('partner-api') });
    dynamo.on(PutCommand).resolves({});
    const response = await call({
      method: 'POST',
      resource: '/admin/circuits/{name}/force-open',
      pathParameters: { name: 'partner-api' },
    });
    expect(response.statusCode).toBe(200);
    expect(cloudMap.commandCalls(ListServicesCommand)).toHaveLength(0);
  });

  it('asks Cloud Map for the platform’s namespace only', async () => {
    await call({
      method: 'POST',
      resource: '/admin/circuits/{name}/reset',
      pathParameters: { name: 'phantom' },
    });
    expect(cloudMap.commandCalls(ListServicesCommand)[0].args[0].input.Filters).toEqual([
      { Name: 'NAMESPACE_ID', Values: [NAMESPACE_ID], Condition: 'EQ' },
    ]);
  });
});

describe('admin handler — faults', () => {
  it('lists fault settings from a scan of fault items', async () => {
    dynamo.on(ScanCommand).resolves({
      Items: [
        {
          pk: 'fault#recommendations',
          sk: 'config',
          service: 'recommendations',
          errorRate: 0.5,
          latencyMs: 0,
          updatedAt: '2030-01-01T00:00:00.000Z',
        },
      ],
    });
    const response = await call({ method: 'GET', resource: '/admin/faults' });
    expect(response.statusCode).toBe(200);
    expect(response.json).toEqual({
      faults: [
        {
          service: 'recommendations',
          errorRate: 0.5,
          latencyMs: 0,
          updatedAt: '2030-01-01T00:00:00.000Z',
        },
      ],
    });
    expect(dynamo.commandCalls(ScanCommand)[0].args[0].input).toMatchObject({
      TableName: TABLE,
      ExpressionAttributeValues: { ':prefix': 'fault#' },
    });
  });

  it('writes the fault item on PUT, answers it, and audits who set what', async () => {
    dynamo.on(PutCommand).resolves({});
    const response = await call({
      method: 'PUT',
      resource: '/admin/faults/{service}',
      pathParameters: { service: 'recommendations' },
      body: { errorRate: 0.25, latencyMs: 300 },
    });
    expect(response.statusCode).toBe(200);
    const puts = dynamo.commandCalls(PutCommand);
    expect(puts).toHaveLength(1);
    const input = puts[0].args[0].input;
    expect(input).toEqual({
      TableName: TABLE,
      Item: {
        pk: 'fault#recommendations',
        sk: 'config',
        service: 'recommendations',
        errorRate: 0.25,
        latencyMs: 300,
        updatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      },
    });
    expect(response.json).toEqual({
      service: 'recommendations',
      errorRate: 0.25,
      latencyMs: 300,
      updatedAt: input.Item?.updatedAt,
    });
    const audits = auditLines();
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({
      level: 'INFO',
      action: 'admin.faults.put',
      result: 'success',
      target: 'recommendations',
      sub: 'ops-1',
      client_id: 'ops-console',
      details: { errorRate: 0.25, latencyMs: 300 },
    });
    expect(output.text()).not.toContain(TOKEN);
  });

  it.each([
    ['an errorRate above 1', { errorRate: 1.5, latencyMs: 0 }, '/errorRate'],
    ['a negative errorRate', { errorRate: -0.1, latencyMs: 0 }, '/errorRate'],
    ['a string errorRate', { errorRate: 'half', latencyMs: 0 }, '/errorRate'],
    ['a latency above 30 s', { errorRate: 0, latencyMs: 30_001 }, '/latencyMs'],
    ['a missing latencyMs', { errorRate: 0.1 }, '/latencyMs'],
  ])('refuses %s with a 400 problem pointing at the field', async (_what, body, pointer) => {
    const response = await call({
      method: 'PUT',
      resource: '/admin/faults/{service}',
      pathParameters: { service: 'recommendations' },
      body,
    });
    expect(response.statusCode).toBe(400);
    expect(response.headers?.['content-type']).toBe('application/problem+json');
    expect(response.json).toMatchObject({
      status: 400,
      errors: expect.arrayContaining([expect.objectContaining({ pointer })]),
    });
    expect(dynamo.commandCalls(PutCommand)).toHaveLength(0);
    expect(auditLines()).toEqual([]);
  });

  it('refuses unknown fields in the body (strict schema)', async () => {
    const response = await call({
      method: 'PUT',
      resource: '/admin/faults/{service}',
      pathParameters: { service: 'recommendations' },
      body: { errorRate: 0.1, latencyMs: 0, killSwitch: true },
    });
    expect(response.statusCode).toBe(400);
    expect(dynamo.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('refuses an invalid service name with a 400 pointing at /service', async () => {
    const response = await call({
      method: 'PUT',
      resource: '/admin/faults/{service}',
      pathParameters: { service: 'Recommendations!' },
      body: { errorRate: 0.1, latencyMs: 0 },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json).toMatchObject({
      errors: [expect.objectContaining({ pointer: '/service' })],
    });
    expect(dynamo.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('refuses a body that is not JSON with 415', async () => {
    const response = await call({
      method: 'PUT',
      resource: '/admin/faults/{service}',
      pathParameters: { service: 'recommendations' },
      body: { errorRate: 0.1, latencyMs: 0 },
      contentType: 'text/plain',
    });
    expect(response.statusCode).toBe(415);
    expect(dynamo.commandCalls(PutCommand)).toHaveLength(0);
  });
});

describe('admin handler — faults for services that exist', () => {
  it.each(['nonexistent-svc', 'constructor', 'prototype'])(
    'refuses fault settings for %s, which no registered service is, with 404 and writes nothing',
    async (service) => {
      const response = await call({
        method: 'PUT',
        resource: '/admin/faults/{service}',
        pathParameters: { service },
        body: { errorRate: 0.5, latencyMs: 0 },
      });
      expect(response.statusCode).toBe(404);
      expect(response.json).toMatchObject({
        status: 404,
        detail: `No service named ${service} is registered on the platform.`,
      });
      expect(dynamo.commandCalls(PutCommand)).toHaveLength(0);
      expect(auditLines()).toEqual([]);
    },
  );

  it('refuses a service name that is a registered service of another namespace', async () => {
    cloudMap.on(GetServiceCommand).resolves({ Service: { NamespaceId: 'ns-other' } });
    const response = await call({
      method: 'PUT',
      resource: '/admin/faults/{service}',
      pathParameters: { service: 'recommendations' },
      body: { errorRate: 0.5, latencyMs: 0 },
    });
    expect(response.statusCode).toBe(404);
  });

  it.each([
    [
      'an errorRate DynamoDB cannot store (1e-131)',
      '{"errorRate":1e-131,"latencyMs":0}',
      '/errorRate',
    ],
    ['a latency past the safe integers', '{"errorRate":0,"latencyMs":1e300}', '/latencyMs'],
    ['an infinite errorRate', '{"errorRate":1e999,"latencyMs":0}', '/errorRate'],
  ])('refuses %s with a 400 problem, before any write', async (_what, body, pointer) => {
    const result = (await handler(
      {
        ...event({
          method: 'PUT',
          resource: '/admin/faults/{service}',
          pathParameters: { service: 'recommendations' },
        }),
        body,
      },
      context,
    )) as APIGatewayProxyResult;
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body)).toMatchObject({
      status: 400,
      errors: [expect.objectContaining({ pointer })],
    });
    expect(dynamo.commandCalls(PutCommand)).toHaveLength(0);
  });
});

describe('admin handler — DELETE /admin/faults/{service}', () => {
  it('deletes the very item a PUT wrote, answers 204 and audits it', async () => {
    dynamo.on(PutCommand).resolves({});
    await call({
      method: 'PUT',
      resource: '/admin/faults/{service}',
      pathParameters: { service: 'recommendations' },
      body: { errorRate: 0.5, latencyMs: 0 },
    });
    const written = dynamo.commandCalls(PutCommand)[0].args[0].input.Item!;
    dynamo.on(DeleteCommand).resolves({ Attributes: written });
    const response = await handler(
      event({
        method: 'DELETE',
        resource: '/admin/faults/{service}',
        pathParameters: { service: 'recommendations' },
        contentType: null,
      }),
      context,
    );
    expect(response).toMatchObject({ statusCode: 204, body: '' });
    const deleteInput = dynamo.commandCalls(DeleteCommand)[0].args[0].input;
    expect(deleteInput).toMatchObject({
      TableName: TABLE,
      Key: { pk: written.pk, sk: written.sk },
      ReturnValues: 'ALL_OLD',
    });
    expect(auditLines().at(-1)).toMatchObject({
      action: 'admin.faults.delete',
      target: 'recommendations',
    });
  });

  it('deletes a stale record for a name no service has (what an older PUT left)', async () => {
    dynamo.on(DeleteCommand).resolves({ Attributes: { pk: 'fault#constructor', sk: 'config' } });
    const response = (await handler(
      event({
        method: 'DELETE',
        resource: '/admin/faults/{service}',
        pathParameters: { service: 'constructor' },
      }),
      context,
    )) as APIGatewayProxyResult;
    expect(response.statusCode).toBe(204);
  });

  it('answers 404 when there are no settings to delete, and audits nothing', async () => {
    dynamo.on(DeleteCommand).resolves({});
    const response = await call({
      method: 'DELETE',
      resource: '/admin/faults/{service}',
      pathParameters: { service: 'recommendations' },
    });
    expect(response.statusCode).toBe(404);
    expect(response.json).toMatchObject({ detail: 'No fault settings for recommendations.' });
    expect(auditLines()).toEqual([]);
  });

  it('refuses a malformed service name with 400 before touching the table', async () => {
    const response = await call({
      method: 'DELETE',
      resource: '/admin/faults/{service}',
      pathParameters: { service: '__proto__' },
    });
    expect(response.statusCode).toBe(400);
    expect(dynamo.commandCalls(DeleteCommand)).toHaveLength(0);
  });
});
