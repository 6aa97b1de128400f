import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { beforeAll, describe, expect, it } from 'vitest';
import { DeadLetterAdmin } from '../../../functions/admin/dead-letters';
import type { ConsumerRegistration } from '../../../functions/runtime/contract/messaging';
import { emulatorClientConfig } from '../aws-clients';

const REGISTRY = '/dlq-it/dev/_platform/messaging/consumers';

function busEvent(eventId: string): string {
  return JSON.stringify({
    id: `bus-${eventId}`,
    'detail-type': 'BookAdded',
    source: 'dlq-it.reading-list',
    time: new Date().toISOString(),
    detail: {
      metadata: { eventId, correlationId: `corr-${eventId}` },
      data: { userId: 'secret-user', bookId: 'ddd' },
    },
  });
}

describe('DeadLetterAdmin against the emulator', () => {
  const sqs = new SQSClient(emulatorClientConfig());
  const ssm = new SSMClient(emulatorClientConfig());
  const admin = new DeadLetterAdmin(ssm, sqs, REGISTRY);
  let registration: ConsumerRegistration;

  beforeAll(async () => {
    const dlq = await sqs.send(
      new CreateQueueCommand({ QueueName: 'dlq-it-dev-orders-events-dlq' }),
    );
    const queue = await sqs.send(new CreateQueueCommand({ QueueName: 'dlq-it-dev-orders-events' }));
    registration = {
      service: 'orders',
      queueUrl: queue.QueueUrl!,
      queueArn: 'arn:aws:sqs:us-east-1:123456789012:dlq-it-dev-orders-events',
      deadLetterQueueUrl: dlq.QueueUrl!,
      deadLetterQueueArn: 'arn:aws:sqs:us-east-1:123456789012:dlq-it-dev-orders-events-dlq',
      maxReceiveCount: 3,
      circuits: ['orders-store'],
    };
    await ssm.send(
      new PutParameterCommand({
        Name: `${REGISTRY}/orders`,
        Value: JSON.stringify(registration),
        Type: 'String',
        Overwrite: true,
      }),
    );
    // An operator's parameter under the same path is not a registration: it is skipped.
    await ssm.send(
      new PutParameterCommand({
        Name: `${REGISTRY}/notes`,
        Value: 'not json',
        Type: 'String',
        Overwrite: true,
      }),
    );
    for (const id of ['e1', 'e2', 'e3']) {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: registration.deadLetterQueueUrl,
          MessageBody: busEvent(id),
        }),
      );
    }
  });

  it('finds the registered consumers and lists their dead letters by origin, without their data', async () => {
    expect((await admin.consumers()).map((consumer) => consumer.service)).toEqual(['orders']);
    const [view] = await admin.list();
    expect(view.queue).toBe('orders');
    expect(view.count).toBe(3);
    expect(view.sample.map((letter) => letter.eventId).sort()).toEqual(['e1', 'e2', 'e3']);
    expect(view.sample[0]).toMatchObject({ eventType: 'BookAdded', source: 'dlq-it.reading-list' });
    expect(JSON.stringify(view)).not.toContain('secret-user');
    // The look is not a receive that hides them: they are all still there.
    expect((await admin.list())[0].count).toBe(3);
  });

  it('sends every dead letter back to its queue and empties the dead-letter queue', async () => {
    const result = await admin.redrive(registration);
    expect(result).toEqual({ queue: 'orders', moved: 3, remaining: 0 });
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: registration.queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages'],
      }),
    );
    expect(Number(Attributes?.ApproximateNumberOfMessages)).toBe(3);
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: registration.queueUrl, MaxNumberOfMessages: 10 }),
    );
    expect(
      Messages?.map((message) => JSON.parse(message.Body!).detail.metadata.eventId).sort(),
    ).toEqual(['e1', 'e2', 'e3']);
    expect((await admin.redrive(registration)).moved).toBe(0);
  });
});
