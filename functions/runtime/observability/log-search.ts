import type { OpenSearchClient } from './opensearch-client';

/**
 * Searching the central logs (the shipper's daily indices): log lines by correlation ID, service,
 * level, time and text, and the top errors by fingerprint. One definition for the admin API's
 * `/admin/logs` and `/admin/errors` and the local `npm run logs`.
 */

/** The levels Powertools writes. */
export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LogQuery {
  readonly correlationId?: string;
  readonly service?: string;
  /** One level or several (`ERROR,WARN`). */
  readonly levels?: readonly string[];
  /** Inclusive lower bound, epoch ms. */
  readonly since?: number;
  /** Exclusive upper bound, epoch ms. */
  readonly until?: number;
  /** Words to find in the message (OpenSearch simple query syntax). */
  readonly text?: string;
  /** @default 50 */
  readonly size?: number;
}

/** One log line. */
export interface LogHit {
  readonly timestamp: string;
  readonly level?: string;
  readonly service?: string;
  readonly correlationId?: string;
  /** The X-Ray trace header's root (`Root=1-…;Parent=…`) as Powertools logs it. */
  readonly traceId?: string;
  readonly message?: string;
  readonly error?: { name?: string; message?: string; fingerprint?: string };
  readonly source: Record<string, unknown>;
}

export interface TopError {
  readonly fingerprint: string;
  readonly count: number;
  readonly lastSeen: string;
  readonly services: string[];
  readonly name?: string;
  readonly message?: string;
}

export class LogQueryError extends Error {
  override readonly name = 'LogQueryError';
}

const MAX_SIZE = 1000;

function filters(query: LogQuery): Record<string, unknown>[] {
  const found: Record<string, unknown>[] = [];
  if (query.correlationId) found.push({ term: { correlation_id: query.correlationId } });
  if (query.service) found.push({ term: { service: query.service } });
  if (query.levels?.length)
    found.push({ terms: { level: query.levels.map((level) => level.toUpperCase()) } });
  if (query.since !== undefined || query.until !== undefined) {
    const range: Record<string, number | string> = { format: 'epoch_millis' };
    if (query.since !== undefined) range.gte = query.since;
    if (query.until !== undefined) range.lt = query.until;
    found.push({ range: { '@timestamp': range } });
  }
  if (query.text) {
    found.push({
      simple_query_string: {
        query: query.text,
        fields: ['message', 'error.message'],
        default_operator: 'and',
      },
    });
  }
  return found;
}

/** The _search body for log lines: newest `size` matches (shown oldest first). */
export function logSearchBody(query: LogQuery): Record<string, unknown> {
  const size = query.size ?? 50;
  if (!Number.isInteger(size) || size < 1 || size > MAX_SIZE) {
    throw new LogQueryError(`--size must be a whole number from 1 to ${MAX_SIZE}`);
  }
  return {
    size,
    sort: [{ '@timestamp': 'desc' }],
    query: { bool: { filter: filters(query) } },
  };
}

/** The _search body of the top errors: error lines grouped by fingerprint, most frequent first. */
export function topErrorsBody(query: LogQuery, groups = 20): Record<string, unknown> {
  return {
    size: 0,
    query: { bool: { filter: [...filters(query), { exists: { field: 'error.fingerprint' } }] } },
    aggs: {
      errors: {
        terms: { field: 'error.fingerprint', size: groups, order: { _count: 'desc' } },
        aggs: {
          last_seen: { max: { field: '@timestamp' } },
          services: { terms: { field: 'service', size: 10 } },
          latest: {
            top_hits: { size: 1, sort: [{ '@timestamp': 'desc' }], _source: ['error', 'service'] },
          },
        },
      },
    },
  };
}

/** Log lines from a _search answer, oldest first. */
export function readLogHits(answer: unknown): LogHit[] {
  const hits =
    (answer as { hits?: { hits?: { _source: Record<string, unknown> }[] } }).hits?.hits ?? [];
  return hits
    .map(({ _source: source }) => ({
      timestamp: String(source['@timestamp'] ?? ''),
      level: source.level as string | undefined,
      service: source.service as string | undefined,
      correlationId: source.correlation_id as string | undefined,
      traceId: source.xray_trace_id as string | undefined,
      message: source.message as string | undefined,
      error: source.error as LogHit['error'],
      source,
    }))
    .reverse();
}

/** Top errors from a topErrorsBody answer. */
export function readTopErrors(answer: unknown): TopError[] {
  type Bucket = {
    key: string;
    doc_count: number;
    last_seen: { value_as_string?: string; value?: number };
    services: { buckets: { key: string }[] };
    latest: { hits: { hits: { _source: { error?: { name?: string; message?: string } } }[] } };
  };
  const buckets =
    (answer as { aggregations?: { errors?: { buckets?: Bucket[] } } }).aggregations?.errors
      ?.buckets ?? [];
  return buckets.map((bucket) => {
    const error = bucket.latest.hits.hits[0]?._source.error ?? {};
    return {
      fingerprint: bucket.key,
      count: bucket.doc_count,
      lastSeen:
        bucket.last_seen.value_as_string ?? new Date(bucket.last_seen.value ?? 0).toISOString(),
      services: bucket.services.buckets.map((service) => service.key),
      name: error.name,
      message: error.message,
    };
  });
}

/** The store answered something other than a search result. */
export class LogStoreError extends Error {
  override readonly name = 'LogStoreError';
}

async function search(
  client: OpenSearchClient,
  indexPattern: string,
  body: Record<string, unknown>,
): Promise<unknown> {
  // No index yet (nothing shipped) is an empty answer, not an error.
  const response = await client.request(
    'POST',
    `/${encodeURIComponent(indexPattern).replace(/%2A/g, '*')}/_search?ignore_unavailable=true&allow_no_indices=true`,
    JSON.stringify(body),
  );
  if (response.status < 200 || response.status >= 300) {
    throw new LogStoreError(`OpenSearch answered ${response.status}`);
  }
  return JSON.parse(response.body) as unknown;
}

/** Log lines matching `query` in the indices `indexPattern` names (`logs-<platform>-*`). */
export async function searchLogs(
  client: OpenSearchClient,
  indexPattern: string,
  query: LogQuery,
): Promise<LogHit[]> {
  return readLogHits(await search(client, indexPattern, logSearchBody(query)));
}

/** The most frequent errors matching `query`, by fingerprint. */
export async function topErrors(
  client: OpenSearchClient,
  indexPattern: string,
  query: LogQuery,
  groups = 20,
): Promise<TopError[]> {
  return readTopErrors(await search(client, indexPattern, topErrorsBody(query, groups)));
}
