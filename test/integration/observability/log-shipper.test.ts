import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ShipmentSummary } from '../../../functions/platform/log-shipper/handler';
import { encodeSubscriptionEvent } from '../../../functions/platform/log-shipper/envelope';
import type { OpenSearchNode } from '../../../localstack/platform/observability/opensearch-node';
import { lambdaContext } from '../../support/events';
import { emulatorClientConfig, emulatorEndpoint } from '../aws-clients';
import { BulkFaultProxy, type BulkFault } from './bulk-fault-proxy';
import { countDocuments, startTestOpenSearch } from './local-opensearch';

const PREFIX = 'logs-it';
let node: OpenSearchNode;
let proxy: BulkFaultProxy;
let sqs: SQSClient;
let queueUrl: string;
let handler: (
  event: unknown,
  context: ReturnType<typeof lambdaContext>,
) => Promise<ShipmentSummary>;

beforeAll(async () => {
  node = await startTestOpenSearch();
  proxy = new BulkFaultProxy(node.url);
  const proxyUrl = await proxy.listen();
  sqs = new SQSClient(emulatorClientConfig());
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `log-dlq-${randomUUID()}` })))
    .QueueUrl!;
  const { credentials, region } = emulatorClientConfig();
  const endpoint = emulatorEndpoint();
  // The handler reads its settings once per environment, as on Lambda.
  Object.assign(process.env, {
    OPENSEARCH_ENDPOINT: proxyUrl,
    LOG_INDEX_PREFIX: PREFIX,
    LOG_DEAD_LETTER_QUEUE_URL: queueUrl,
    LOG_SHIPPER_MAX_ATTEMPTS: '4',
    LOG_SHIPPER_REQUEST_TIMEOUT_MS: '1000',
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: region,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  ({ handler } = await import('../../../functions/platform/log-shipper/handler.js'));
});

afterAll(async () => {
  await proxy?.close();
  await node?.stop();
});

/** A batch of `count` Powertools lines sharing one correlation ID (the test's marker). */
function batch(count: number, correlationId = randomUUID(), day = Date.now()) {
  const run = randomUUID();
  const logEvents = Array.from({ length: count }, (_, index) => ({
    id: `${run}-${index}`,
    timestamp: day + index,
    message: JSON.stringify({
      level: 'INFO',
      message: `line ${index}`,
      service: 'reading-list',
      correlation_id: correlationId,
      timestamp: new Date(day + index).toISOString(),
    }),
  }));
  const event = encodeSubscriptionEvent({
    owner: '123456789012',
    logGroup: '/aws/lambda/reading-list',
    logStream: 'local/reading-list',
    subscriptionFilters: ['opensearch'],
    messageType: 'DATA_MESSAGE',
    logEvents,
  });
  return { event, correlationId };
}

async function ship(
  count: number,
  faults: BulkFault[],
  then?: BulkFault | ((request: number) => BulkFault),
) {
  const { event, correlationId } = batch(count);
  proxy.plan(faults, then);
  const summary = await handler(event, lambdaContext('log-shipper'));
  const indexed = await countDocuments(node.url, `${PREFIX}-*`, 'correlation_id', correlationId);
  const deadLetters = await drainDeadLetters(correlationId);
  return { summary, indexed, deadLetters };
}

/** Every dead letter of one correlation ID, removed from the queue. */
async function drainDeadLetters(correlationId: string): Promise<Record<string, unknown>[]> {
  const found: Record<string, unknown>[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
      }),
    );
    if (Messages.length === 0) return found;
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
      }),
    );
    for (const message of Messages) {
      const letter = JSON.parse(message.Body!) as { source: { correlation_id?: string } };
      if (letter.source.correlation_id === correlationId) found.push(letter);
    }
  }
}

