import { gunzipSync, gzipSync } from 'node:zlib';
import type { CloudWatchLogsDecodedData, CloudWatchLogsEvent } from 'aws-lambda';

/** A subscription event that is not what CloudWatch Logs sends. */
export class LogEnvelopeError extends Error {
  override readonly name = 'LogEnvelopeError';
}

/** Largest decompressed payload accepted: CloudWatch Logs batches hold at most 1 MB of events. */
const MAX_DECODED_BYTES = 8 * 1024 * 1024;

/**
 * Decodes a CloudWatch Logs subscription event: `awslogs.data` is base64 of a gzip of the JSON
 * batch. Control messages (CloudWatch checking the destination is reachable) decode to a batch
 * with no log events.
 */
export function decodeSubscriptionEvent(event: unknown): CloudWatchLogsDecodedData {
  const data = (event as Partial<CloudWatchLogsEvent> | null)?.awslogs?.data;
  if (typeof data !== 'string' || data.length === 0) {
    throw new LogEnvelopeError('Not a CloudWatch Logs subscription event: awslogs.data missing');
  }
  let json: string;
  try {
    json = gunzipSync(Buffer.from(data, 'base64'), { maxOutputLength: MAX_DECODED_BYTES }).toString(
      'utf8',
    );
  } catch (error) {
    throw new LogEnvelopeError(`awslogs.data is not base64 gzip: ${(error as Error).message}`);
  }
  let decoded: Partial<CloudWatchLogsDecodedData>;
  try {
    decoded = JSON.parse(json) as Partial<CloudWatchLogsDecodedData>;
  } catch {
    throw new LogEnvelopeError('awslogs.data does not hold JSON');
  }
  if (
    typeof decoded !== 'object' ||
    decoded === null ||
    typeof decoded.logGroup !== 'string' ||
    typeof decoded.logStream !== 'string' ||
    !Array.isArray(decoded.logEvents)
  ) {
    throw new LogEnvelopeError('awslogs.data lacks logGroup, logStream or logEvents');
  }
  for (const logEvent of decoded.logEvents as unknown[]) {
    const candidate = logEvent as Partial<CloudWatchLogsDecodedData['logEvents'][number]> | null;
    if (
      typeof candidate?.id !== 'string' ||
      typeof candidate.timestamp !== 'number' ||
      typeof candidate.message !== 'string'
    ) {
      throw new LogEnvelopeError('a log event lacks its id, timestamp or message');
    }
  }
  return {
    owner: String(decoded.owner ?? ''),
    logGroup: decoded.logGroup,
    logStream: decoded.logStream,
    subscriptionFilters: Array.isArray(decoded.subscriptionFilters)
      ? decoded.subscriptionFilters.map(String)
      : [],
    messageType: String(decoded.messageType ?? 'DATA_MESSAGE'),
    logEvents: decoded.messageType === 'CONTROL_MESSAGE' ? [] : decoded.logEvents,
  };
}

/** Encodes a batch the way CloudWatch Logs does (the local platform and tests send these). */
export function encodeSubscriptionEvent(batch: CloudWatchLogsDecodedData): CloudWatchLogsEvent {
  return { awslogs: { data: gzipSync(JSON.stringify(batch)).toString('base64') } };
}
