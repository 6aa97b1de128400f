import { describe, expect, it } from 'vitest';
import type { SegmentDocument } from '../../../../localstack/platform/tracing/segment-document';
import { segmentToSpans } from '../../../../localstack/platform/tracing/zipkin-span';

const TRACE = '1-5759e988-bd862e3fe1be46a994272793';
const ZIPKIN_TRACE = '5759e988bd862e3fe1be46a994272793';
const origin = {
  serviceName: 'reading-list',
  serviceOfFunction: (name: string) =>
    name === 'demo-recommendations-fn' ? 'recommendations' : undefined,
};

/** A streamed subsegment of the reading-list function, with an AWS call nested in it. */
const handler: SegmentDocument = {
  name: '## index.handler',
  id: '1111111111111111',
  trace_id: TRACE,
  parent_id: 'ffffffffffffffff',
  type: 'subsegment',
  start_time: 1700000000.5,
  end_time: 1700000000.75,
  annotations: { correlationId: 'corr-1', ColdStart: false },
  subsegments: [
    {
      name: 'Lambda',
      id: '2222222222222222',
      start_time: 1700000000.6,
      end_time: 1700000000.7,
      namespace: 'aws',
      aws: {
        operation: 'Invoke',
        region: 'us-east-1',
        function_name: 'arn:aws:lambda:us-east-1:123456789012:function:demo-recommendations-fn',
      },
      http: { response: { status: 200 } },
    },
    {
      name: 'DynamoDB',
      id: '3333333333333333',
      start_time: 1700000000.55,
      end_time: 1700000000.56,
      namespace: 'aws',
      aws: { operation: 'Query', table_name: 'books' },
      fault: true,
      cause: { exceptions: [{ type: 'InternalServerError', message: 'boom' }] },
      http: { response: { status: 500 } },
    },
  ],
};

describe('segmentToSpans', () => {
  const spans = segmentToSpans(handler, origin);
  const byId = new Map(spans.map((span) => [span.id, span]));

  it('turns a document and the subsegments nested in it into one span each, on Zipkin’s trace ID', () => {
    expect(spans.map((span) => span.id)).toEqual([
      '1111111111111111',
      '2222222222222222',
      '3333333333333333',
    ]);
    expect(new Set(spans.map((span) => span.traceId))).toEqual(new Set([ZIPKIN_TRACE]));
  });

  it('keeps the parent chain: the streamed document under its parent_id, nested ones under it', () => {
    expect(byId.get('1111111111111111')?.parentId).toBe('ffffffffffffffff');
    expect(byId.get('2222222222222222')?.parentId).toBe('1111111111111111');
  });

  it('gives times in microseconds and a duration of at least one', () => {
    const span = byId.get('1111111111111111')!;
    expect(span.timestamp).toBe(1700000000500000);
    expect(span.duration).toBe(250000);
    const instant = segmentToSpans(
      { ...handler, end_time: handler.start_time, subsegments: [] },
      origin,
    );
    expect(instant[0].duration).toBe(1);
  });

  it('makes a Lambda invoke of a function the platform runs a CLIENT span to that service', () => {
    const span = byId.get('2222222222222222')!;
    expect(span).toMatchObject({
      kind: 'CLIENT',
      name: 'lambda.invoke',
      localEndpoint: { serviceName: 'reading-list' },
      remoteEndpoint: { serviceName: 'recommendations' },
    });
    expect(span.tags['http.status_code']).toBe('200');
  });

  it('names the AWS service as the remote end of other SDK calls, and tags a fault as an error', () => {
    const span = byId.get('3333333333333333')!;
    expect(span.remoteEndpoint).toEqual({ serviceName: 'dynamodb' });
    expect(span.tags).toMatchObject({
      error: 'InternalServerError: boom',
      'http.status_code': '500',
      'aws.table_name': 'books',
    });
  });

  it('carries annotations as tags (the correlation ID becomes searchable)', () => {
    expect(byId.get('1111111111111111')?.tags).toMatchObject({
      correlationId: 'corr-1',
      ColdStart: 'false',
    });
    expect(byId.get('1111111111111111')?.kind).toBeUndefined();
  });

  it('makes a Lambda function segment a SERVER span of its service', () => {
    const [span] = segmentToSpans(
      {
        name: 'demo-recommendations-fn',
        id: '4444444444444444',
        trace_id: TRACE,
        parent_id: '2222222222222222',
        start_time: 1700000000.61,
        end_time: 1700000000.69,
        origin: 'AWS::Lambda::Function',
      },
      { serviceName: 'recommendations' },
    );
    expect(span).toMatchObject({
      kind: 'SERVER',
      parentId: '2222222222222222',
      localEndpoint: { serviceName: 'recommendations' },
      tags: { 'xray.origin': 'AWS::Lambda::Function' },
    });
    expect(span.remoteEndpoint).toBeUndefined();
  });

  it('keeps the path of an HTTP request and never its query', () => {
    const [span] = segmentToSpans(
      {
        name: '127.0.0.1',
        id: '5555555555555555',
        trace_id: TRACE,
        start_time: 1,
        end_time: 2,
        namespace: 'remote',
        http: { request: { method: 'GET', url: 'http://127.0.0.1/jwks?token=secret' } },
      },
      origin,
    );
    expect(span.tags['http.path']).toBe('/jwks');
    expect(JSON.stringify(span)).not.toContain('secret');
    expect(span).toMatchObject({ kind: 'CLIENT', remoteEndpoint: { serviceName: '127.0.0.1' } });
  });

  it('skips documents still in progress and documents without a valid trace ID', () => {
    expect(segmentToSpans({ ...handler, in_progress: true, end_time: undefined }, origin)).toEqual(
      [],
    );
    expect(segmentToSpans({ ...handler, trace_id: 'bad' }, origin)).toEqual([]);
  });
});
