import {
  GetInstancesHealthStatusCommand,
  GetServiceCommand,
  ListInstancesCommand,
  ListServicesCommand,
  ServiceDiscoveryClient,
} from '@aws-sdk/client-servicediscovery';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { listServices } from '../../../../functions/runtime/discovery/admin-view';

const sdk = new ServiceDiscoveryClient({
  region: 'eu-west-1',
  credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
});
const cloudMap = mockClient(sdk);

beforeEach(() => cloudMap.reset());

describe('listServices', () => {
  it('lists each service of the namespace with its instances, attributes and health', async () => {
    cloudMap
      .on(ListServicesCommand)
      .resolvesOnce({
        Services: [
          { Id: 'srv-orders', Name: 'orders', HealthCheckCustomConfig: {} },
          // moto ignores the namespace filter: GetService shows this one is not ours.
          { Id: 'srv-other', Name: 'elsewhere' },
        ],
        NextToken: 'page-2',
      })
      .resolvesOnce({ Services: [{ Id: 'srv-billing', Name: 'billing' }] });
    cloudMap.on(GetServiceCommand).callsFake((input: { Id: string }) => ({
      Service: { Id: input.Id, NamespaceId: input.Id === 'srv-other' ? 'ns-other' : 'ns-1' },
    }));
    cloudMap
      .on(ListInstancesCommand, { ServiceId: 'srv-orders' })
      .resolves({
        Instances: [
          { Id: 'v2', Attributes: { functionName: 'orders-v2', weight: '10' } },
          { Id: 'v1', Attributes: { functionName: 'orders-v1' } },
          { Id: 'new', Attributes: { functionName: 'orders-new' } },
        ],
      })
      .on(ListInstancesCommand, { ServiceId: 'srv-billing' })
      .resolves({ Instances: [{ Id: 'b1', Attributes: { functionName: 'billing' } }] });
    cloudMap
      .on(GetInstancesHealthStatusCommand, { ServiceId: 'srv-orders' })
      .resolves({ Status: { v1: 'HEALTHY', v2: 'UNHEALTHY' } })
      .on(GetInstancesHealthStatusCommand, { ServiceId: 'srv-billing' })
      .rejects(Object.assign(new Error('no health check'), { name: 'InvalidInput' }));

    expect(await listServices(sdk, 'ns-1')).toEqual([
      {
        name: 'billing',
        instances: [{ id: 'b1', attributes: { functionName: 'billing' }, health: 'UNKNOWN' }],
      },
      {
        name: 'orders',
        instances: [
          { id: 'new', attributes: { functionName: 'orders-new' }, health: 'UNKNOWN' },
          { id: 'v1', attributes: { functionName: 'orders-v1' }, health: 'HEALTHY' },
          {
            id: 'v2',
            attributes: { functionName: 'orders-v2', weight: '10' },
            health: 'UNHEALTHY',
          },
        ],
      },
    ]);
    expect(cloudMap.commandCalls(ListInstancesCommand, { ServiceId: 'srv-other' })).toHaveLength(0);
    const listCalls = cloudMap.commandCalls(ListServicesCommand);
    expect(listCalls.map((call) => call.args[0].input)).toEqual([
      {
        Filters: [{ Name: 'NAMESPACE_ID', Values: ['ns-1'], Condition: 'EQ' }],
        NextToken: undefined,
      },
      {
        Filters: [{ Name: 'NAMESPACE_ID', Values: ['ns-1'], Condition: 'EQ' }],
        NextToken: 'page-2',
      },
    ]);
  });
});
