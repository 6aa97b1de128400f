import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  requestToken,
  startPlatformProcess,
  type PlatformProcess,
} from './platform-process';

interface Span {
  readonly traceId: string;
  readonly id: string;
  readonly parentId?: string;
  readonly kind?: string;
  readonly localEndpoint?: { serviceName?: string };
  readonly remoteEndpoint?: { serviceName?: string };
  readonly tags?: Record<string, string>;
}

let platform: PlatformProcess;
let zipkinUrl: string;

beforeAll(async () => {
  platform = await startPlatformProcess({}, mkdtempSync(path.join(tmpdir(), 'msa-e2e-tracing-')));
  const document = JSON.parse(
    readFileSync(path.join(platform.stateDir, 'platform.json'), 'utf8'),
  ) as { zipkinUrl?: string };
  if (!document.zipkinUrl) throw new Error(`platform.json has no zipkinUrl:\n${platform.output()}`);
  zipkinUrl = document.zipkinUrl;
});

afterAll(async () => {
  await platform?.stop();
});

async function zipkin<T>(pathAndQuery: string): Promise<T> {
  const response = await fetch(`${zipkinUrl}${pathAndQuery}`);
  if (!response.ok) throw new Error(`Zipkin answered ${response.status} to ${pathAndQuery}`);
  return (await response.json()) as T;
}

describe('tracing with npm start (functions → X-Ray daemon stand-in → Zipkin)', () => {
  it('serves Zipkin on the loopback interface only', () => {
    expect(zipkinUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('holds one trace of a reading-list request with spans of both services and their dependency, within 15 s', async () => {
    const token = await requestToken(platform, 'demo-full');
    const correlationId = `trace-e2e-${randomUUID()}`;
    const response = await fetch(`${platform.baseUrl}/reading-list?userId=trace-reader`, {
      headers: { authorization: `Bearer ${token}`, 'x-correlation-id': correlationId },
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { recommendations: unknown[] | null };
    // Recommendations came from the other service, not the fallback.
    expect(Array.isArray(body.recommendations)).toBe(true);
    const root = /^Root=(1-[0-9a-f]{8}-[0-9a-f]{24})$/.exec(
      response.headers.get('x-amzn-trace-id') ?? '',
    )?.[1];
    expect(root).toBeDefined();
    const traceId = root!.slice(2).replace('-', '');

    // The correlation ID is an annotation on each service's handler span: search by it.
    const query = new URLSearchParams({
      annotationQuery: `correlationId=${correlationId}`,
      lookback: String(15 * 60_000),
      limit: '10',
    });
    const { last: traces } = await eventually(
      () => zipkin<Span[][]>(`/api/v2/traces?${query}`),
      (found) => {
        const services = new Set(found.flat().map((span) => span.localEndpoint?.serviceName));
        return services.has('reading-list') && services.has('recommendations');
      },
      15_000,
    );
    expect(traces).toHaveLength(1);
    const spans = traces[0];
    expect(new Set(spans.map((span) => span.traceId))).toEqual(new Set([traceId]));
    const byId = new Map(spans.map((span) => [span.id, span]));

    // reading-list's direct invocation is a CLIENT span to recommendations, and recommendations'
    // function segment hangs under it: one trace across the service-to-service call.
    const invoke = spans.find(
      (span) =>
        span.kind === 'CLIENT' &&
        span.localEndpoint?.serviceName === 'reading-list' &&
        span.remoteEndpoint?.serviceName === 'recommendations',
    );
    expect(invoke).toBeDefined();
    const callee = spans.find((span) => span.parentId === invoke!.id && span.kind === 'SERVER');
    expect(callee?.localEndpoint?.serviceName).toBe('recommendations');
    // The gateway started the trace: its span is the root.
    const roots = spans.filter((span) => !span.parentId || !byId.has(span.parentId));
    expect(roots.map((span) => span.localEndpoint?.serviceName)).toEqual(['api-gateway']);

    const { last: links } = await eventually(
      () =>
        zipkin<{ parent: string; child: string }[]>(
          `/api/v2/dependencies?endTs=${Date.now()}&lookback=${15 * 60_000}`,
        ),
      (found) =>
        found.some((link) => link.parent === 'reading-list' && link.child === 'recommendations'),
      15_000,
    );
    expect(links).toContainEqual(
      expect.objectContaining({ parent: 'api-gateway', child: 'reading-list' }),
    );
  });

  it('puts the trace ID and the correlation ID in the log lines of both services', async () => {
    const token = await requestToken(platform, 'demo-full');
    const correlationId = `trace-logs-${randomUUID()}`;
    const response = await fetch(`${platform.baseUrl}/reading-list?userId=trace-reader`, {
      headers: { authorization: `Bearer ${token}`, 'x-correlation-id': correlationId },
    });
    expect(response.status).toBe(200);
    const root = response.headers.get('x-amzn-trace-id')?.replace('Root=', '');
    for (const label of ['reading-list', 'recommendations']) {
      const fn = platform.document.functions.find((candidate) => candidate.label === label)!;
      const lines = readFileSync(fn.logFile, 'utf8')
        .split('\n')
        .filter((line) => line.includes(correlationId))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) {
        expect(line).toMatchObject({ correlation_id: correlationId, xray_trace_id: root });
      }
    }
  });
});
