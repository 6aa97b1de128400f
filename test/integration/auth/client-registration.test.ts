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
import {
  registerClient,
  RegistrationError,
  rotateClientSecret,
} from '../../../functions/auth/clients/registration';
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

  it('two registrations that read the same map version both keep their key (the later put repairs)', async () => {
    const before = await usageMap();
    // Each registration's first put waits until both have read the map: a guaranteed lost update
    // for a plain read-modify-write.
    let arrive!: () => void;
    let waiting = 2;
    const bothRead = new Promise<void>((resolve) => {
      arrive = () => {
        if (--waiting === 0) resolve();
      };
    });
    const gated = () => {
      const ssm = new SSMClient(emulatorClientConfig());
      let first = true;
      ssm.middlewareStack.add(
        (next, context) => async (args) => {
          if (context.commandName === 'PutParameterCommand' && first) {
            first = false;
            arrive();
            await bothRead;
          }
          return next(args);
        },
        { step: 'initialize', name: 'bothReadGate' },
      );
      return ssm;
    };
    const [ssmA, ssmB] = [gated(), gated()];
    try {
      const [a, b] = await Promise.all([
        registerClient({ ...clients, ssm: ssmA }, targets, {
          clientId: 'race-a',
          scopes: [],
          usagePlanId,
        }),
        registerClient({ ...clients, ssm: ssmB }, targets, {
          clientId: 'race-b',
          scopes: [],
          usagePlanId,
        }),
      ]);
      const after = await usageMap();
      expect(Object.keys(after.map).sort()).toEqual(
        [...Object.keys(before.map), 'race-a', 'race-b'].sort(),
      );
      // Two puts and one repair: the race did happen.
      expect(after.version).toBe(before.version + 3);
      const values = await clients.apigateway.send(
        new GetApiKeysCommand({ includeValues: true, nameQuery: 'race-' }),
      );
      for (const registered of [a, b]) {
        expect(after.map[registered.clientId]).toBe(
          values.items?.find((key) => key.id === registered.apiKeyId)?.value,
        );
      }
    } finally {
      ssmA.destroy();
      ssmB.destroy();
    }
  });

  it('six registrations at once all keep their key', async () => {
    const ids = ['burst-1', 'burst-2', 'burst-3', 'burst-4', 'burst-5', 'burst-6'];
    const own = ids.map(() => new SSMClient(emulatorClientConfig()));
    try {
      await Promise.all(
        ids.map((clientId, i) =>
          registerClient({ ...clients, ssm: own[i] }, targets, {
            clientId,
            scopes: [],
            usagePlanId,
          }),
        ),
      );
    } finally {
      for (const ssm of own) ssm.destroy();
    }
    const { map } = await usageMap();
    for (const id of ids) expect(map[id], id).toMatch(/^[\w-]{40}$/);
  });

  it('re-issues a secret (the migration for old scrypt hashes): the old one stops working', async () => {
    const registered = await registerClient(clients, targets, {
      clientId: 'rotating-app',
      scopes: ['reading-list/read'],
      usagePlanId,
    });
    const rotated = await rotateClientSecret(clients, targets, 'rotating-app');
    expect(rotated.clientSecret).not.toBe(registered.clientSecret);
    const { Item } = await DynamoDBDocumentClient.from(clients.dynamodb).send(
      new GetCommand({ TableName: targets.clientsTable, Key: { clientId: 'rotating-app' } }),
    );
    expect(Item?.secretHash).toMatch(/^hmac-sha256\$/);
    expect(Item?.scopes).toEqual(['reading-list/read']);
    expect(await verifyClientSecret(rotated.clientSecret, Item?.secretHash)).toBe(true);
    expect(await verifyClientSecret(registered.clientSecret, Item?.secretHash)).toBe(false);
    await expect(rotateClientSecret(clients, targets, 'never-registered')).rejects.toThrow(
      new RegistrationError("client 'never-registered' is not registered"),
    );
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
    await expect(
      registerClient(clients, targets, { clientId: '__proto__', scopes: [], usagePlanId }),
    ).rejects.toThrow(/client ID must be/);
  });
});

async function usageMap(): Promise<{ map: Record<string, string>; version: number }> {
  const { Parameter } = await clients.ssm.send(
    new GetParameterCommand({ Name: targets.usageKeysParameter, WithDecryption: true }),
  );
  return {
    map: JSON.parse(Parameter!.Value!) as Record<string, string>,
    version: Parameter!.Version!,
  };
}
