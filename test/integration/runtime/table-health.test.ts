import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkHealth } from '../../../functions/runtime/service/health';
import { tableHealthCheck } from '../../../functions/runtime/service/table-health';
import { emulatorClientConfig } from '../aws-clients';

const tableName = `health-${Date.now().toString(36)}`;
let client: DynamoDBClient;

beforeAll(async () => {
  client = new DynamoDBClient(emulatorClientConfig());
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
});

afterAll(() => client.destroy());

describe('the table health check against the emulator', () => {
  it('reports UP with the table status when the table exists', async () => {
    const report = await checkHealth(
      { table: tableHealthCheck(client, tableName) },
      { service: 's', version: '1' },
    );
    expect(report).toEqual({
      status: 'UP',
      service: 's',
      version: '1',
      components: { table: { status: 'UP', details: { tableStatus: 'ACTIVE' } } },
    });
  });

  it('reports DOWN, naming only the error type, when the table is missing', async () => {
    const report = await checkHealth(
      { table: tableHealthCheck(client, 'no-such-table') },
      { service: 's', version: '1' },
    );
    expect(report.status).toBe('DOWN');
    expect(report.components.table).toEqual({
      status: 'DOWN',
      details: { error: 'ResourceNotFoundException' },
    });
  });
});
