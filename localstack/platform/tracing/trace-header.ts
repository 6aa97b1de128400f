import { randomBytes } from 'node:crypto';

/** An X-Ray trace context: `Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1`. */
export interface TraceContext {
  /** `1-{8 hex: epoch seconds}-{24 hex}`. */
  readonly traceId: string;
  /** The span (segment or subsegment) the next one hangs under: 16 hex. */
  readonly parentId?: string;
  readonly sampled: boolean;
}

const TRACE_ID = /^1-[0-9a-f]{8}-[0-9a-f]{24}$/;
const SEGMENT_ID = /^[0-9a-f]{16}$/;

/**
 * Reads an `X-Amzn-Trace-Id` header (or `_X_AMZN_TRACE_ID`). A malformed value gives undefined:
 * the receiver then starts a trace of its own, as API Gateway and Lambda do.
 */
export function parseTraceHeader(value: string | undefined): TraceContext | undefined {
  if (!value || value.length > 512) return undefined;
  const fields = new Map<string, string>();
  for (const part of value.split(';')) {
    const at = part.indexOf('=');
    if (at > 0) fields.set(part.slice(0, at).trim(), part.slice(at + 1).trim());
  }
  const traceId = fields.get('Root');
  if (!traceId || !TRACE_ID.test(traceId)) return undefined;
  const parentId = fields.get('Parent');
  return {
    traceId,
    parentId: parentId && SEGMENT_ID.test(parentId) ? parentId : undefined,
    sampled: fields.get('Sampled') !== '0',
  };
}

export function formatTraceHeader(context: TraceContext): string {
  return [
    `Root=${context.traceId}`,
    ...(context.parentId ? [`Parent=${context.parentId}`] : []),
    `Sampled=${context.sampled ? 1 : 0}`,
  ].join(';');
}

/** A new X-Ray trace ID, its first part the start time in epoch seconds. */
export function newTraceId(nowMs: number = Date.now()): string {
  const seconds = Math.floor(nowMs / 1000)
    .toString(16)
    .padStart(8, '0');
  return `1-${seconds}-${randomBytes(12).toString('hex')}`;
}

/** A new segment ID: 64 random bits, 16 hex digits. */
export function newSegmentId(): string {
  return randomBytes(8).toString('hex');
}

/** Zipkin's form of an X-Ray trace ID: the same 128 bits, 32 hex digits. */
export function zipkinTraceId(xrayTraceId: string): string | undefined {
  return TRACE_ID.test(xrayTraceId) ? xrayTraceId.slice(2).replace('-', '') : undefined;
}

export function isSegmentId(value: unknown): value is string {
  return typeof value === 'string' && SEGMENT_ID.test(value);
}
