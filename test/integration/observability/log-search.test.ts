import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliverDocuments } from '../../../functions/platform/log-shipper/bulk-delivery';
import { ensureIndexSetup } from '../../../functions/platform/log-shipper/index-setup';
import { toLogDocument } from '../../../functions/platform/log-shipper/log-document';
import { createOpenSearchClient } from '../../../functions/runtime/observability';
import type { OpenSearchNode } from '../../../localstack/platform/observability/opensearch-node';
import {
  LOG_INDEX_PATTERN,
  logSearchBody,
  readLogHits,
  readTopErrors,
  topErrorsBody,
  type LogQuery,
} from '../../../localstack/platform/observability/log-search';
import { startTestOpenSearch } from './local-opensearch';

let node: OpenSearchNode;
const correlationId = randomUUID();
const start = Date.UTC(2026, 5, 1, 12);
const stack = (fn: string) =>
  `TypeError: x\n    at ${fn} (/var/task/functions/services/books.ts:10:5)`;

/** Lines as the services log them (Powertools JSON), shipped through the shipper's own code. */
const lines: [number, Record<string, unknown>][] = [
  [
    0,
    {
      level: 'INFO',
      service: 'reading-list',
      correlation_id: correlationId,
      message: 'Reading list served',
    },
  ],
  [
    1,
    {
      level: 'INFO',
      service: 'recommendations',
      correlation_id: correlationId,
      message: 'Recommended books',
    },
  ],
  [2, { level: 'WARN', service: 'recommendations', correlation_id: 'other', message: 'Slow call' }],
  ...[3, 4, 5].map((at): [number, Record<string, unknown>] => [
    at,
    {
      level: 'ERROR',
      service: 'reading-list',
      message: 'Request failed',
      error: { name: 'TypeError', message: `book ${at} has no id`, stack: stack('loadBook') },
    },
  ]),
  [
    6,
    {
      level: 'ERROR',
      service: 'recommendations',
      message: 'Request failed',
      error: { name: 'RangeError', message: 'r', stack: stack('rank') },
    },
  ],
];

beforeAll(async () => {
  node = await startTestOpenSearch();
  const client = createOpenSearchClient({
    endpoint: node.url,
    region: 'us-east-1',
    timeoutMs: 10_000,
  });
  await ensureIndexSetup(client, 'logs-search');
  const documents = lines.map(([minute, line], index) =>
    toLogDocument(
      {
        id: `${correlationId}-${index}`,
        timestamp: start + minute * 60_000,
        message: JSON.stringify(line),
      },
      { logGroup: `/aws/lambda/${String(line.service)}`, logStream: 's' },
      'logs-search',
    ),
  );
  const result = await deliverDocuments(documents, { client });
  expect(result.delivered).toBe(documents.length);
  await fetch(`${node.url}/${LOG_INDEX_PATTERN}/_refresh`, { method: 'POST' });
});

afterAll(async () => {
  await node?.stop();
});

async function search(body: Record<string, unknown>): Promise<unknown> {
  const answer = await fetch(`${node.url}/${LOG_INDEX_PATTERN}/_search`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(answer.status).toBe(200);
  return answer.json();
}

const messages = async (query: LogQuery) =>
  readLogHits(await search(logSearchBody(query))).map((hit) => `${hit.service}: ${hit.message}`);

describe('npm run logs queries against a real OpenSearch node', () => {
  it('finds one request’s lines across services by correlation ID, oldest first', async () => {
    expect(await messages({ correlationId })).toEqual([
      'reading-list: Reading list served',
      'recommendations: Recommended books',
    ]);
  });

  it('filters by service, level (any case) and time range', async () => {
    expect(await messages({ service: 'recommendations', levels: ['warn', 'error'] })).toEqual([
      'recommendations: Slow call',
      'recommendations: Request failed',
    ]);
    expect(await messages({ since: start + 2 * 60_000, until: start + 4 * 60_000 })).toEqual([
      'recommendations: Slow call',
      'reading-list: Request failed',
    ]);
  });

  it('finds words of the message, and keeps only the newest n', async () => {
    expect(await messages({ text: 'slow' })).toEqual(['recommendations: Slow call']);
    expect(await messages({ size: 2 })).toEqual([
      'reading-list: Request failed',
      'recommendations: Request failed',
    ]);
  });

  it('groups errors by fingerprint: count, last seen, services, most frequent first', async () => {
    const top = readTopErrors(await search(topErrorsBody({})));
    expect(top.map(({ count, services, name }) => ({ count, services, name }))).toEqual([
      { count: 3, services: ['reading-list'], name: 'TypeError' },
      { count: 1, services: ['recommendations'], name: 'RangeError' },
    ]);
    expect(top[0].lastSeen).toBe(new Date(start + 5 * 60_000).toISOString());
    expect(top[0].message).toBe('book 5 has no id');
  });
});
