import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  GetInstancesHealthStatusCommand,
  GetServiceCommand,
  ListInstancesCommand,
  ListNamespacesCommand,
  ListServicesCommand,
  ServiceDiscoveryClient,
  UpdateInstanceCustomHealthStatusCommand,
} from '@aws-sdk/client-servicediscovery';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../../functions/platform/control-loop/handler';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';

// Every client the handler module creates is mocked, whatever its configuration.
const cloudMap = mockClient(ServiceDiscoveryClient);
const lambdaMock = mockClient(LambdaClient);
const saved = vi.hoisted(() => {
  // Read by the handler module when it loads: set before the import below runs.
  const before = { ...process.env };
  process.env.SERVICE_DISCOVERY_NAMESPACE = 'shop.platform';
  delete process.env.SERVICE_DISCOVERY_NAMESPACE_ID;
  process.env.AWS_REGION = 'eu-west-1';
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  return before;
});

afterAll(() => {
  process.env = { ...saved };
  cloudMap.restore();
  lambdaMock.restore();
});

beforeEach(() => {
  cloudMap.reset();
  lambdaMock.reset();
  cloudMap.on(ListNamespacesCommand).resolves({
    // An emulator may ignore the name filter: the handler picks the namespace by name itself.
    Namespaces: [
      { Id: 'ns-other', Name: 'other' },
      { Id: 'ns-shop', Name: 'shop.platform' },
    ],
  });
  cloudMap.on(GetServiceCommand).resolves({
    Service: { Id: 'srv-1', NamespaceId: 'ns-shop', HealthCheckCustomConfig: {} },
  });
  cloudMap
    .on(ListServicesCommand)
    .resolves({ Services: [{ Id: 'srv-1', Name: 'orders', HealthCheckCustomConfig: {} }] });
  cloudMap
    .on(ListInstancesCommand)
    .resolves({ Instances: [{ Id: 'i-1', Attributes: { functionName: 'orders-fn' } }] });
  cloudMap.on(GetInstancesHealthStatusCommand).resolves({ Status: { 'i-1': 'HEALTHY' } });
  cloudMap.on(UpdateInstanceCustomHealthStatusCommand).resolves({});
  lambdaMock.on(InvokeCommand).resolves({
    StatusCode: 200,
    Payload: new TextEncoder().encode(
      JSON.stringify({ status: 503, payload: { status: 'DOWN', components: {} } }),
    ),
  } as never);
});

describe('control-loop handler', () => {
  it('runs one pass on a scheduled event, {} or { action: "probe" }, resolving the namespace once', async () => {
    const scheduled = {
      version: '0',
      source: 'aws.events',
      'detail-type': 'Scheduled Event',
      detail: {},
    };
    for (const event of [scheduled, {}, { action: 'probe' }, null]) {
      expect(await handler(event)).toEqual({
        services: [
          {
            name: 'orders',
            instances: [
              {
                id: 'i-1',
                status: 'UNHEALTHY',
                previous: 'HEALTHY',
                reason: 'reported DOWN',
                updated: true,
              },
            ],
          },
        ],
      });
    }
    expect(cloudMap.commandCalls(ListNamespacesCommand)).toHaveLength(1);
    expect(cloudMap.commandCalls(ListServicesCommand)[0].args[0].input.Filters).toEqual([
      { Name: 'NAMESPACE_ID', Values: ['ns-shop'], Condition: 'EQ' },
    ]);
  });

  it('refuses an unknown action before probing anything', async () => {
    await expect(handler({ action: 'reset' })).rejects.toThrow(/Unsupported/);
    await expect(handler('probe')).rejects.toThrow(/Unsupported/);
    expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(0);
  });
});
