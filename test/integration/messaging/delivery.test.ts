import * as path from 'node:path';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import {
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  EventConsumer,
  EventPublisher,
  EventSourceMappingControl,
  defineEvent,
  on,
} from '../../../functions/runtime/messaging';
import { createPowertools } from '../../../functions/runtime/observability/powertools';
import { CircuitAdmin } from '../../../functions/runtime/resilience/circuit-admin';
import { CircuitBreaker } from '../../../functions/runtime/resilience/circuit-breaker';
import { DynamoDbStateStore } from '../../../functions/runtime/resilience/dynamodb-state-store';
import { EventPublication } from '../../../lib/messaging/event-publication';
import { EventSubscription } from '../../../lib/messaging/event-subscription';
import { PlatformEventBus } from '../../../lib/messaging/platform-event-bus';
import { MicroservicePlatform } from '../../../lib/platform/microservice-platform';
import { Microservice } from '../../../lib/service/microservice';
import type { StackArtifact } from '../../../localstack/platform/cloud-assembly';
import { LocalLambdaApi } from '../../../localstack/platform/lambda-api';
import { LocalEventSourceMappings } from '../../../localstack/platform/messaging/event-source-mappings';
import { eventSourceMappingRoutes } from '../../../localstack/platform/messaging/mapping-api';
import {
  nameMessagingResources,
  provisionMessaging,
} from '../../../localstack/platform/messaging/resources';
import { nameResources } from '../../../localstack/platform/physical-names';
import { lambdaContext } from '../../support/events';
import { emulatorClientConfig, emulatorEndpoint } from '../aws-clients';

const SERVICES = path.join(__dirname, '..', '..', '..', 'functions', 'services');
const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:recommendations-consumer';
const CIRCUIT = 'recommendations-store';
const MAX_RECEIVES = 3;

const BookAdded = defineEvent(
  'BookAdded',
  z.object({ userId: z.string().min(1), bookId: z.string().min(1) }),
);

/** The demo's shape, synthesized: a bus, reading-list publishing BookAdded, recommendations consuming it. */
function synthesize(suffix: string) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, `Messaging${suffix}`, {
    env: { account: '123456789012', region: 'us-east-1' },
  });
  const platform = new MicroservicePlatform(stack, 'Platform', {
    platformName: `msg${suffix.toLowerCase()}`,
    stage: 'it',
  });
  const readingList = new Microservice(stack, 'ReadingList', {
    platform,
    serviceName: 'reading-list',
    entry: path.join(SERVICES, 'reading-list', 'handler.ts'),
  });
  new EventPublication(readingList, 'Events', { service: readingList }).add({
    eventType: 'BookAdded',
    schema: { type: 'object' },
  });
  const recommendations = new Microservice(stack, 'Recommendations', {
    platform,
    serviceName: 'recommendations',
    entry: path.join(SERVICES, 'recommendations', 'handler.ts'),
  });
  const subscription = new EventSubscription(recommendations, 'Subscription', {
    service: recommendations,
    maxReceiveCount: MAX_RECEIVES,
    pauseOnOpenCircuits: [CIRCUIT],
  });
  subscription.add({ from: 'reading-list', eventTypes: ['BookAdded'] });
  const id = (construct: { node: { defaultChild?: unknown } }) =>
    stack.getLogicalId(construct.node.defaultChild as CfnElement);
  const artifact: StackArtifact = {
    stackName: stack.stackName,
    template: Template.fromStack(stack).toJSON() as StackArtifact['template'],
    assemblyDir: '',
  };
  return {
    artifact,
    ids: {
      consumerFunction: id(recommendations.function),
      serviceTable: id(recommendations.table),
      resilienceTable: id(platform.resilience.table),
      bus: id(
        PlatformEventBus.of(platform).eventBus as unknown as { node: { defaultChild?: unknown } },
      ),
      queue: id(subscription.queue),
      deadLetterQueue: id(subscription.deadLetterQueue),
    },
  };
}

