/**
 * The audit trail's contract: how an audit record is marked in a function's output, the fields
 * it carries, where it is indexed and kept. The runtime writes records (observability/audit.ts),
 * the log shipper routes them, the constructs count them and keep their log group.
 */

/** The key and value that mark a log line as an audit record (not a debug line). */
export const AUDIT_MARKER = { key: 'log_type', value: 'audit' } as const;

/** How an audited action ended. */
export const AUDIT_RESULTS = ['success', 'failure', 'denied'] as const;
export type AuditResult = (typeof AUDIT_RESULTS)[number];

/** Top-level fields of an audit record, each with its own mapping in the audit index. */
export const AUDIT_FIELDS = [
  'timestamp',
  'service',
  'action',
  'target',
  'result',
  'reason',
  'sub',
  'client_id',
  'request_id',
  'correlation_id',
  'xray_trace_id',
  'function_name',
] as const;

/** The shipper's variables for audit records. */
export const AUDIT_ENV = {
  /** Log group the shipper copies every audit record into (longer retention); unset: none. */
  logGroupName: 'AUDIT_LOG_GROUP_NAME',
  /** Days the audit index keeps a record (ISM); unset: no policy. */
  retentionDays: 'AUDIT_RETENTION_DAYS',
} as const;

/** Audit records are indexed into `<prefix>-YYYY.MM.DD`, apart from the logs. */
export function auditIndexPrefix(platformName: string): string {
  return `audit-${platformName}`;
}

/** CloudWatch metric counting audit records (dimensions `service`, `result`), from a metric filter. */
export const AUDIT_METRIC = 'AuditRecords';

/** CloudWatch metric counting ERROR lines per service, from a metric filter on each log group. */
export const SERVICE_ERRORS_METRIC = 'ServiceErrors';
