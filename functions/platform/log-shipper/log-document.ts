import type { CloudWatchLogsDecodedData, CloudWatchLogsLogEvent } from 'aws-lambda';
import { dailyIndexName } from '../../runtime/contract';
import { errorFingerprint } from './fingerprint';

/** One log event as it goes into OpenSearch. */
export interface LogDocument {
  /** The CloudWatch event ID: a retried or redelivered event overwrites nothing and duplicates nothing. */
  readonly id: string;
  readonly index: string;
  readonly source: Record<string, unknown>;
}

/** Powertools' keys that have their own mapping in the index template, by the type they need. */
const KEYWORDS = [
  'level',
  'service',
  'correlation_id',
  'xray_trace_id',
  'function_name',
  'function_arn',
  'function_request_id',
  'function_version',
  'source_service',
] as const;

/** Longest message indexed; the rest is cut (a 256 KB line would cost more than it tells). */
const MAX_MESSAGE_CHARS = 32_768;

/**
 * Maps one log event to a document. A Powertools JSON line keeps its known keys, each with the
 * type its mapping expects (anything else under the same name moves to `attributes`), and every
 * other key goes to `attributes` (a `flat_object`: searchable, yet new keys never add mappings).
 * A line that is not JSON (the runtime's START/END/REPORT) becomes its `message`. Errors get a
 * fingerprint (`error.fingerprint`) so the top-errors view can group them.
 */
export function toLogDocument(
  logEvent: CloudWatchLogsLogEvent,
  batch: Pick<CloudWatchLogsDecodedData, 'logGroup' | 'logStream'>,
  indexPrefix: string,
): LogDocument {
  const source: Record<string, unknown> = {
    '@timestamp': new Date(logEvent.timestamp).toISOString(),
    log_group: batch.logGroup,
    log_stream: batch.logStream,
  };
  const attributes: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  const parsed = parseJsonObject(logEvent.message);
  if (!parsed) {
    source.message = clip(logEvent.message.trimEnd());
  } else {
    for (const [key, value] of Object.entries(parsed)) {
      if (key === 'message') {
        if (typeof value === 'string') source.message = clip(value);
        else attributes.message = value;
      } else if ((KEYWORDS as readonly string[]).includes(key)) {
        if (typeof value === 'string' || typeof value === 'number') source[key] = String(value);
        else attributes[key] = value;
      } else if (key === 'cold_start' && typeof value === 'boolean') {
        source.cold_start = value;
      } else if (key === 'sampling_rate' && typeof value === 'number') {
        source.sampling_rate = value;
      } else if (key === 'timestamp' && typeof value === 'string') {
        source.timestamp = value;
      } else if (
        key !== 'error' &&
        key !== 'errorType' &&
        key !== 'errorMessage' &&
        key !== 'stack'
      ) {
        attributes[key] = value;
      }
    }
    const error = errorOf(parsed);
    if (error) source.error = error;
    else if ('error' in parsed) attributes.error = parsed.error;
    if (typeof source.level === 'string') source.level = source.level.toUpperCase();
  }
  if (Object.keys(attributes).length > 0) source.attributes = { ...attributes };
  return {
    id: logEvent.id,
    index: dailyIndexName(indexPrefix, logEvent.timestamp),
    source,
  };
}

/**
 * The logged error, from Powertools' `error` object or the Lambda runtime's
 * `errorType`/`errorMessage`/`stack`; a line at ERROR level without one is fingerprinted on its
 * message, so `logger.error('…')` counts too.
 */
function errorOf(line: Record<string, unknown>): Record<string, string> | undefined {
  const logged = line.error;
  let name: string | undefined;
  let message: string | undefined;
  let stack: string | undefined;
  if (typeof logged === 'object' && logged !== null && !Array.isArray(logged)) {
    const fields = logged as Record<string, unknown>;
    name = stringOf(fields.name);
    message = stringOf(fields.message);
    stack = stringOf(fields.stack);
  } else if (typeof line.errorType === 'string') {
    name = line.errorType;
    message = stringOf(line.errorMessage);
    stack = Array.isArray(line.stack) ? line.stack.map(String).join('\n') : stringOf(line.stack);
  } else if (/^(ERROR|CRITICAL|FATAL)$/i.test(String(line.level ?? ''))) {
    message = stringOf(line.message);
  } else {
    return undefined;
  }
  const error: Record<string, string> = {
    name: name ?? 'Error',
    fingerprint: errorFingerprint({ name, message, stack }),
  };
  if (message !== undefined) error.message = clip(message);
  if (stack !== undefined) error.stack = clip(stack);
  return error;
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(trimmed);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function clip(text: string): string {
  return text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS)}…` : text;
}
