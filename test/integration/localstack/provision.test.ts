import {
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCloudAssembly, type StackArtifact } from '../../../localstack/platform/cloud-assembly';
import { nameResources } from '../../../localstack/platform/physical-names';
import { provisionStack } from '../../../localstack/platform/provision';
import { synthSingleStackAssembly } from '../../support/demo-assembly';
import { emulatorClientConfig } from '../aws-clients';

let stack: StackArtifact;
let dynamodb: DynamoDBClient;

beforeAll(() => {
  [stack] = readCloudAssembly(synthSingleStackAssembly());
  dynamodb = new DynamoDBClient(emulatorClientConfig());
});

afterAll(() => dynamodb.destroy());

describe('provisioning the template into the emulator', () => {
  it('creates every table the template declares, with its key schema and billing mode', async () => {
    // A stack name of its own, so this run cannot collide with tables of another test.
    const isolated = { ...stack, stackName: `Provision${Date.now().toString(36)}` };
    const context = nameResources(isolated, { region: 'us-east-1', accountId: '123456789012' });
    const created = (await provisionStack(isolated, context, emulatorClientConfig())).filter(
      (resource) => resource.type === 'AWS::DynamoDB::Table',
    );

    const declared = Object.values(stack.template.Resources).filter(
      (r) => r.Type === 'AWS::DynamoDB::Table',
    );
    expect(created).toHaveLength(declared.length);
    expect(created.every((resource) => !resource.existed)).toBe(true);
    const keySchemas = new Map<string, TableDescription['KeySchema']>();
    for (const resource of created) {
      const { Table } = await dynamodb.send(
        new DescribeTableCommand({ TableName: resource.physicalId }),
      );
      expect(Table?.TableStatus).toBe('ACTIVE');
      expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
      keySchemas.set(resource.logicalId, Table?.KeySchema);
    }
    // Which table is whose: the functions name them in their environment.
    const tablesNamedBy = (variable: string) =>
      Object.values(stack.template.Resources)
        .map(
          (r) =>
            (r.Properties?.Environment as { Variables?: Record<string, { Ref?: string }> })
              ?.Variables?.[variable]?.Ref,
        )
        .filter((ref): ref is string => ref !== undefined && keySchemas.has(ref));
    const serviceTables = tablesNamedBy('TABLE_NAME');
    expect(serviceTables).toHaveLength(2);
    for (const logicalId of serviceTables) {
      expect(keySchemas.get(logicalId), logicalId).toEqual([
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ]);
    }
    const clientsTables = tablesNamedBy('CLIENTS_TABLE_NAME');
    expect(clientsTables).toHaveLength(1);
    expect(keySchemas.get(clientsTables[0])).toEqual([
      { AttributeName: 'clientId', KeyType: 'HASH' },
    ]);
    const clients = created.find((resource) => resource.logicalId === clientsTables[0])!;
    const { TimeToLiveDescription } = await dynamodb.send(
      new DescribeTimeToLiveCommand({ TableName: clients.physicalId }),
    );
    expect(TimeToLiveDescription).toMatchObject({
      AttributeName: 'expiresAt',
      TimeToLiveStatus: 'ENABLED',
    });
  });

  it('finds the tables of an earlier run instead of failing (a persistent emulator such as LocalStack)', async () => {
    const isolated = { ...stack, stackName: `Again${Date.now().toString(36)}` };
    const context = nameResources(isolated, { region: 'us-east-1', accountId: '123456789012' });
    await provisionStack(isolated, context, emulatorClientConfig());
    const second = await provisionStack(isolated, context, emulatorClientConfig());
    // Tables, parameters (an operator's value is kept), the namespace and its services are found
    // again; instances are registered again with the template's attributes, and a hosted
    // configuration version is a new version by nature.
    const found = second.filter((resource) =>
      [
        'AWS::DynamoDB::Table',
        'AWS::SSM::Parameter',
        'AWS::ServiceDiscovery::HttpNamespace',
        'AWS::ServiceDiscovery::Service',
      ].includes(resource.type),
    );
    expect(found.map((resource) => resource.type)).toEqual(
      expect.arrayContaining([
        'AWS::DynamoDB::Table',
        'AWS::SSM::Parameter',
        'AWS::ServiceDiscovery::HttpNamespace',
        'AWS::ServiceDiscovery::Service',
      ]),
    );
    expect(found.every((resource) => resource.existed)).toBe(true);
  });

  it('creates the parameters, the Cloud Map registrations and the AppConfig objects the template declares', async () => {
    const isolated = { ...stack, stackName: `Objects${Date.now().toString(36)}` };
    const context = nameResources(isolated, { region: 'us-east-1', accountId: '123456789012' });
    const created = await provisionStack(isolated, context, emulatorClientConfig());
    const count = (type: string) => created.filter((resource) => resource.type === type).length;
    const declared = (type: string) =>
      Object.values(stack.template.Resources).filter((r) => r.Type === type).length;
    for (const type of [
      'AWS::SSM::Parameter',
      'AWS::ServiceDiscovery::HttpNamespace',
      'AWS::ServiceDiscovery::Service',
      'AWS::ServiceDiscovery::Instance',
      'AWS::AppConfig::Application',
      'AWS::AppConfig::ConfigurationProfile',
      'AWS::AppConfig::HostedConfigurationVersion',
    ]) {
      expect(count(type), type).toBe(declared(type));
      expect(declared(type), type).toBeGreaterThan(0);
    }
    // Later references resolve to the IDs the emulator chose.
    const [namespaceId] = created
      .filter((r) => r.type === 'AWS::ServiceDiscovery::HttpNamespace')
      .map((r) => r.physicalId);
    const namespaceLogicalId = created.find(
      (r) => r.type === 'AWS::ServiceDiscovery::HttpNamespace',
    )!.logicalId;
    expect(context.refs.get(namespaceLogicalId)).toBe(namespaceId);
  });
});
