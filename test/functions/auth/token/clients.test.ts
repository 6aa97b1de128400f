import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DynamoDbClientsRepository,
  isClientUsable,
} from '../../../../functions/auth/token/clients';
import { T0, T0_SECONDS } from '../fixtures';

// Items as an operator may write them by hand in the console or the CLI, in DynamoDB's own types.
let server: ReturnType<typeof dynalite>;
let client: DynamoDBClient;
let repository: DynamoDbClientsRepository;

beforeAll(async () => {
  server = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await client.send(
    new CreateTableCommand({
      TableName: 'clients',
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'clientId', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'clientId', AttributeType: 'S' }],
    }),
  );
  repository = new DynamoDbClientsRepository('clients', client);
});

afterAll(async () => {
  client.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function stored(clientId: string, attributes: Record<string, object>) {
  await client.send(
    new PutItemCommand({
      TableName: 'clients',
      Item: { clientId: { S: clientId }, scopes: { SS: ['a/read'] }, ...attributes },
    }),
  );
  return (await repository.find(clientId))!;
}

describe('clients table: hand-edited items fail closed', () => {
  it.each([
    ['string "true"', { S: 'true' }],
    ['string "false"', { S: 'false' }],
    ['number 1', { N: '1' }],
    ['number 0', { N: '0' }],
    ['NULL', { NULL: true }],
    ['BOOL true', { BOOL: true }],
  ])('disabled as %s → not usable', async (_label, disabled) => {
    const record = await stored('hand-edited', { disabled });
    expect(record.disabled).toBe(true);
    expect(isClientUsable(record, T0)).toBe(false);
  });

  it('disabled as BOOL false, or absent → usable', async () => {
    expect(isClientUsable(await stored('off', { disabled: { BOOL: false } }), T0)).toBe(true);
    expect(isClientUsable(await stored('absent', {}), T0)).toBe(true);
  });

  it.each([
    ['a second ago', { N: String(T0_SECONDS - 1) }, false],
    ['in an hour', { N: String(T0_SECONDS + 3600) }, true],
    ['in an hour, as a string', { S: String(T0_SECONDS + 3600) }, true],
    ['not a time', { S: 'next week' }, false],
    ['NULL', { NULL: true }, false],
  ])(
    'expiresAt %s → usable: %s (checked on read, not left to the TTL sweep)',
    async (_label, expiresAt, usable) => {
      expect(isClientUsable(await stored('expiring', { expiresAt }), T0)).toBe(usable);
    },
  );
});
