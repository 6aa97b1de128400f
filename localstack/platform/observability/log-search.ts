/**
 * What `npm run logs` asks the local OpenSearch node: log lines by correlation ID, service,
 * level, time and text, and the top errors by fingerprint. Query building and formatting live
 * here (tested against a real node); bin/logs.ts only reads arguments and prints.
 */

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

/** One log line as the command shows it. */
export interface LogHit {
  readonly timestamp: string;
  readonly level?: string;
  readonly service?: string;
  readonly correlationId?: string;
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

/** Every platform's log indices (the shipper's daily `logs-<platform>-YYYY.MM.DD`). */
export const LOG_INDEX_PATTERN = 'logs-*';

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

/** `2026-12-02T16:07:17.696Z INFO  reading-list  c-123  Book added`. */
export function formatLogHit(hit: LogHit): string {
  const error = hit.error?.name
    ? `  [${hit.error.name}${hit.error.message ? `: ${hit.error.message}` : ''}]`
    : '';
  return [
    hit.timestamp,
    (hit.level ?? '-').padEnd(5),
    (hit.service ?? '-').padEnd(16),
    hit.correlationId ?? '-',
    `${oneLine(hit.message ?? '')}${error}`,
  ].join('  ');
}

/** `  12  2026-12-02T16:07:17Z  3f9a…  reading-list  TypeError: …`. */
export function formatTopError(error: TopError): string {
  return [
    String(error.count).padStart(6),
    error.lastSeen,
    error.fingerprint,
    error.services.join(',').padEnd(16),
    `${error.name ?? 'Error'}${error.message ? `: ${oneLine(error.message)}` : ''}`,
  ].join('  ');
}

/**
 * `15m`, `2h`, `7d` (ago, from `now`), or an ISO date/time → epoch ms. Anything else is refused.
 */
export function parseTime(value: string, now: number = Date.now()): number {
  const relative = /^(\d+)([smhd])$/.exec(value);
  if (relative) {
    const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[
      relative[2] as 's' | 'm' | 'h' | 'd'
    ];
    return now - Number(relative[1]) * unit;
  }
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value)) {
    const parsed = Date.parse(value);
    if (!Number.isNaN(parsed)) return parsed;
  }
  throw new LogQueryError(
    `"${value}" is not a time: use 15m, 2h, 7d or an ISO date such as 2026-12-02T10:00:00Z`,
  );
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ↵ ');
}
