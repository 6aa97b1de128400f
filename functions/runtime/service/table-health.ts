import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { HealthCheck } from './health';

/** The service's own table must exist and be ACTIVE. */
export function tableHealthCheck(client: DynamoDBClient, tableName: string): HealthCheck {
  return async (signal) => {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }), {
      abortSignal: signal,
    });
    const tableStatus = Table?.TableStatus ?? 'UNKNOWN';
    return { status: tableStatus === 'ACTIVE' ? 'UP' : 'DOWN', details: { tableStatus } };
  };
}
