import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { captureOutput } from '../../../support/captured-output';
import { gatewayEvent, lambdaContext } from '../../../support/events';

// Mocked on the class before the handler module loads: covers the client it builds at load.
const dynamo = mockClient(DynamoDBDocumentClient);
const ENV = {
  SERVICE_NAME: 'reading-list',
  TABLE_NAME: 'reading-list',
  RESILIENCE_TABLE_NAME: 'demo-resilience',
  SERVICE_DISCOVERY_NAMESPACE: 'demo-dev',
  CONFIG_SERVICE_PATH: '/demo/dev/reading-list',
  CONFIG_SHARED_PATH: '/demo/dev/shared',
  POWERTOOLS_TRACE_ENABLED: 'false',
  POWERTOOLS_METRICS_DISABLED: 'true',
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'x',
  AWS_SECRET_ACCESS_KEY: 'y',
};
const savedEnv: Record<string, string | undefined> = {};
type Handler = (event: unknown, context: Context) => Promise<unknown>;
let handler: Handler;

beforeAll(async () => {
  for (const [name, value] of Object.entries(ENV)) {
    savedEnv[name] = process.env[name];
    process.env[name] = value;
  }
  ({ handler } = (await import('../../../../functions/services/reading-list/handler.js')) as {
    handler: Handler;
  });
});

afterAll(() => {
  for (const [name, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  dynamo.restore();
});

captureOutput();

beforeEach(() => {
  dynamo.reset();
  dynamo.on(PutCommand).resolves({});
});

async function addBook(book: Record<string, unknown>) {
  const result = (await handler(
    gatewayEvent({
      method: 'POST',
      resource: '/reading-list',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 'grace', bookId: 'dune', ...book }),
      requestContext: {
        authorizer: { sub: 'grace', clientId: 'app', scope: 'reading-list/write' },
      },
    }),
    lambdaContext('reading-list'),
  )) as APIGatewayProxyResult;
  return { ...result, json: JSON.parse(result.body) as Record<string, unknown> };
}

describe('reading-list — the text a user may give', () => {
  it('stores a title in any script, emoji included', async () => {
    const response = await addBook({ title: '  三体 — Dune 👩‍💻 ', author: 'Frank Herbert' });
    expect(response.statusCode).toBe(201);
    expect(dynamo.commandCalls(PutCommand)[0].args[0].input.Item).toMatchObject({
      title: '三体 — Dune 👩‍💻',
      author: 'Frank Herbert',
    });
  });

  it.each([
    ['NUL', { title: 'Du\u0000ne' }, '/title'],
    ['a newline', { title: 'Dune\nPart two' }, '/title'],
    ['a trailing newline', { title: 'Dune\n' }, '/title'],
    ['RIGHT-TO-LEFT OVERRIDE', { title: '\u202Eenud' }, '/title'],
    ['an isolate control in the author', { title: 'Dune', author: 'Frank\u2066' }, '/author'],
    ['a C1 control', { title: 'Dune\u009b' }, '/title'],
  ])(
    'refuses %s with a 400 problem pointing at the field, and stores nothing',
    async (_what, book, pointer) => {
      const response = await addBook(book);
      expect(response.statusCode).toBe(400);
      expect(response.headers?.['content-type']).toBe('application/problem+json');
      expect(response.json).toMatchObject({
        status: 400,
        errors: [{ pointer, detail: expect.stringMatching(/no control characters/) }],
      });
      expect(dynamo.commandCalls(PutCommand)).toHaveLength(0);
    },
  );
});
