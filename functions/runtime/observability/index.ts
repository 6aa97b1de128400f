export {
  CORRELATION_ID_HEADER,
  findHeader,
  isValidCorrelationId,
  resolveCorrelationId,
} from './correlation';
export { createLogAndMetrics, type LogAndMetrics } from './log-and-metrics';
export { createPowertools, type Powertools } from './powertools';
export { xrayTracing, type Tracing } from './tracing';
export {
  audit,
  auditRecord,
  createAuditTrail,
  type AuditEntry,
  type AuditTrail,
  type AuditTrailOptions,
} from './audit';
export {
  createOpenSearchClient,
  type OpenSearchClient,
  type OpenSearchClientOptions,
  type OpenSearchResponse,
} from './opensearch-client';
export {
  LOG_LEVELS,
  LogQueryError,
  LogStoreError,
  logSearchBody,
  readLogHits,
  readTopErrors,
  searchLogs,
  topErrors,
  topErrorsBody,
  type LogHit,
  type LogLevel,
  type LogQuery,
  type TopError,
} from './log-search';
