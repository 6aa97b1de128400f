import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { captureOutput } from '../../../support/captured-output';
import { gatewayEvent, lambdaContext } from '../../../support/events';

// Mocked on the classes before the handler module loads. The bus is mocked because its refusal
// (a failed entry) is what this file is about; delivery itself is tested against the emulator.
const dynamo = mockClient(DynamoDBDocumentClient);
const bus = mockClient(EventBridgeClient);
const ENV = {
  SERVICE_NAME: 'reading-list',
  TABLE_NAME: 'reading-list',
  RESILIENCE_TABLE_NAME: 'demo-resilience',
  SERVICE_DISCOVERY_NAMESPACE: 'demo-dev',
  CONFIG_SERVICE_PATH: '/demo/dev/reading-list',
  CONFIG_SHARED_PATH: '/demo/dev/shared',
  EVENT_BUS_NAME: 'demo-dev',
  EVENT_SOURCE: 'demo.reading-list',
  EVENT_TYPES_PUBLISHED: 'BookAdded',
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
  bus.restore();
});

captureOutput();

/** The table as the repository sees it: one item per book, conditional puts. */
let stored: Record<string, unknown> | undefined;
beforeEach(() => {
  stored = undefined;
  dynamo.reset();
  bus.reset();
  dynamo.on(PutCommand).callsFake((input: { Item: Record<string, unknown> }) => {
    if (stored) {
      const error = new Error('exists');
      error.name = 'ConditionalCheckFailedException';
      throw error;
    }
    stored = { ...input.Item };
    return {};
  });
  dynamo.on(GetCommand).callsFake(() => ({ Item: stored }));
  dynamo.on(UpdateCommand).callsFake(() => {
    stored = { ...stored, published: true };
    return {};
  });
  bus.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'bus-1' }] });
});

async function addBook(): Promise<APIGatewayProxyResult & { json: Record<string, unknown> }> {
  const result = (await handler(
    gatewayEvent({
      method: 'POST',
      resource: '/reading-list',
      headers: { 'content-type': 'application/json', 'x-correlation-id': 'corr-book-1' },
      body: JSON.stringify({ userId: 'grace', bookId: 'dune', title: 'Dune' }),
      requestContext: {
        authorizer: { sub: 'grace', clientId: 'app', scope: 'reading-list/write' },
      },
    }),
    lambdaContext('reading-list'),
  )) as APIGatewayProxyResult;
  return { ...result, json: JSON.parse(result.body) as Record<string, unknown> };
}

function publishedDetails(): { metadata: Record<string, unknown>; data: unknown }[] {
  return bus
    .commandCalls(PutEventsCommand)
    .map((call) => JSON.parse(call.args[0].input.Entries![0].Detail!));
}

describe('reading-list publishes BookAdded', () => {
  it('with the stored event ID, the correlation ID and the original caller, then marks it sent', async () => {
    const response = await addBook();
    expect(response.statusCode).toBe(201);
    const [entry] = bus
      .commandCalls(PutEventsCommand)
      .map((call) => call.args[0].input.Entries![0]);
    expect(entry).toMatchObject({
      EventBusName: 'demo-dev',
      Source: 'demo.reading-list',
      DetailType: 'BookAdded',
    });
    const [detail] = publishedDetails();
    expect(detail.metadata).toMatchObject({
      eventId: stored!.eventId,
      eventType: 'BookAdded',
      publishedBy: 'reading-list',
      correlationId: 'corr-book-1',
      caller: { sub: 'grace', clientId: 'app', scopes: ['reading-list/write'] },
    });
    expect(detail.data).toEqual({ userId: 'grace', bookId: 'dune', title: 'Dune' });
    expect(stored!.published).toBe(true);
    // The API shows the book, not the event's bookkeeping.
    expect(response.json.book).not.toHaveProperty('eventId');
  });

  it('answers 503 when the bus refuses the event, and the retry sends the same event once', async () => {
    bus
      .on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure' }] })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'bus-2' }] });
    const refused = await addBook();
    expect(refused.statusCode).toBe(503);
    expect(refused.headers?.['content-type'] ?? refused.headers?.['Content-Type']).toMatch(
      /problem\+json/,
    );
    expect(stored!.published).toBeUndefined();

    const retried = await addBook();
    expect(retried.statusCode).toBe(200);
    expect(retried.json.added).toBe(false);
    const details = publishedDetails();
    expect(details).toHaveLength(2);
    expect(details[1].metadata.eventId).toBe(details[0].metadata.eventId);
    expect(stored!.published).toBe(true);

    // Sent: a third request sends nothing more.
    await addBook();
    expect(publishedDetails()).toHaveLength(2);
  });
});
