import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { SQSClient } from '@aws-sdk/client-sqs';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import {
  AUDIT_ENV,
  auditIndexPrefix,
  LOG_SHIPPER_ENV,
  logIndexPrefix,
  PLATFORM_NAME_ENV,
} from '../../runtime/contract';
import { createLogAndMetrics, createOpenSearchClient } from '../../runtime/observability';
import { auditIndexTemplate, copyAuditRecords, toAuditDocument } from './audit-records';
import { deliverDocuments } from './bulk-delivery';
import { sendDeadLetters } from './dead-letters';
import { decodeSubscriptionEvent } from './envelope';
import { ensureIndexSetup } from './index-setup';
import { toLogDocument } from './log-document';

/**
 * The log shipper: CloudWatch Logs subscription → OpenSearch bulk API. CloudWatch Logs invokes
 * it asynchronously with a batch of one log group's events; it indexes them into daily indices,
 * retries what OpenSearch could not take, and puts what is still refused on the dead-letter
 * queue. Every batch ends counted: delivered + dead-lettered = sent. If the dead letters cannot
 * be written either, it throws: Lambda retries the batch and then hands it to the function's
 * on-failure destination (documents are written with `create` by event ID, so a redelivered
 * batch duplicates nothing).
 *
 * Environment: see LOG_SHIPPER_ENV (contract.ts).
 */
const { logger, metrics } = createLogAndMetrics('platform-log-shipper');
const env = process.env;
const endpoint = env[LOG_SHIPPER_ENV.endpoint];
const indexPrefix =
  env[LOG_SHIPPER_ENV.indexPrefix] || logIndexPrefix(env[PLATFORM_NAME_ENV] ?? 'platform');
const requestTimeoutMs = positive(env[LOG_SHIPPER_ENV.requestTimeoutMs]) ?? 10_000;
const retentionDays = positive(env[LOG_SHIPPER_ENV.retentionDays]);
const deadLetterQueueUrl = env[LOG_SHIPPER_ENV.deadLetterQueueUrl];
// Audit records go to their own index (and, on AWS, their own log group): see audit-records.ts.
const auditPrefix = auditIndexPrefix(env[PLATFORM_NAME_ENV] ?? 'platform');
const auditRetentionDays = positive(env[AUDIT_ENV.retentionDays]);
const auditLogGroupName = env[AUDIT_ENV.logGroupName];
const cloudWatchLogs = auditLogGroupName ? new CloudWatchLogsClient({}) : undefined;
const auditStreams = new Set<string>();
const client = endpoint
  ? createOpenSearchClient({
      endpoint,
      region: env.AWS_REGION ?? 'us-east-1',
      timeoutMs: requestTimeoutMs,
      signingService: env[LOG_SHIPPER_ENV.signingService],
    })
  : undefined;
const sqs = deadLetterQueueUrl ? new SQSClient({}) : undefined;
let indexReady: Promise<void> | undefined;

export interface ShipmentSummary {
  readonly logGroup: string;
  readonly sent: number;
  readonly delivered: number;
  readonly deadLettered: number;
  readonly requests: number;
}

export async function handler(event: unknown, context: Context): Promise<ShipmentSummary> {
  if (!client) throw new Error(`Set ${LOG_SHIPPER_ENV.endpoint} to the OpenSearch endpoint`);
  const batch = decodeSubscriptionEvent(event);
  const auditEvents: typeof batch.logEvents = [];
  const documents = batch.logEvents.map((logEvent) => {
    const auditDocument = toAuditDocument(logEvent, batch, auditPrefix);
    if (!auditDocument) return toLogDocument(logEvent, batch, indexPrefix);
    auditEvents.push(logEvent);
    return auditDocument;
  });
  if (documents.length === 0)
    return { logGroup: batch.logGroup, sent: 0, delivered: 0, deadLettered: 0, requests: 0 };

  // Once per environment; a failed set-up is tried again by the next batch.
  indexReady ??= Promise.all([
    ensureIndexSetup(client, indexPrefix, { retentionDays }),
    ensureIndexSetup(client, auditPrefix, {
      retentionDays: auditRetentionDays,
      template: auditIndexTemplate(auditPrefix),
    }),
  ])
    .then(() => undefined)
    .catch((error: unknown) => {
      indexReady = undefined;
      throw error;
    });
  await indexReady;
  // The audit log group first: its copy is the record kept longest.
  if (cloudWatchLogs && auditLogGroupName && auditEvents.length > 0) {
    await copyAuditRecords(cloudWatchLogs, auditLogGroupName, batch, auditEvents, auditStreams);
  }

  const result = await deliverDocuments(documents, {
    client,
    maxAttempts: positive(env[LOG_SHIPPER_ENV.maxAttempts]),
    concurrency: positive(env[LOG_SHIPPER_ENV.concurrency]),
    requestTimeoutMs,
    // Keep a margin to write dead letters before Lambda's own timeout.
    remainingTimeMs: () => context.getRemainingTimeInMillis() - 2000,
  });
  let deadLettered = 0;
  if (result.undelivered.length > 0) {
    for (const letter of result.undelivered.slice(0, 5)) {
      // The reason and the document's address only: a log line's content may hold anything.
      logger.warn('Log document undelivered', {
        index: letter.document.index,
        id: letter.document.id,
        reason: letter.reason,
        attempts: letter.attempts,
      });
    }
    if (!sqs || !deadLetterQueueUrl) {
      throw new Error(
        `${result.undelivered.length} of ${documents.length} log documents undelivered and no ${LOG_SHIPPER_ENV.deadLetterQueueUrl}`,
      );
    }
    deadLettered = await sendDeadLetters(sqs, deadLetterQueueUrl, result.undelivered);
  }
  const summary: ShipmentSummary = {
    logGroup: batch.logGroup,
    sent: documents.length,
    delivered: result.delivered,
    deadLettered,
    requests: result.requests,
  };
  logger.info('Log batch shipped', { ...summary });
  metrics.addMetric('LogDocumentsSent', MetricUnit.Count, summary.sent);
  metrics.addMetric('LogDocumentsDelivered', MetricUnit.Count, summary.delivered);
  metrics.addMetric('LogDocumentsDeadLettered', MetricUnit.Count, summary.deadLettered);
  metrics.publishStoredMetrics();
  return summary;
}

function positive(value: string | undefined): number | undefined {
  if (value === undefined || !/^[1-9]\d*$/.test(value)) return undefined;
  return Number(value);
}
