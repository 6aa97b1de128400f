import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { daemonDatagram } from '../../../../localstack/platform/tracing/daemon-protocol';
import { LocalTracing } from '../../../../localstack/platform/tracing/local-tracing';
import { parseTraceHeader } from '../../../../localstack/platform/tracing/trace-header';
import type { ZipkinSpan } from '../../../../localstack/platform/tracing/zipkin-span';

const readingList = {
  functionName: 'demo-reading-list-fn',
  arn: 'arn:aws:lambda:us-east-1:123456789012:function:demo-reading-list-fn',
  serviceName: 'reading-list',
};

/** A sink whose next report can be awaited (an event, not a sleep). */
function sink() {
  const spans: ZipkinSpan[] = [];
  let waiter: (() => void) | undefined;
  return {
    spans,
    report(batch: readonly ZipkinSpan[]) {
      spans.push(...batch);
      waiter?.();
    },
    next: () => new Promise<void>((resolve) => (waiter = resolve)),
  };
}

let tracing: LocalTracing | undefined;
afterEach(async () => {
  await tracing?.close();
});

describe('LocalTracing', () => {
  it('gives each function a daemon on 127.0.0.1 and turns the Tracer on', async () => {
    tracing = new LocalTracing(sink());
    const env = await tracing.environmentFor(readingList);
    expect(env.AWS_XRAY_DAEMON_ADDRESS).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(env).toMatchObject({ POWERTOOLS_TRACE_ENABLED: 'true' });
    expect(env.AWS_EXECUTION_ENV).toMatch(/^AWS_Lambda_nodejs/);
  });

  it("receives a function's subsegments over UDP as spans of that function's service", async () => {
    const collected = sink();
    tracing = new LocalTracing(collected);
    const env = await tracing.environmentFor(readingList);
    const [host, port] = env.AWS_XRAY_DAEMON_ADDRESS.split(':');
    const arrived = collected.next();
    const socket = createSocket('udp4');
    socket.send(
      daemonDatagram({
        name: 'DynamoDB',
        id: '70de5b6f19ff9a0b',
        trace_id: '1-5759e988-bd862e3fe1be46a994272793',
        parent_id: '53995c3f42cd8ad8',
        type: 'subsegment',
        start_time: 1700000000,
        end_time: 1700000001,
        namespace: 'aws',
      }),
      Number(port),
      host,
      () => socket.close(),
    );
    await arrived;
    expect(collected.spans).toHaveLength(1);
    expect(collected.spans[0]).toMatchObject({
      id: '70de5b6f19ff9a0b',
      localEndpoint: { serviceName: 'reading-list' },
      remoteEndpoint: { serviceName: 'dynamodb' },
    });
    expect(tracing.received).toBe(1);
  });

  it('continues the caller’s trace for an invocation and records the function segment under it', () => {
    const collected = sink();
    tracing = new LocalTracing(collected, { now: () => 1_700_000_000_000 });
    const invocation = tracing.beginInvocation(
      readingList,
      'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
    );
    const handed = parseTraceHeader(invocation.traceHeader)!;
    expect(handed.traceId).toBe('1-5759e988-bd862e3fe1be46a994272793');
    expect(handed.parentId).not.toBe('53995c3f42cd8ad8');
    invocation.end({ failed: true, requestId: 'req-1' });
    expect(collected.spans).toEqual([
      expect.objectContaining({
        id: handed.parentId,
        parentId: '53995c3f42cd8ad8',
        kind: 'SERVER',
        localEndpoint: { serviceName: 'reading-list' },
        tags: expect.objectContaining({ 'aws.request_id': 'req-1', error: 'fault' }),
      }),
    ]);
  });

  it('starts a new trace for a request without a (valid) trace header, and records the gateway segment', () => {
    const collected = sink();
    tracing = new LocalTracing(collected);
    const request = tracing.beginRequest('api/dev', {
      method: 'GET',
      path: '/reading-list',
      traceHeader: 'Root=garbage',
    });
    expect(request.traceId).toMatch(/^1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    request.end(404);
    expect(collected.spans[0]).toMatchObject({
      kind: 'SERVER',
      localEndpoint: { serviceName: 'api-gateway' },
      tags: { 'http.status_code': '404', 'http.method': 'GET', error: 'error' },
    });
    expect(collected.spans[0].parentId).toBeUndefined();
  });

  it('records nothing for a caller that asked not to sample (Sampled=0)', () => {
    const collected = sink();
    tracing = new LocalTracing(collected);
    const invocation = tracing.beginInvocation(
      readingList,
      'Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=0',
    );
    expect(invocation.traceHeader).toContain('Sampled=0');
    invocation.end({ failed: false, requestId: 'r' });
    expect(collected.spans).toEqual([]);
  });

  it('counts a datagram that is not an X-Ray document and keeps serving', async () => {
    const collected = sink();
    tracing = new LocalTracing(collected);
    const env = await tracing.environmentFor(readingList);
    const [host, port] = env.AWS_XRAY_DAEMON_ADDRESS.split(':');
    const socket = createSocket('udp4');
    const send = (data: Buffer | string) =>
      new Promise<void>((resolve) => socket.send(data, Number(port), host, () => resolve()));
    await send('not a segment');
    const arrived = collected.next();
    await send(
      daemonDatagram({
        name: 'x',
        id: '70de5b6f19ff9a0b',
        trace_id: '1-5759e988-bd862e3fe1be46a994272793',
        start_time: 1,
        end_time: 2,
      }),
    );
    await arrived;
    socket.close();
    // UDP from one socket to one loopback port keeps its order: the bad one came first.
    expect(tracing.rejected).toBe(1);
    expect(collected.spans).toHaveLength(1);
  });
});
