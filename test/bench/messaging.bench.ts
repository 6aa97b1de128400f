/**
 * Messaging, measured on the path the product runs locally: events published by the runtime's
 * publisher to the emulator's bus, routed by the template's rule to the consumer's queue, polled
 * by the local event source mapping, and processed by the runtime's consumer (validation,
 * Powertools Batch, Powertools Idempotency on DynamoDB, the state change through its circuit).
 *
 * - end-to-end latency p50/p99: publish → the consumer's handler done, one event at a time,
 *   against a bare SQS send → long-poll receive through the same emulator (the transport alone);
 * - throughput: messages per second through one consumer draining a full queue, against the
 *   same mapping feeding a function that accepts every batch and does nothing.
 * Run alone with `npx tsx test/bench/messaging.bench.ts`.
 */
import { randomUUID } from 'node:crypto';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { startEmulator } from '../../localstack/platform/emulator';
import { BookAdded, deliveryHarness, type EmulatorSettings } from '../support/messaging-harness';

const LATENCY_EVENTS = 100;
const THROUGHPUT_MESSAGES = 500;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** An event as the bus delivers it to a queue: what a full queue holds. */
function busEvent(index: number, source: string): string {
  return JSON.stringify({
    id: randomUUID(),
    'detail-type': 'BookAdded',
    source,
    time: new Date().toISOString(),
    detail: {
      metadata: {
        eventId: randomUUID(),
        eventType: 'BookAdded',
        publishedBy: 'reading-list',
        publishedAt: new Date().toISOString(),
        correlationId: `bench-${index}`,
      },
      data: { userId: `reader-${index % 50}`, bookId: `book-${index}` },
    },
  });
}

async function fill(sqs: SQSClient, queueUrl: string, count: number, source: string) {
  for (let start = 0; start < count; start += 10) {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Array.from({ length: Math.min(10, count - start) }, (_, offset) => ({
          Id: String(offset),
          MessageBody: busEvent(start + offset, source),
        })),
      }),
    );
  }
}

/** publish → consumer done, one at a time. */
async function latencies(settings: EmulatorSettings): Promise<number[]> {
  let waiting: { eventId?: string; resolve: () => void } | undefined;
  const done = new Set<string>();
  const run = await deliveryHarness('LatencyBench', settings, {
    onApplied: (eventId) => {
      done.add(eventId);
      if (waiting?.eventId === eventId) waiting.resolve();
    },
  });
  try {
    const measured: number[] = [];
    for (let index = 0; index < LATENCY_EVENTS + 5; index++) {
      const started = performance.now();
      const finished = new Promise<void>((resolve) => (waiting = { resolve }));
      const eventId = await run.publisher.publish(
        BookAdded,
        { userId: `u${index}`, bookId: 'ddd' },
        { correlationId: `bench-${index}` },
      );
      waiting!.eventId = eventId;
      if (!done.has(eventId)) await finished;
      // The first few warm the clients and the emulator's paths.
      if (index >= 5) measured.push(performance.now() - started);
    }
    return measured.sort((a, b) => a - b);
  } finally {
    await run.stop();
  }
}

/** The transport alone: send, and receive with the same long polling the mapping uses. */
async function sqsRoundTrips(settings: EmulatorSettings): Promise<number[]> {
  const sqs = new SQSClient(settings);
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: `bench-roundtrip-${randomUUID().slice(0, 8)}` }),
  );
  const measured: number[] = [];
  for (let index = 0; index < LATENCY_EVENTS + 5; index++) {
    const started = performance.now();
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: busEvent(index, 'bench') }));
    for (;;) {
      const { Messages } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      if (!Messages?.length) continue;
      await sqs.send(
        new DeleteMessageCommand({ QueueUrl, ReceiptHandle: Messages[0].ReceiptHandle! }),
      );
      break;
    }
    if (index >= 5) measured.push(performance.now() - started);
  }
  sqs.destroy();
  return measured.sort((a, b) => a - b);
}

/** Messages per second through one mapping draining a queue filled while it was paused. */
async function throughput(settings: EmulatorSettings, noop: boolean): Promise<number> {
  let processed = 0;
  let finish: () => void = () => undefined;
  const drained = new Promise<void>((resolve) => (finish = resolve));
  const count = () => {
    if (processed >= THROUGHPUT_MESSAGES) finish();
  };
  const run = await deliveryHarness(noop ? 'NoopBench' : 'ThroughputBench', settings, {
    onApplied: () => {
      processed++;
      count();
    },
    noopConsumer: noop
      ? (messages) => {
          processed += messages;
          count();
        }
      : undefined,
  });
  try {
    run.mapping().setEnabled(false);
    await fill(
      run.sqs,
      run.queueUrl,
      THROUGHPUT_MESSAGES,
      `msg${(noop ? 'NoopBench' : 'ThroughputBench').toLowerCase()}.reading-list`,
    );
    const started = performance.now();
    run.mapping().setEnabled(true);
    await drained;
    return THROUGHPUT_MESSAGES / ((performance.now() - started) / 1000);
  } finally {
    await run.stop();
  }
}

export async function run(): Promise<string[]> {
  // The consumer's Powertools would print its log lines and EMF metrics among the figures.
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  const emulator = await startEmulator({ endpoint: undefined });
  const settings: EmulatorSettings = {
    endpoint: emulator.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  };
  try {
    const events = await latencies(settings);
    const transport = await sqsRoundTrips(settings);
    const consumerRate = await throughput(settings, false);
    const noopRate = await throughput(settings, true);
    const ratio = (a: number, b: number) => (a / b).toFixed(2);
    return [
      `bench messaging-event-latency-p50 ${percentile(events, 50).toFixed(1)} ms vs sqs-roundtrip-p50 ${percentile(transport, 50).toFixed(1)} ratio ${ratio(percentile(events, 50), percentile(transport, 50))}`,
      `bench messaging-event-latency-p99 ${percentile(events, 99).toFixed(1)} ms vs sqs-roundtrip-p99 ${percentile(transport, 99).toFixed(1)} ratio ${ratio(percentile(events, 99), percentile(transport, 99))}`,
      `bench messaging-consumer-throughput ${consumerRate.toFixed(0)} msg/s vs noop-consumer-throughput ${noopRate.toFixed(0)} ratio ${ratio(consumerRate, noopRate)}`,
    ];
  } finally {
    await emulator.stop();
  }
}

if (require.main === module) {
  run()
    .then((lines) => {
      for (const line of lines) console.log(line);
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
