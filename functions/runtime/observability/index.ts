export {
  CORRELATION_ID_HEADER,
  findHeader,
  isValidCorrelationId,
  resolveCorrelationId,
} from './correlation';
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