/** One run of the demo's messaging against the emulator, with an in-process consumer. */
async function deliveryHarness(suffix: string) {
  const settings = { ...emulatorClientConfig(), endpoint: emulatorEndpoint() };
  const { artifact, ids } = synthesize(suffix);
  const context = nameResources(artifact, { region: 'us-east-1', accountId: '123456789012' });
  nameMessagingResources(artifact, context);
  await provisionMessaging(artifact, context, settings);
  const dynamodb = new DynamoDBClient(settings);
  const tableName = context.refs.get(ids.serviceTable)!;
  const resilienceTableName = context.refs.get(ids.resilienceTable)!;
  for (const name of [tableName, resilienceTableName]) {
    await dynamodb.send(
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
  }
  const documents = DynamoDBDocumentClient.from(dynamodb);
  const sqs = new SQSClient(settings);
  const queueUrl = context.refs.get(ids.queue)!;
  const queueArn = context.attributes.get(`${ids.queue}.Arn`)!;
  const deadLetterQueueUrl = context.refs.get(ids.deadLetterQueue)!;
  const store = new DynamoDbStateStore({ tableName: resilienceTableName, client: dynamodb });
  const breaker = new CircuitBreaker({ name: CIRCUIT, store, stateCacheMs: 0 });

  // The consumer's state change is not idempotent by itself (a counter): only the consumer's
  // idempotency keeps a redelivered event from counting twice.
  const applied: { eventId: string; receiveCount: number }[] = [];
  const subscription = on(BookAdded, async (data, event) => {
    await breaker.execute(() =>
      documents.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { pk: `user#${data.userId}`, sk: 'profile' },
          UpdateExpression: 'ADD booksAdded :one',
          ExpressionAttributeValues: { ':one': 1 },
        }),
      ),
    );
    applied.push({ eventId: event.metadata.eventId, receiveCount: event.receiveCount });
  });

  const lambdaApi = new LocalLambdaApi(new Map(), () => false);
  const lambdaEndpoint = await lambdaApi.listen(0);
  const consumer = new EventConsumer({
    powertools: createPowertools('recommendations'),
    subscriptions: [subscription],
    persistence: new DynamoDBPersistenceLayer({
      tableName,
      keyAttr: 'pk',
      sortKeyAttr: 'sk',
      staticPkValue: 'idempotency#recommendations-consumer',
      awsSdkV3Client: dynamodb,
    }),
    queueUrl,
    sqs,
    circuits: (name) => (name === CIRCUIT ? breaker : new CircuitBreaker({ name, store })),
    control: new EventSourceMappingControl({
      functionName: 'recommendations-consumer',
      queueArn,
      documents,
      tableName,
      lambda: new LambdaClient({ ...settings, endpoint: lambdaEndpoint }),
    }),
    retry: { baseSeconds: 1, maxSeconds: 1 },
    forcedOpenDelaySeconds: 1,
  });
  const mappings = LocalEventSourceMappings.fromStacks(
    [{ stack: artifact, context }],
    (_index, logicalId) =>
      logicalId === ids.consumerFunction
        ? {
            arn: FUNCTION_ARN,
            invoke: async (event) => {
              try {
                return {
                  payload: await consumer.handleBatch(
                    event as Parameters<EventConsumer['handleBatch']>[0],
                    lambdaContext('recommendations-consumer'),
                  ),
                };
              } catch (error) {
                return {
                  functionError: 'Unhandled' as const,
                  payload: { errorMessage: (error as Error).message },
                };
              }
            },
          }
        : undefined,
    settings,
  );
  // The consumer signs as its own function: it may update its own mapping.
  lambdaApi.extend(eventSourceMappingRoutes(mappings, () => FUNCTION_ARN));
  mappings.start();

  const publisher = new EventPublisher({
    eventBusName: context.refs.get(ids.bus)!,
    source: `msg${suffix.toLowerCase()}.reading-list`,
    serviceName: 'reading-list',
    client: new EventBridgeClient(settings),
  });
  const count = async (
    url: string,
    attribute:
      | 'ApproximateNumberOfMessages'
      | 'ApproximateNumberOfMessagesDelayed'
      | 'ApproximateNumberOfMessagesNotVisible',
  ) =>
    Number(
      (
        await sqs.send(
          new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: [attribute] }),
        )
      ).Attributes?.[attribute] ?? 0,
    );
  const profile = async (userId: string) =>
    Number(
      (
        await documents.send(
          new GetCommand({ TableName: tableName, Key: { pk: `user#${userId}`, sk: 'profile' } }),
        )
      ).Item?.booksAdded ?? 0,
    );
  const mapping = () => mappings.list()[0];
  return {
    publisher,
    sqs,
    queueUrl,
    deadLetterQueueUrl,
    applied,
    count,
    profile,
    mapping,
    admin: new CircuitAdmin({ store }),
    consumer,
    rawPut: (detail: unknown) =>
      new EventBridgeClient(settings).send(
        new PutEventsCommand({
          Entries: [
            {
              EventBusName: context.refs.get(ids.bus)!,
              Source: `msg${suffix.toLowerCase()}.reading-list`,
              DetailType: 'BookAdded',
              Detail: JSON.stringify(detail),
            },
          ],
        }),
      ),
    async stop() {
      await mappings.stop();
      await lambdaApi.close();
    },
  };
}

/** Waits for a condition the platform reaches asynchronously, up to a deadline. */
async function eventually<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const context = { correlationId: 'corr-it-1' };

