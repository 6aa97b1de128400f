import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import {
  createBreakerDynamoDbClient,
  type BreakerClientOptions,
} from '../../../functions/runtime/resilience';

export const REGION = 'us-east-1';
export const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** An in-process DynamoDB emulator (atomic conditional writes) on a random 127.0.0.1 port. */
export interface LocalDynamoDb {
  readonly endpoint: string;
  createCircuitTable(name: string): Promise<void>;
  close(): Promise<void>;
}

export async function startLocalDynamoDb(): Promise<LocalDynamoDb> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    async createCircuitTable(name: string) {
      const admin = new DynamoDBClient({ endpoint, region: REGION, credentials: CREDENTIALS });
      // The key schema the platform's table construct creates (TTL on `expiresAt` is enabled there).
      await admin.send(
        new CreateTableCommand({
          TableName: name,
          BillingMode: 'PAY_PER_REQUEST',
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
          AttributeDefinitions: [
            { AttributeName: 'pk', AttributeType: 'S' },
            { AttributeName: 'sk', AttributeType: 'S' },
          ],
        }),
      );
      admin.destroy();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections?.();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

export interface CountedClient {
  readonly client: DynamoDBClient;
  /** Requests sent, by operation (GetItem, UpdateItem, PutItem...). */
  readonly requests: Map<string, number>;
  total(): number;
  writes(): number;
}

/**
 * One environment's client, as the breaker builds it, with a middleware that counts every
 * request: that is how tests and the bench know what a breaker costs. `deployed` gives the
 * client exactly as a service function builds it (short timeouts, one SDK retry) unless
 * overridden; without it the socket timeouts are long and there is no retry.
 */
export function countedClient(
  endpoint: string,
  deployed?: Omit<BreakerClientOptions, 'endpoint' | 'region' | 'credentials'>,
): CountedClient {
  const client = createBreakerDynamoDbClient(
    deployed
      ? { endpoint, region: REGION, credentials: CREDENTIALS, ...deployed }
      : {
          endpoint,
          region: REGION,
          credentials: CREDENTIALS,
          // The emulator is slower than DynamoDB under a 20-environment burst; the fake
          // clock's store timeout is what the tests exercise, not the socket one.
          requestTimeoutMs: 5000,
          connectionTimeoutMs: 5000,
          maxAttempts: 1,
        },
  );
  const requests = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = String(context.commandName ?? 'unknown').replace(/Command$/, '');
      requests.set(operation, (requests.get(operation) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'countRequests' },
  );
  const total = () => [...requests.values()].reduce((sum, count) => sum + count, 0);
  const writes = () =>
    [...requests.entries()]
      .filter(([operation]) => /Put|Update|Delete|Write/.test(operation))
      .reduce((sum, [, count]) => sum + count, 0);
  return { client, requests, total, writes };
}
