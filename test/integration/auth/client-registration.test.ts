import {
  APIGatewayClient,
  CreateUsagePlanCommand,
  GetApiKeysCommand,
  GetUsagePlanKeysCommand,
} from '@aws-sdk/client-api-gateway';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerClient, RegistrationError } from '../../../functions/auth/clients/registration';
import { verifyClientSecret } from '../../../functions/auth/token/clients';
import { emulatorClientConfig } from '../aws-clients';

const suffix = Date.now().toString(36);
const targets = {
  clientsTable: `clients-${suffix}`,
  usageKeysParameter: `/test-${suffix}/auth/usage-plan-keys`,
};
let clients: { dynamodb: DynamoDBClient; apigateway: APIGatewayClient; ssm: SSMClient };
let usagePlanId: string;

beforeAll(async () => {
  const config = emulatorClientConfig();
  clients = {
    dynamodb: new DynamoDBClient(config),
    apigateway: new APIGatewayClient(config),
    ssm: new SSMClient(config),
  };
  await clients.dynamodb.send(
    new CreateTableCommand({
      TableName: targets.clientsTable,
      KeySchema: [{ AttributeName: 'clientId', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'clientId', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  const plan = await clients.apigateway.send(
    new CreateUsagePlanCommand({
      name: `plan-${suffix}`,
      throttle: { rateLimit: 5, burstLimit: 10 },
      quota: { limit: 1000, period: 'DAY' },
    }),
  );
  usagePlanId = plan.id!;
});

afterAll(() => {
  for (const client of Object.values(clients)) client.destroy();
});

describe('registering a client of a deployed platform (against the emulator)', () => {
  it('stores the hashed secret and scopes, gives the client its own key on the usage plan, and maps it for the authorizer', async () => {
    const registered = await registerClient(clients, targets, {
      clientId: 'partner-app',
      scopes: ['reading-list/read', 'reading-list/read', 'recommendations/read'],
      usagePlanId,
    });

    const { Item } = await DynamoDBDocumentClient.from(clients.dynamodb).send(
      new GetCommand({ TableName: targets.clientsTable, Key: { clientId: 'partner-app' } }),
    );
    expect(Item?.scopes).toEqual(['reading-list/read', 'recommendations/read']);
    expect(JSON.stringify(Item)).not.toContain(registered.clientSecret);
    expect(await verifyClientSecret(registered.clientSecret, Item?.secretHash)).toBe(true);
    expect(await verifyClientSecret('not-the-secret', Item?.secretHash)).toBe(false);

    const planKeys = await clients.apigateway.send(new GetUsagePlanKeysCommand({ usagePlanId }));
    expect(planKeys.items?.map((key) => key.id)).toContain(registered.apiKeyId);

    const { Parameter } = await clients.ssm.send(
      new GetParameterCommand({ Name: targets.usageKeysParameter, WithDecryption: true }),
    );
    expect(Parameter?.Type).toBe('SecureString');
    const map = JSON.parse(Parameter!.Value!) as Record<string, string>;
    const keys = await clients.apigateway.send(
      new GetApiKeysCommand({ includeValues: true, nameQuery: 'partner-app' }),
    );
    expect(map['partner-app']).toBe(
      keys.items?.find((key) => key.id === registered.apiKeyId)?.value,
    );
  });

  it('keeps the other clients in the key map when another registers', async () => {
    await registerClient(clients, targets, { clientId: 'second-app', scopes: [], usagePlanId });
    const { Parameter } = await clients.ssm.send(
      new GetParameterCommand({ Name: targets.usageKeysParameter, WithDecryption: true }),
    );
    expect(Object.keys(JSON.parse(Parameter!.Value!)).sort()).toEqual([
      'partner-app',
      'second-app',
    ]);
  });

  it('refuses an existing client ID and changes nothing', async () => {
    const before = await clients.apigateway.send(new GetApiKeysCommand({}));
    await expect(
      registerClient(clients, targets, { clientId: 'partner-app', scopes: [], usagePlanId }),
    ).rejects.toThrow(new RegistrationError("client 'partner-app' is already registered"));
    const after = await clients.apigateway.send(new GetApiKeysCommand({}));
    expect(after.items?.length).toBe(before.items?.length);
  });

  it('refuses a malformed client ID or scope before touching anything', async () => {
    await expect(
      registerClient(clients, targets, { clientId: 'a b', scopes: [], usagePlanId }),
    ).rejects.toThrow(/client ID must be/);
    await expect(
      registerClient(clients, targets, { clientId: 'ok-id', scopes: ['bad"scope'], usagePlanId }),
    ).rejects.toThrow(/scope tokens/);
  });
});
