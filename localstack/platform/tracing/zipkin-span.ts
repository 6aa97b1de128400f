import type { SegmentDocument } from './segment-document';
import { zipkinTraceId } from './trace-header';

/** A Zipkin v2 span (https://zipkin.io/zipkin-api/#/default/post_spans). */
export interface ZipkinSpan {
  readonly traceId: string;
  readonly id: string;
  readonly parentId?: string;
  readonly name: string;
  readonly kind?: 'SERVER' | 'CLIENT';
  /** Microseconds since the epoch. */
  readonly timestamp: number;
  readonly duration: number;
  readonly localEndpoint: { readonly serviceName: string };
  readonly remoteEndpoint?: { readonly serviceName: string };
  readonly tags: Record<string, string>;
}

/** Who sent a document, and how to name the services it calls. */
export interface SpanOrigin {
  /** The service the document's spans belong to (Zipkin's `localEndpoint.serviceName`). */
  readonly serviceName: string;
  /** The service behind a function the document invoked, when the platform runs it. */
  serviceOfFunction?(functionName: string): string | undefined;
}

/** Segments that stand for a service receiving a request: Zipkin SERVER spans. */
const SERVER_ORIGINS = new Set(['AWS::Lambda::Function', 'AWS::ApiGateway::Stage']);

/**
 * Turns one X-Ray document, with the subsegments nested in it, into Zipkin spans: the same trace
 * and span IDs (Zipkin's trace ID is the X-Ray one without `1-` and `-`), times in microseconds,
 * downstream calls as CLIENT spans naming the service they reach (so Zipkin can draw the
 * dependency graph), and HTTP status, errors and annotations as tags. Documents still in
 * progress are skipped: the finished one follows.
 */
export function segmentToSpans(document: SegmentDocument, origin: SpanOrigin): ZipkinSpan[] {
  const traceId = document.trace_id ? zipkinTraceId(document.trace_id) : undefined;
  if (!traceId) return [];
  const spans: ZipkinSpan[] = [];
  const visit = (doc: SegmentDocument, parentId: string | undefined) => {
    if (doc.in_progress || typeof doc.end_time !== 'number') return;
    spans.push(toSpan(doc, traceId, parentId, origin));
    for (const child of doc.subsegments ?? []) visit(child, doc.id);
  };
  visit(document, document.parent_id);
  return spans;
}

function toSpan(
  doc: SegmentDocument,
  traceId: string,
  parentId: string | undefined,
  origin: SpanOrigin,
): ZipkinSpan {
  const timestamp = Math.round(doc.start_time * 1e6);
  const end = Math.round((doc.end_time ?? doc.start_time) * 1e6);
  const remote = remoteServiceOf(doc, origin);
  const isServer = doc.origin !== undefined && SERVER_ORIGINS.has(doc.origin);
  return {
    traceId,
    id: doc.id,
    ...(parentId ? { parentId } : {}),
    name: spanName(doc),
    ...(isServer ? { kind: 'SERVER' as const } : remote ? { kind: 'CLIENT' as const } : {}),
    timestamp,
    // Zipkin treats 0 as "unknown": a span that took less than a microsecond took one.
    duration: Math.max(1, end - timestamp),
    localEndpoint: { serviceName: origin.serviceName },
    ...(remote ? { remoteEndpoint: { serviceName: remote } } : {}),
    tags: tagsOf(doc),
  };
}

/** `dynamodb.query`, `lambda.invoke`, `get /reading-list`, or the document's own name. */
function spanName(doc: SegmentDocument): string {
  const operation = typeof doc.aws?.operation === 'string' ? doc.aws.operation : undefined;
  if (doc.namespace === 'aws' && operation) return `${doc.name}.${operation}`.toLowerCase();
  return doc.name.toLowerCase();
}

/**
 * The service a subsegment calls: the platform's own service for a Lambda function it runs,
 * otherwise the AWS service (`dynamodb`, `ssm`) or the remote host.
 */
function remoteServiceOf(doc: SegmentDocument, origin: SpanOrigin): string | undefined {
  if (doc.namespace === 'aws') {
    const functionName = doc.aws?.function_name;
    if (typeof functionName === 'string') {
      const service = origin.serviceOfFunction?.(lastArnPart(functionName));
      if (service) return service;
    }
    return doc.name.toLowerCase();
  }
  if (doc.namespace === 'remote') return doc.name.toLowerCase();
  return undefined;
}

/** A function named by ARN (`arn:aws:lambda:…:function:name[:qualifier]`) or by name. */
function lastArnPart(functionName: string): string {
  if (!functionName.startsWith('arn:')) return functionName.split(':')[0];
  return functionName.split(':')[6] ?? functionName;
}

function tagsOf(doc: SegmentDocument): Record<string, string> {
  const tags = new Map<string, string>();
  const request = doc.http?.request;
  if (typeof request?.method === 'string') tags.set('http.method', request.method);
  // The path only: a query string may carry a secret.
  if (typeof request?.url === 'string') tags.set('http.path', pathOf(request.url));
  const status = doc.http?.response?.status;
  if (typeof status === 'number') tags.set('http.status_code', String(status));
  for (const key of ['operation', 'region', 'request_id', 'table_name', 'function_name']) {
    const value = doc.aws?.[key];
    if (typeof value === 'string' || typeof value === 'number')
      tags.set(`aws.${key}`, String(value));
  }
  if (doc.origin) tags.set('xray.origin', doc.origin);
  if (doc.fault || doc.error || doc.throttle) {
    const exception = doc.cause?.exceptions?.[0];
    const kind = doc.throttle ? 'throttle' : doc.fault ? 'fault' : 'error';
    tags.set(
      'error',
      exception?.message
        ? `${exception.type ? `${exception.type}: ` : ''}${exception.message}`
        : kind,
    );
    tags.set('xray.cause', kind);
  }
  for (const [key, value] of Object.entries(doc.annotations ?? {})) {
    if (['string', 'number', 'boolean'].includes(typeof value)) tags.set(key, String(value));
  }
  return Object.fromEntries(tags);
}

function pathOf(url: string): string {
  try {
    return new URL(url, 'http://local').pathname;
  } catch {
    return url.split('?')[0];
  }
}
