import { backoffDelay, DEFAULT_BACKOFF, type BackoffSettings } from './backoff';
import type { LogDocument } from './log-document';
import type { OpenSearchClient } from '../../runtime/observability';

/** A document OpenSearch still refused after every attempt (or refused for good). */
export interface UndeliveredDocument {
  readonly document: LogDocument;
  /** What the last attempt answered: `http 503`, `timeout`, `mapper_parsing_exception: …`. */
  readonly reason: string;
  /** HTTP or per-item status of the last attempt; 0 when no answer came. */
  readonly status: number;
  readonly attempts: number;
}

export interface DeliveryResult {
  readonly delivered: number;
  readonly undelivered: UndeliveredDocument[];
  /** Bulk requests made, first tries and retries. */
  readonly requests: number;
}

export interface DeliveryOptions {
  readonly client: OpenSearchClient;
  /** @default 6 */
  readonly maxAttempts?: number;
  /** Bulk requests in flight at once. @default 4 */
  readonly concurrency?: number;
  /** Largest bulk body. @default 5 MiB (a domain accepts 10 MiB at its smallest) */
  readonly maxRequestBytes?: number;
  /** Most documents in one bulk request. @default 500 */
  readonly maxRequestDocuments?: number;
  /** @default DEFAULT_BACKOFF */
  readonly backoff?: BackoffSettings;
  /** Time the caller can still give; retrying stops when the next wait would not fit. @default - unbounded */
  readonly remainingTimeMs?: () => number;
  /** Reserved for one more request after a wait. @default 0 */
  readonly requestTimeoutMs?: number;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default Math.random */
  readonly random?: () => number;
}

type Outcome =
  { kind: 'delivered' } | { kind: 'retry' | 'refused'; reason: string; status: number };

/**
 * Writes documents with the bulk API until each is delivered or out of attempts. A whole request
 * answered 429 or 5xx, timed out, or cut off is retried; so is each item a 200 answer marks 429
 * or 5xx; an item refused with another 4xx (a malformed document) is not. Waits between rounds
 * back off exponentially with full jitter, and at most `concurrency` requests are in flight, so
 * a burst slows delivery down instead of losing it. `create` with the CloudWatch event ID makes
 * a retry of a write that in fact landed answer 409, counted as delivered: no duplicates.
 */
export async function deliverDocuments(
  documents: readonly LogDocument[],
  options: DeliveryOptions,
): Promise<DeliveryResult> {
  const maxAttempts = options.maxAttempts ?? 6;
  const sleep = options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  let delivered = 0;
  let requests = 0;
  const undelivered: UndeliveredDocument[] = [];
  let pending = [...documents];
  for (let attempt = 1; pending.length > 0; attempt++) {
    const chunks = chunk(
      pending,
      options.maxRequestBytes ?? 5 * 1024 * 1024,
      options.maxRequestDocuments ?? 500,
    );
    requests += chunks.length;
    const outcomes = await mapBounded(chunks, options.concurrency ?? 4, (part) =>
      sendBulk(options.client, part),
    );
    const retry: { document: LogDocument; reason: string; status: number }[] = [];
    outcomes.forEach((results, index) =>
      results.forEach((outcome, position) => {
        const document = chunks[index][position];
        if (outcome.kind === 'delivered') delivered++;
        else if (outcome.kind === 'refused')
          undelivered.push({
            document,
            reason: outcome.reason,
            status: outcome.status,
            attempts: attempt,
          });
        else retry.push({ document, reason: outcome.reason, status: outcome.status });
      }),
    );
    if (retry.length === 0) break;
    const wait = backoffDelay(attempt, options.backoff ?? DEFAULT_BACKOFF, options.random);
    const remaining = options.remainingTimeMs?.() ?? Number.POSITIVE_INFINITY;
    if (attempt >= maxAttempts || remaining < wait + (options.requestTimeoutMs ?? 0)) {
      for (const { document, reason, status } of retry)
        undelivered.push({ document, reason, status, attempts: attempt });
      break;
    }
    await sleep(wait);
    pending = retry.map(({ document }) => document);
  }
  return { delivered, undelivered, requests };
}

/** NDJSON bulk body: one `create` action line and one source line per document. */
export function bulkBody(documents: readonly LogDocument[]): string {
  return documents
    .map(
      ({ id, index, source }) =>
        `${JSON.stringify({ create: { _index: index, _id: id } })}\n${JSON.stringify(source)}\n`,
    )
    .join('');
}

async function sendBulk(client: OpenSearchClient, documents: LogDocument[]): Promise<Outcome[]> {
  const all = (outcome: Outcome) => documents.map(() => outcome);
  let response;
  try {
    response = await client.request('POST', '/_bulk', bulkBody(documents), 'application/x-ndjson');
  } catch (error) {
    const name = (error as Error).name;
    const reason =
      name === 'TimeoutError' || name === 'AbortError'
        ? 'timeout'
        : `network: ${(error as Error).message}`;
    return all({ kind: 'retry', reason, status: 0 });
  }
  const { status } = response;
  if (status === 429 || status >= 500)
    return all({ kind: 'retry', reason: `http ${status}`, status });
  if (status < 200 || status >= 300) {
    return all({
      kind: 'refused',
      reason: `http ${status}: ${response.body.slice(0, 200)}`,
      status,
    });
  }
  let parsed: { errors?: boolean; items?: Record<string, BulkItem>[] };
  try {
    parsed = JSON.parse(response.body) as typeof parsed;
  } catch {
    // A 200 cut short by a proxy: nothing says which items landed; `create` makes a retry safe.
    return all({ kind: 'retry', reason: 'unreadable bulk answer', status });
  }
  const items = parsed.items ?? [];
  if (items.length !== documents.length) {
    return all({ kind: 'retry', reason: 'bulk answer lists another number of items', status });
  }
  return items.map((entry) => {
    const item = Object.values(entry)[0] ?? { status: 0 };
    if ((item.status >= 200 && item.status < 300) || item.status === 409)
      return { kind: 'delivered' };
    const reason = item.error
      ? `${item.error.type ?? 'error'}: ${item.error.reason ?? ''}`.slice(0, 300)
      : `status ${item.status}`;
    return item.status === 429 || item.status >= 500
      ? { kind: 'retry', reason, status: item.status }
      : { kind: 'refused', reason, status: item.status };
  });
}

interface BulkItem {
  status: number;
  error?: { type?: string; reason?: string };
}

/** Splits documents into bulk requests of at most `maxCount` documents and `maxBytes` (a lone larger document goes alone). */
function chunk(documents: LogDocument[], maxBytes: number, maxCount: number): LogDocument[][] {
  const chunks: LogDocument[][] = [];
  let current: LogDocument[] = [];
  let size = 0;
  for (const document of documents) {
    const bytes = Buffer.byteLength(bulkBody([document]));
    if (current.length > 0 && (size + bytes > maxBytes || current.length >= maxCount)) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(document);
    size += bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** Runs `work` over `items` with at most `limit` at a time; results keep the items' order. */
async function mapBounded<T, R>(
  items: T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]);
    }
  });
  await Promise.all(workers);
  return results;
}