describe('messaging delivered through the emulator (bus → rule → queue → mapping → consumer)', () => {
  let run: Awaited<ReturnType<typeof deliveryHarness>>;
  beforeAll(async () => {
    run = await deliveryHarness('A');
  });
  afterAll(() => run?.stop());

  it('delivers a published event to the consumer, which changes state once', async () => {
    const eventId = await run.publisher.publish(
      BookAdded,
      { userId: 'u1', bookId: 'ddd' },
      context,
    );
    await eventually(
      () => run.profile('u1'),
      (value) => value === 1,
    );
    expect(await run.profile('u1')).toBe(1);
    expect(run.applied.filter((entry) => entry.eventId === eventId)).toEqual([
      { eventId, receiveCount: 1 },
    ]);
    await eventually(
      () => run.count(run.queueUrl, 'ApproximateNumberOfMessagesNotVisible'),
      (value) => value === 0,
    );
    expect(await run.count(run.queueUrl, 'ApproximateNumberOfMessages')).toBe(0);
  });

  it('a duplicate delivery of the same event changes state once', async () => {
    const eventId = await run.publisher.publish(
      BookAdded,
      { userId: 'u2', bookId: 'ddd' },
      context,
    );
    await eventually(
      () => run.profile('u2'),
      (value) => value === 1,
    );
    // The same event again, as SQS's at-least-once delivery (or a republish) would bring it.
    const body = JSON.stringify({
      id: 'dup-1',
      'detail-type': 'BookAdded',
      source: 'msga.reading-list',
      time: new Date().toISOString(),
      detail: {
        metadata: {
          eventId,
          eventType: 'BookAdded',
          publishedBy: 'reading-list',
          publishedAt: new Date().toISOString(),
          correlationId: 'corr-it-1',
        },
        data: { userId: 'u2', bookId: 'ddd' },
      },
    });
    const before = run.mapping().stats.deleted;
    await run.sqs.send(new SendMessageCommand({ QueueUrl: run.queueUrl, MessageBody: body }));
    await run.sqs.send(new SendMessageCommand({ QueueUrl: run.queueUrl, MessageBody: body }));
    await eventually(
      async () => run.mapping().stats.deleted - before,
      (value) => value >= 2,
    );
    expect(run.mapping().stats.deleted - before).toBe(2);
    expect(await run.profile('u2')).toBe(1);
    expect(run.applied.filter((entry) => entry.eventId === eventId)).toHaveLength(1);
  });

  it(`a poison message reaches the dead-letter queue after ${MAX_RECEIVES} receives, and only it`, async () => {
    // A publisher that skipped validation: the consumer's schema refuses the data every time.
    await run.rawPut({
      metadata: {
        eventId: 'poison-1',
        eventType: 'BookAdded',
        publishedBy: 'reading-list',
        publishedAt: new Date().toISOString(),
        correlationId: 'corr-poison',
      },
      data: { userId: '' },
    });
    await run.publisher.publish(BookAdded, { userId: 'u3', bookId: 'ddd' }, context);
    await eventually(
      () => run.count(run.deadLetterQueueUrl, 'ApproximateNumberOfMessages'),
      (value) => value === 1,
    );
    const { Messages } = await run.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: run.deadLetterQueueUrl,
        MaxNumberOfMessages: 10,
        MessageSystemAttributeNames: ['All'],
        AttributeNames: ['All'],
      }),
    );
    expect(Messages).toHaveLength(1);
    expect(JSON.parse(Messages![0].Body!).detail.metadata.eventId).toBe('poison-1');
    // Received MAX_RECEIVES times from its queue, once more just now from the dead-letter queue.
    expect(Number(Messages![0].Attributes?.ApproximateReceiveCount)).toBe(MAX_RECEIVES + 1);
    expect(run.applied.some((entry) => entry.eventId === 'poison-1')).toBe(false);
    expect(await run.profile('u3')).toBe(1);
  });
});

describe('a consumer whose downstream circuit opens', () => {
  let run: Awaited<ReturnType<typeof deliveryHarness>>;
  beforeAll(async () => {
    run = await deliveryHarness('B');
  });
  afterAll(() => run?.stop());

  it('pauses its mapping, dead-letters nothing, and resumes with the messages never counted', async () => {
    await run.admin.forceOpen(CIRCUIT);
    const published = [];
    for (const bookId of ['a', 'b', 'c']) {
      published.push(await run.publisher.publish(BookAdded, { userId: 'u9', bookId }, context));
    }
    const paused = await eventually(
      async () => run.mapping().configuration.State,
      (state) => state === 'Disabled',
    );
    expect(paused).toBe('Disabled');
    expect(run.applied).toHaveLength(0);
    // While paused the resume check keeps it paused: the circuit still refuses calls.
    expect(await run.consumer.resumeCheck()).toEqual({
      paused: true,
      resumed: false,
      stillOpen: [CIRCUIT],
    });
    expect(run.mapping().configuration.State).toBe('Disabled');

    await run.admin.reset(CIRCUIT);
    expect(await run.consumer.resumeCheck()).toEqual({
      paused: true,
      resumed: true,
      stillOpen: [],
    });
    expect(run.mapping().configuration.State).toBe('Enabled');
    await eventually(
      () => run.profile('u9'),
      (value) => value === 3,
    );
    expect(await run.profile('u9')).toBe(3);
    expect(await run.count(run.deadLetterQueueUrl, 'ApproximateNumberOfMessages')).toBe(0);
    // Each was processed from a fresh copy: the pause cost none of them a receive.
    expect(run.applied.map((entry) => entry.receiveCount)).toEqual([1, 1, 1]);
    expect(new Set(run.applied.map((entry) => entry.eventId))).toEqual(new Set(published));
    // Nothing paused any more: the check has nothing to do.
    expect(await run.consumer.resumeCheck()).toEqual({
      paused: false,
      resumed: false,
      stillOpen: [],
    });
  });
});
