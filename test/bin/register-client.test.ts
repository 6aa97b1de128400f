import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbClientsRepository, verifyClientSecret } from '../../functions/auth/token/clients';
import { hashSecret } from '../../functions/auth/token/secret-hash';

const run = promisify(execFile);
const ROOT = path.join(__dirname, '..', '..');
const OLD_SECRET = 'old-scrypt-secret-0123456789abcdef0123456789';
let server: ReturnType<typeof dynalite>;
let client: DynamoDBClient;
let endpoint: string;

beforeAll(async () => {
  server = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  client = new DynamoDBClient({
    endpoint,
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
});

afterAll(async () => {
  client?.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function registerClientCli(args: string[]) {
  return run(
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'bin/register-client.ts'), ...args],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        AWS_ENDPOINT_URL: endpoint,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
      },
    },
  );
}

describe('npm run client:register -- --rotate-secret', () => {
  it('moves a client with an old scrypt hash onto a new secret stored with the keyed hash', async () => {
    const repository = new DynamoDbClientsRepository('clients', client);
    await repository.put({
      clientId: 'old-app',
      secretHash: await hashSecret(OLD_SECRET, { N: 1024 }),
      scopes: ['reading-list/read'],
    });
    const { stdout } = await registerClientCli([
      '--rotate-secret',
      '--client-id',
      'old-app',
      '--clients-table',
      'clients',
    ]);
    const printed = JSON.parse(stdout) as { clientId: string; clientSecret: string };
    expect(printed.clientId).toBe('old-app');
    const stored = (await repository.find('old-app'))!;
    expect(stored.secretHash).toMatch(/^hmac-sha256\$/);
    expect(stored.scopes).toEqual(['reading-list/read']);
    expect(await verifyClientSecret(printed.clientSecret, stored.secretHash)).toBe(true);
    expect(await verifyClientSecret(OLD_SECRET, stored.secretHash)).toBe(false);
  });

  it('fails with a message for an unregistered client or a missing table', async () => {
    await expect(
      registerClientCli([
        '--rotate-secret',
        '--client-id',
        'ghost-app',
        '--clients-table',
        'clients',
      ]),
    ).rejects.toMatchObject({
      stderr: expect.stringContaining("client 'ghost-app' is not registered"),
    });
    await expect(
      registerClientCli(['--rotate-secret', '--client-id', 'x-app']),
    ).rejects.toMatchObject({
      stderr: expect.stringContaining('missing --clients-table'),
    });
  });
});
