import {
  type CloudWatchLogsClient,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import type { CloudWatchLogsDecodedData, CloudWatchLogsLogEvent } from 'aws-lambda';
import { AUDIT_FIELDS, AUDIT_MARKER, dailyIndexName } from '../../runtime/contract';
import type { LogDocument } from './log-document';

const MARKER_TEXT = `"${AUDIT_MARKER.key}":"${AUDIT_MARKER.value}"`;

/**
 * The audit document of a log event, or undefined when the event is not an audit record (a
 * JSON line marked `log_type: "audit"`, as the runtime's `audit()` writes it). The contract's
 * fields keep their mapping; `details` is a flat object; anything else the line carries is left
 * out: an audit index holds what the contract names and nothing a debug line could add.
 */
export function toAuditDocument(
  logEvent: CloudWatchLogsLogEvent,
  batch: Pick<CloudWatchLogsDecodedData, 'logGroup' | 'logStream'>,
  auditIndexPrefix: string,
): LogDocument | undefined {
  if (!logEvent.message.includes(MARKER_TEXT)) return undefined;
  let line: unknown;
  try {
    line = JSON.parse(logEvent.message.trim());
  } catch {
    return undefined;
  }
  if (typeof line !== 'object' || line === null || Array.isArray(line)) return undefined;
  const fields = line as Record<string, unknown>;
  if (fields[AUDIT_MARKER.key] !== AUDIT_MARKER.value) return undefined;
  const source: Record<string, unknown> = {
    '@timestamp': new Date(logEvent.timestamp).toISOString(),
    log_group: batch.logGroup,
    log_stream: batch.logStream,
  };
  for (const field of AUDIT_FIELDS) {
    const value = fields[field];
    if (typeof value === 'string') source[field] = value;
  }
  const details = fields.details;
  if (typeof details === 'object' && details !== null && !Array.isArray(details)) {
    source.details = { ...(details as Record<string, unknown>) };
  }
  return {
    id: logEvent.id,
    index: dailyIndexName(auditIndexPrefix, logEvent.timestamp),
    source,
  };
}

/** The index template of the audit indices: the contract's fields, explicitly mapped. */
export function auditIndexTemplate(auditIndexPrefix: string): Record<string, unknown> {
  const keyword = { type: 'keyword', ignore_above: 512 };
  const properties: Record<string, unknown> = {
    '@timestamp': { type: 'date' },
    log_group: keyword,
    log_stream: keyword,
    details: { type: 'flat_object' },
  };
  for (const field of AUDIT_FIELDS)
    properties[field] = field === 'timestamp' ? { type: 'date' } : keyword;
  return {
    index_patterns: [`${auditIndexPrefix}-*`],
    priority: 100,
    template: {
      settings: {
        'index.number_of_shards': 1,
        'index.auto_expand_replicas': '0-1',
        'index.mapping.ignore_malformed': true,
      },
      mappings: { dynamic: false, properties },
    },
  };
}

/**
 * Copies audit records into the platform's audit log group (longer retention than the
 * functions' own), one stream per day and source log group. A redelivered batch may copy a
 * record twice (the index, written by event ID, does not duplicate it). Throws when CloudWatch
 * Logs refuses, so Lambda retries the batch and finally hands it to the on-failure destination.
 */
export async function copyAuditRecords(
  client: CloudWatchLogsClient,
  auditLogGroupName: string,
  batch: Pick<CloudWatchLogsDecodedData, 'logGroup'>,
  events: readonly CloudWatchLogsLogEvent[],
  knownStreams: Set<string> = new Set(),
): Promise<number> {
  const byStream = new Map<string, CloudWatchLogsLogEvent[]>();
  for (const event of events) {
    const stream = auditStreamName(batch.logGroup, event.timestamp);
    const list = byStream.get(stream) ?? [];
    list.push(event);
    byStream.set(stream, list);
  }
  let copied = 0;
  for (const [stream, list] of byStream) {
    if (!knownStreams.has(stream)) {
      try {
        await client.send(
          new CreateLogStreamCommand({ logGroupName: auditLogGroupName, logStreamName: stream }),
        );
      } catch (error) {
        if ((error as Error).name !== 'ResourceAlreadyExistsException') throw error;
      }
      knownStreams.add(stream);
    }
    const sorted = [...list].sort((a, b) => a.timestamp - b.timestamp);
    // PutLogEvents takes up to 10,000 events and 1 MiB; a subscription batch is smaller than that
    // in bytes only when cut, so chunks of 500 keep well inside both.
    for (let start = 0; start < sorted.length; start += 500) {
      const chunk = sorted.slice(start, start + 500);
      const answer = await client.send(
        new PutLogEventsCommand({
          logGroupName: auditLogGroupName,
          logStreamName: stream,
          logEvents: chunk.map((event) => ({ timestamp: event.timestamp, message: event.message })),
        }),
      );
      const rejected = answer.rejectedLogEventsInfo;
      if (rejected && Object.values(rejected).some((value) => value !== undefined)) {
        throw new Error(`The audit log group refused records: ${JSON.stringify(rejected)}`);
      }
      copied += chunk.length;
    }
  }
  return copied;
}

/** `2026/03/01/aws/lambda/msa-admin`: the day, then where the record was written. */
export function auditStreamName(sourceLogGroup: string, timestampMs: number): string {
  const day = new Date(timestampMs).toISOString().slice(0, 10).replaceAll('-', '/');
  const source = sourceLogGroup.replace(/[:*]/g, '_').replace(/^\/+/, '');
  return `${day}/${source}`.slice(0, 512);
}
