/**
 * Test and bench scaffolding for messaging: see deliveryHarness.
 */
import * as path from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { z } from 'zod';
import {
  EventConsumer,
  EventPublisher,
  EventSourceMappingControl,
  defineEvent,
  idempotencyPersistence,
  on,
} from '../../functions/runtime/messaging';
import { createPowertools } from '../../functions/runtime/observability/powertools';
import { CircuitAdmin } from '../../functions/runtime/resilience/circuit-admin';
import { CircuitBreaker } from '../../functions/runtime/resilience/circuit-breaker';
import { DynamoDbStateStore } from '../../functions/runtime/resilience/dynamodb-state-store';
import { EventPublication } from '../../lib/messaging/event-publication';
import { EventSubscription } from '../../lib/messaging/event-subscription';
import { PlatformEventBus } from '../../lib/messaging/platform-event-bus';
import { MicroservicePlatform } from '../../lib/platform/microservice-platform';
import { Microservice } from '../../lib/service/microservice';
import type { StackArtifact } from '../../localstack/platform/cloud-assembly';
import { LocalLambdaApi } from '../../localstack/platform/lambda-api';
import { LocalEventSourceMappings } from '../../localstack/platform/messaging/event-source-mappings';
import { eventSourceMappingRoutes } from '../../localstack/platform/messaging/mapping-api';
import {
  nameMessagingResources,
  provisionMessaging,
} from '../../localstack/platform/messaging/resources';
import { nameResources } from '../../localstack/platform/physical-names';
import { lambdaContext } from './events';

const SERVICES = path.join(__dirname, '..', '..', 'functions', 'services');
const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:recommendations-consumer';
export const CIRCUIT = 'recommendations-store';
export const MAX_RECEIVES = 3;

export const BookAdded = defineEvent(
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

/**
 * Where the emulator is, and how to sign for it. Without `endpoint`, each client resolves its
 * own (`AWS_ENDPOINT_URL_<SERVICE>`, then `AWS_ENDPOINT_URL`), as the LocalStack lane needs.
 */
export interface EmulatorSettings {
  readonly endpoint?: string;
  readonly region: string;
  readonly credentials: { accessKeyId: string; secretAccessKey: string };
}

export type DeliveryHarness = Awaited<ReturnType<typeof deliveryHarness>>;

/**
 * The demo's messaging, synthesized from the constructs and delivered through the emulator as
 * the local platform delivers it (bus → rule → queue → local mapping), into an in-process
 * consumer built by the runtime (Powertools Batch and Idempotency on the emulator's DynamoDB).
 */
export interface HarnessOptions {
  /** Told each time the consumer applied an event. */
  readonly onApplied?: (eventId: string) => void;
  /**
   * Replace the consumer by a function that accepts every batch and does nothing (a baseline:
   * what the mapping and the queue cost alone); told how many messages each batch held.
   */
  readonly noopConsumer?: (messages: number) => void;
}

export async function deliveryHarness(
  suffix: string,
  settings: EmulatorSettings,
  options: HarnessOptions = {},
) {
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
    options.onApplied?.(event.metadata.eventId);
  });

  const lambdaApi = new LocalLambdaApi(new Map(), () => false);
  const lambdaEndpoint = await lambdaApi.listen(0);
  const consumer = new EventConsumer({
    powertools: createPowertools('recommendations'),
    subscriptions: [subscription],
    persistence: idempotencyPersistence(tableName, 'recommendations-consumer', dynamodb),
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
              if (options.noopConsumer) {
                options.noopConsumer((event as { Records: unknown[] }).Records.length);
                return { payload: { batchItemFailures: [] } };
              }
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
  // What the consumer's idempotency layer remembered, as DynamoDB holds it (TTL attribute included).
  const idempotencyRecords = async () =>
    (
      await documents.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': 'idempotency#recommendations-consumer' },
        }),
      )
    ).Items ?? [];
  const mapping = () => mappings.list()[0];
  return {
    idempotencyRecords,
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
