import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { GetParametersByPathCommand, type SSMClient } from '@aws-sdk/client-ssm';
import type { ConsumerRegistration } from '../runtime/contract/messaging';

/** What an operator sees of one dead letter: where it came from, never its data. */
export interface DeadLetterSummary {
  readonly messageId: string;
  readonly eventType?: string;
  readonly eventId?: string;
  readonly source?: string;
  readonly correlationId?: string;
  readonly sentAt?: string;
  readonly receiveCount?: number;
}

export interface DeadLetterQueueView {
  /** The consuming service (the queue's name in the admin routes). */
  readonly queue: string;
  readonly maxReceiveCount: number;
  /** Approximate, as SQS counts. */
  readonly count: number;
  /** Up to 10 of them. */
  readonly sample: readonly DeadLetterSummary[];
}

export interface RedriveResult {
  readonly queue: string;
  readonly moved: number;
  /** Still in the dead-letter queue (sent back in a later call). */
  readonly remaining: number;
}

/** Most messages one redrive call moves; the answer says how many remain. */
const MAX_REDRIVE = 500;

/**
 * Every consumer's dead letters, found through the consumers' registrations (one SSM parameter
 * each, below the platform's messaging path): listed with their origin, and sent back to their
 * queue on demand. A message sent back is a new message (receive count 0) carrying the same
 * event, so the consumer's idempotency still processes its event at most once.
 */
export class DeadLetterAdmin {
  constructor(
    private readonly ssm: SSMClient,
    private readonly sqs: SQSClient,
    private readonly registryPath: string,
  ) {}

  async consumers(): Promise<ConsumerRegistration[]> {
    const found: ConsumerRegistration[] = [];
    let token: string | undefined;
    do {
      const page = await this.ssm.send(
        new GetParametersByPathCommand({ Path: this.registryPath, NextToken: token }),
      );
      for (const parameter of page.Parameters ?? []) {
        try {
          found.push(JSON.parse(parameter.Value ?? '') as ConsumerRegistration);
        } catch {
          // Not a registration (an operator's parameter): not a queue to list.
        }
      }
      token = page.NextToken;
    } while (token);
    return found.sort((a, b) => a.service.localeCompare(b.service));
  }

  async consumer(queue: string): Promise<ConsumerRegistration | undefined> {
    return (await this.consumers()).find((registration) => registration.service === queue);
  }

  async list(): Promise<DeadLetterQueueView[]> {
    return Promise.all(
      (await this.consumers()).map(async (registration) => ({
        queue: registration.service,
        maxReceiveCount: registration.maxReceiveCount,
        count: await this.depth(registration.deadLetterQueueUrl),
        sample: await this.peek(registration.deadLetterQueueUrl),
      })),
    );
  }

  async redrive(registration: ConsumerRegistration): Promise<RedriveResult> {
    let moved = 0;
    while (moved < MAX_REDRIVE) {
      const { Messages } = await this.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: registration.deadLetterQueueUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 30,
          WaitTimeSeconds: 0,
        }),
      );
      if (!Messages?.length) break;
      const sent = await this.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: registration.queueUrl,
          Entries: Messages.map((message, index) => ({
            Id: String(index),
            MessageBody: message.Body ?? '',
          })),
        }),
      );
      // Only what reached the queue leaves the dead-letter queue: nothing is lost on the way.
      const delivered = new Set((sent.Successful ?? []).map((entry) => entry.Id));
      const done = Messages.filter((_message, index) => delivered.has(String(index)));
      if (done.length > 0) {
        await this.sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: registration.deadLetterQueueUrl,
            Entries: done.map((message, index) => ({
              Id: String(index),
              ReceiptHandle: message.ReceiptHandle!,
            })),
          }),
        );
      }
      moved += done.length;
      if (done.length < Messages.length) break;
    }
    return {
      queue: registration.service,
      moved,
      remaining: await this.depth(registration.deadLetterQueueUrl),
    };
  }

  private async depth(queueUrl: string): Promise<number> {
    const { Attributes } = await this.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages'],
      }),
    );
    return Number(Attributes?.ApproximateNumberOfMessages ?? 0);
  }

  /** A look at up to 10 dead letters; visible again at once (visibility timeout 0). */
  private async peek(queueUrl: string): Promise<DeadLetterSummary[]> {
    const { Messages } = await this.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 0,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ['SentTimestamp', 'ApproximateReceiveCount'],
        AttributeNames: ['All'],
      }),
    );
    return (Messages ?? []).map((message) =>
      summarize(message.MessageId ?? '', message.Body, message.Attributes),
    );
  }
}

function summarize(
  messageId: string,
  body: string | undefined,
  attributes: Partial<Record<string, string>> | undefined,
): DeadLetterSummary {
  let event: {
    source?: unknown;
    'detail-type'?: unknown;
    detail?: { metadata?: { eventId?: unknown; correlationId?: unknown } };
  } = {};
  try {
    const parsed = JSON.parse(body ?? '') as unknown;
    if (parsed && typeof parsed === 'object') event = parsed as typeof event;
  } catch {
    // a body that is not an event: listed by its ID only
  }
  const text = (value: unknown) => (typeof value === 'string' ? value.slice(0, 256) : undefined);
  const sent = Number(attributes?.SentTimestamp);
  const receives = Number(attributes?.ApproximateReceiveCount);
  return {
    messageId,
    eventType: text(event['detail-type']),
    eventId: text(event.detail?.metadata?.eventId),
    source: text(event.source),
    correlationId: text(event.detail?.metadata?.correlationId),
    sentAt: Number.isFinite(sent) && sent > 0 ? new Date(sent).toISOString() : undefined,
    // As SQS counts: the receives from its queue, and every look at the dead-letter queue.
    receiveCount: Number.isFinite(receives) ? receives : undefined,
  };
}
