import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVICE_TABLE_TTL_ATTRIBUTE } from '../../../functions/runtime/contract';
import {
  BookAdded,
  CIRCUIT,
  deliveryHarness,
  type DeliveryHarness,
  MAX_RECEIVES,
} from '../../support/messaging-harness';
import { emulatorClientConfig } from '../aws-clients';

// No endpoint: every client resolves its own, so the LocalStack lane can split services. The
// access key is the harness's account ID: LocalStack takes a 12-digit key as the account, so the
// rules' queue ARNs (account 123456789012) name queues that exist there too (moto's default).
const settings = () => ({
  ...emulatorClientConfig(),
  credentials: { accessKeyId: '123456789012', secretAccessKey: 'integration' },
});

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
  let run: DeliveryHarness;
  beforeAll(async () => {
    run = await deliveryHarness('A', settings());
  });
  afterAll(() => run?.stop());

  it('delivers a published event to the consumer, which changes state once', async () => {
    const publishedAt = Math.floor(Date.now() / 1000);
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
    // The record that makes a redelivery a no-op expires through the table's TTL attribute
    // (a day by default), so processed-event records do not pile up in the service's table.
    const records = await run.idempotencyRecords();
    expect(records.length).toBeGreaterThan(0);
    for (const record of records) {
      expect(record[SERVICE_TABLE_TTL_ATTRIBUTE]).toBeGreaterThanOrEqual(publishedAt + 86_400);
      expect(record[SERVICE_TABLE_TTL_ATTRIBUTE]).toBeLessThan(publishedAt + 86_400 + 300);
    }
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
  let run: DeliveryHarness;
  beforeAll(async () => {
    run = await deliveryHarness('B', settings());
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
