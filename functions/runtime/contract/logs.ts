/**
 * What the log shipper and whoever deploys or runs it (the construct, the local platform) agree
 * on: environment variable names and index naming. Dependency-free on purpose.
 */
export const LOG_SHIPPER_ENV = {
  /** The OpenSearch endpoint. `https://…` requests are SigV4-signed (an AWS domain accepts HTTPS only); `http://…` go unsigned (the local node). */
  endpoint: 'OPENSEARCH_ENDPOINT',
  /** SigV4 signing name: `es` for a managed domain (default), `aoss` for OpenSearch Serverless. */
  signingService: 'OPENSEARCH_SIGNING_SERVICE',
  /** Index names are `<prefix>-YYYY.MM.DD`. Default `logs-<PLATFORM_NAME>`. */
  indexPrefix: 'LOG_INDEX_PREFIX',
  /** SQS queue that receives the documents still refused after every retry. */
  deadLetterQueueUrl: 'LOG_DEAD_LETTER_QUEUE_URL',
  /** Bulk attempts per document before it is dead-lettered. Default 6. */
  maxAttempts: 'LOG_SHIPPER_MAX_ATTEMPTS',
  /** Bulk requests in flight at once. Default 4. */
  concurrency: 'LOG_SHIPPER_CONCURRENCY',
  /** Time one bulk request may take before it counts as failed (and is retried). Default 10000. */
  requestTimeoutMs: 'LOG_SHIPPER_REQUEST_TIMEOUT_MS',
  /** Days a daily index is kept (an ISM policy; AWS only, the local node has no ISM). Unset: none put. */
  retentionDays: 'LOG_RETENTION_DAYS',
} as const;

/** The platform's name (set on every platform function). */
export const PLATFORM_NAME_ENV = 'PLATFORM_NAME';

/** Daily index of a log event: `<prefix>-YYYY.MM.DD` (UTC), the day the event was logged. */
export function dailyIndexName(prefix: string, timestampMs: number): string {
  const day = new Date(timestampMs).toISOString().slice(0, 10).replaceAll('-', '.');
  return `${prefix}-${day}`;
}

/** The default index prefix of a platform's logs. */
export function logIndexPrefix(platformName: string): string {
  return `logs-${platformName}`;
}