describe('log shipper against a real OpenSearch node', () => {
  it('applies the index template: explicit Powertools mappings, dynamic false, flat attributes', async () => {
    const { summary } = await ship(3, []);
    expect(summary).toMatchObject({ sent: 3, delivered: 3, deadLettered: 0 });
    const template = (await (
      await fetch(`${node.url}/_index_template/${PREFIX}-template`)
    ).json()) as {
      index_templates: { index_template: { template: { mappings: Record<string, unknown> } } }[];
    };
    const mappings = template.index_templates[0].index_template.template.mappings as {
      dynamic: string;
      properties: Record<string, { type?: string }>;
    };
    expect(String(mappings.dynamic)).toBe('false');
    expect(mappings.properties.correlation_id.type).toBe('keyword');
    expect(mappings.properties.attributes.type).toBe('flat_object');

    // A line with hundreds of new nested keys adds no field to the index mapping.
    const wide = Object.fromEntries(
      Array.from({ length: 300 }, (_, i) => [`k${i}`, { [`n${i}`]: i }]),
    );
    const correlationId = randomUUID();
    const event = encodeSubscriptionEvent({
      owner: '1',
      logGroup: '/aws/lambda/x',
      logStream: 's',
      subscriptionFilters: [],
      messageType: 'DATA_MESSAGE',
      logEvents: [
        {
          id: randomUUID(),
          timestamp: Date.now(),
          message: JSON.stringify({ correlation_id: correlationId, ...wide }),
        },
      ],
    });
    proxy.plan([]);
    expect(await handler(event, lambdaContext('log-shipper'))).toMatchObject({ delivered: 1 });
    const index = Object.keys(
      (await (await fetch(`${node.url}/${PREFIX}-*/_mapping`)).json()) as Record<string, unknown>,
    )[0];
    const fields = (await (await fetch(`${node.url}/${index}/_mapping`)).json()) as Record<
      string,
      { mappings: { properties: Record<string, unknown> } }
    >;
    expect(Object.keys(fields[index].mappings.properties).sort()).toEqual(
      Object.keys(mappings.properties).sort(),
    );
    expect(await countDocuments(node.url, `${PREFIX}-*`, 'correlation_id', correlationId)).toBe(1);
  });

  it('retries a bulk request answered 429, then delivers every document once', async () => {
    const { summary, indexed, deadLetters } = await ship(50, [{ status: 429 }, { status: 429 }]);
    expect(summary).toMatchObject({ sent: 50, delivered: 50, deadLettered: 0 });
    expect(proxy.seen.slice(0, 3)).toEqual([{ status: 429 }, { status: 429 }, 'pass']);
    expect(summary.requests).toBe(proxy.seen.length);
    expect(indexed).toBe(50);
    expect(deadLetters).toHaveLength(0);
  });

  it('retries 5xx answers and timed-out requests', async () => {
    const { summary, indexed } = await ship(20, [{ status: 503 }, 'hang', { status: 500 }]);
    expect(summary).toMatchObject({ sent: 20, delivered: 20, deadLettered: 0 });
    expect(proxy.seen.slice(0, 4)).toEqual([{ status: 503 }, 'hang', { status: 500 }, 'pass']);
    expect(indexed).toBe(20);
  });

  it('retries only the items a partial bulk failure refused, and duplicates nothing', async () => {
    const { summary, indexed } = await ship(40, ['partial', 'partial']);
    expect(proxy.seen.slice(0, 3)).toEqual(['partial', 'partial', 'pass']);
    expect(summary).toMatchObject({ sent: 40, delivered: 40, deadLettered: 0 });
    expect(indexed).toBe(40);
  });

  it('counts a write whose answer was cut off as delivered on retry (409), not twice', async () => {
    const { summary, indexed } = await ship(10, ['cut']);
    expect(summary).toMatchObject({ sent: 10, delivered: 10, deadLettered: 0 });
    expect(proxy.seen.slice(0, 2)).toEqual(['cut', 'pass']);
    expect(indexed).toBe(10);
  });

  it('dead-letters what is still refused after every attempt: delivered + dead-lettered = sent', async () => {
    const { summary, indexed, deadLetters } = await ship(25, [], { status: 503 });
    expect(proxy.seen).toHaveLength(4);
    expect(summary).toMatchObject({ sent: 25, delivered: 0, deadLettered: 25 });
    expect(indexed).toBe(0);
    expect(deadLetters).toHaveLength(25);
    expect(deadLetters[0]).toMatchObject({ reason: 'http 503', attempts: 4 });
  });

  it('dead-letters at once the items OpenSearch refuses for good, and delivers the rest', async () => {
    // A real refusal: yesterday's index is write-blocked (403 cluster_block_exception per item).
    const correlationId = randomUUID();
    const yesterday = Date.now() - 86_400_000;
    const blocked = `${PREFIX}-${new Date(yesterday).toISOString().slice(0, 10).replaceAll('-', '.')}`;
    await fetch(`${node.url}/${blocked}`, { method: 'PUT' });
    await fetch(`${node.url}/${blocked}/_block/write`, { method: 'PUT' });
    const old = batch(5, correlationId, yesterday).event;
    const fresh = batch(7, correlationId).event;
    proxy.plan([]);
    const first = await handler(old, lambdaContext('log-shipper'));
    const second = await handler(fresh, lambdaContext('log-shipper'));
    expect(proxy.seen).toEqual(['pass', 'pass']);
    expect(first).toMatchObject({ sent: 5, delivered: 0, deadLettered: 5 });
    expect(second).toMatchObject({ sent: 7, delivered: 7, deadLettered: 0 });
    const letters = await drainDeadLetters(correlationId);
    expect(letters).toHaveLength(5);
    expect(String(letters[0].reason)).toMatch(/cluster_block_exception/);
    expect(await countDocuments(node.url, `${PREFIX}-*`, 'correlation_id', correlationId)).toBe(7);
  });

  it('keeps delivered + dead-lettered = sent under a mix of 429s, 5xx, timeouts and partial failures', async () => {
    const faults: BulkFault[] = [
      { status: 429 },
      'partial',
      { status: 502 },
      'hang',
      'partial',
      'cut',
    ];
    const { summary, indexed, deadLetters } = await ship(
      300,
      [],
      (request) => faults[request % faults.length],
    );
    expect(summary.sent).toBe(300);
    expect(summary.delivered + summary.deadLettered).toBe(summary.sent);
    expect(indexed).toBe(summary.delivered);
    expect(deadLetters).toHaveLength(summary.deadLettered);
  });
});
