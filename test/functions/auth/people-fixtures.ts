import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { s256 } from '../../../functions/auth/token/pkce';
import { gatewayEvent } from '../../support/events';
import { ISSUER } from './fixtures';

/**
 * A real DynamoDB API (dynalite, atomic conditional writes, over HTTP on 127.0.0.1) holding the
 * users and grants tables with the key schema the construct creates.
 */
export async function startPeopleTables(): Promise<{
  client: DynamoDBClient;
  usersTable: string;
  grantsTable: string;
  close(): Promise<void>;
}> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  for (const [name, key] of [
    ['users', 'username'],
    ['grants', 'pk'],
  ]) {
    await client.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: key, KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: key, AttributeType: 'S' }],
      }),
    );
  }
  return {
    client,
    usersTable: 'users',
    grantsTable: 'grants',
    close: async () => {
      client.destroy();
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export const CALLBACK = 'https://console.example.com/console/callback';
export const VERIFIER = 'verifier-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFG';
export const CHALLENGE = s256(VERIFIER);

/** GET /oauth2/authorize with the console's usual request, `overrides` replacing (undefined: removing) parameters. */
export function authorizeEvent(
  overrides: Record<string, string | undefined> = {},
  headers: Record<string, string> = { accept: 'text/html' },
): APIGatewayProxyEvent {
  const params: Record<string, string | undefined> = {
    response_type: 'code',
    client_id: 'console',
    redirect_uri: CALLBACK,
    code_challenge: CHALLENGE,
    code_challenge_method: 'S256',
    state: 'state-123',
    scope: 'platform/read platform/admin',
    ...overrides,
  };
  const query = Object.fromEntries(
    Object.entries(params).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  const event = gatewayEvent({
    resource: '/oauth2/authorize',
    headers,
    requestContext: {
      domainName: 'abc123defg.execute-api.eu-west-1.amazonaws.com',
      stage: 'prod',
      identity: { sourceIp: '198.51.100.7' },
    },
  });
  return {
    ...event,
    queryStringParameters: query,
    multiValueQueryStringParameters: Object.fromEntries(
      Object.entries(query).map(([k, v]) => [k, [v]]),
    ),
  };
}

/** The login form of a page: its action, hidden fields and the CSRF cookie set with it. */
export function loginForm(page: APIGatewayProxyResult): {
  action: string;
  hidden: Record<string, string>;
  cookie: string;
} {
  const action = /<form method="post" action="([^"]+)"/.exec(page.body)?.[1];
  const hidden: Record<string, string> = {};
  for (const match of page.body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g))
    hidden[match[1]] = match[2];
  const cookie = String(page.headers?.['set-cookie'] ?? '').split(';')[0];
  if (!action) throw new Error(`no form in page: ${page.body.slice(0, 200)}`);
  return { action, hidden, cookie };
}

export function loginEvent(
  fields: Record<string, string | undefined>,
  cookie: string | undefined,
  sourceIp = '198.51.100.7',
): APIGatewayProxyEvent {
  const body = new URLSearchParams(
    Object.entries(fields).filter((entry): entry is [string, string] => entry[1] !== undefined),
  ).toString();
  return gatewayEvent({
    method: 'POST',
    resource: '/oauth2/authorize',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'text/html',
      ...(cookie ? { cookie } : {}),
    },
    body,
    requestContext: {
      domainName: 'abc123defg.execute-api.eu-west-1.amazonaws.com',
      stage: 'prod',
      identity: { sourceIp },
    },
  });
}

export { ISSUER };
