import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  errorGroups,
  logLines,
  logStoreFromEnv,
  type LogStore,
} from '../../../functions/admin/logs';
import { ProblemError } from '../../../functions/runtime/http/problem';
import { gatewayEvent } from '../../support/events';

/** What the log store was asked, and what it answers next (set per test). */
let asked: { method?: string; url?: string; body?: Record<string, unknown> }[] = [];
let answer: { status: number; body: unknown } = { status: 200, body: {} };
let server: Server;
let store: LogStore;

beforeAll(async () => {
  server = createServer((request: IncomingMessage, response) => {
    let text = '';
    request.on('data', (chunk: Buffer) => (text += chunk.toString()));
    request.on('end', () => {
      asked.push({
        method: request.method,
        url: request.url,
        body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined,
      });
      response.writeHead(answer.status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  store = logStoreFromEnv({
    LOG_SEARCH_ENDPOINT: `http://127.0.0.1:${port}`,
    PLATFORM_NAME: 'shop',
  })!;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  asked = [];
  answer = { status: 200, body: { hits: { hits: [] } } };
});

function get(query: Record<string, string> | null): APIGatewayProxyEvent {
  return { ...gatewayEvent({ resource: '/admin/logs' }), queryStringParameters: query };
}

async function problemOf(work: Promise<unknown>): Promise<{ status: number; detail?: string }> {
  const error = await work.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(ProblemError);
  return (error as ProblemError).problem;
}

describe('GET /admin/logs', () => {
  it('searches the platform’s indices by correlation ID, service, level, time and text', async () => {
    answer = {
      status: 200,
      body: {
        hits: {
          hits: [
            {
              _source: {
                '@timestamp': '2026-12-02T10:00:02.000Z',
                level: 'ERROR',
                service: 'reading-list',
                correlation_id: 'c-1',
                xray_trace_id: 'Root=1-abc-def;Parent=1;Sampled=1',
                message: 'Request failed',
                error: { name: 'TypeError', message: 'x', stack: 'at secret (/var/task)' },
              },
            },
            {
              _source: {
                '@timestamp': '2026-12-02T10:00:01.000Z',
                level: 'INFO',
                service: 'reading-list',
                correlation_id: 'c-1',
                message: '<img src=x onerror=alert(1)>',
              },
            },
          ],
        },
      },
    };
    const response = await logLines(
      store,
      get({
        correlationId: 'c-1',
        service: 'reading-list',
        level: 'ERROR',
        from: '2026-12-02T09:00:00Z',
        to: '2026-12-02T11:00:00.000+00:00',
        q: 'failed',
      }),
    );
    expect(response.statusCode).toBe(200);
    expect(asked).toHaveLength(1);
    expect(asked[0].method).toBe('POST');
    expect(asked[0].url).toBe('/logs-shop-*/_search?ignore_unavailable=true&allow_no_indices=true');
    expect(asked[0].body?.query).toEqual({
      bool: {
        filter: [
          { term: { correlation_id: 'c-1' } },
          { term: { service: 'reading-list' } },
          { terms: { level: ['ERROR'] } },
          {
            range: {
              '@timestamp': {
                format: 'epoch_millis',
                gte: Date.parse('2026-12-02T09:00:00Z'),
                lt: Date.parse('2026-12-02T11:00:00Z'),
              },
            },
          },
          {
            simple_query_string: {
              query: 'failed',
              fields: ['message', 'error.message'],
              default_operator: 'and',
            },
          },
        ],
      },
    });
    const { lines } = JSON.parse(response.body) as { lines: Record<string, unknown>[] };
    // Oldest first; markup comes back as data; the stack stays in the store.
    expect(lines).toEqual([
      {
        timestamp: '2026-12-02T10:00:01.000Z',
        level: 'INFO',
        service: 'reading-list',
        correlationId: 'c-1',
        message: '<img src=x onerror=alert(1)>',
      },
      {
        timestamp: '2026-12-02T10:00:02.000Z',
        level: 'ERROR',
        service: 'reading-list',
        correlationId: 'c-1',
        traceId: 'Root=1-abc-def;Parent=1;Sampled=1',
        message: 'Request failed',
        error: { name: 'TypeError', message: 'x' },
      },
    ]);
  });

  it('asks for the newest 200 lines with no filter when the query is empty', async () => {
    await logLines(store, get(null));
    expect(asked[0].body).toMatchObject({ size: 200, query: { bool: { filter: [] } } });
  });

  it.each([
    [{ level: 'LOUD' }, '/level'],
    [{ level: 'error' }, '/level'],
    [{ from: 'yesterday' }, '/from'],
    [{ to: '2026-13-45T00:00:00Z' }, '/to'],
    [{ from: '2026-12-02T10:00:00Z', to: '2026-12-02T09:00:00Z' }, '/from'],
    [{ from: '2026-10-01T00:00:00Z', to: '2026-12-02T00:00:00Z' }, '/to'],
    [{ q: 'x'.repeat(201) }, '/q'],
    [{ correlationId: 'a b' }, '/correlationId'],
    [{ correlationId: 'c'.repeat(129) }, '/correlationId'],
    [{ service: 'Reading_List' }, '/service'],
    [{ size: '0' }, '/size'],
    [{ size: '501' }, '/size'],
    [{ sort: 'asc' }, '/'],
    [JSON.parse('{"__proto__":"x"}') as Record<string, string>, '/'],
  ])(
    'refuses %j with a 400 problem naming %s, without asking the store',
    async (query, pointer) => {
      const parameters = Object.create(null) as Record<string, string>;
      for (const [name, value] of Object.entries(query)) parameters[name] = String(value);
      const error = await logLines(store, get(parameters)).catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(ProblemError);
      const problem = (error as ProblemError).problem as unknown as {
        status: number;
        errors: { pointer: string }[];
      };
      expect(problem.status).toBe(400);
      expect(problem.errors.map((entry) => entry.pointer)).toContain(pointer);
      expect(asked).toHaveLength(0);
    },
  );

  it('answers 503 when the platform has no log store, after validating the input', async () => {
    expect(logStoreFromEnv({ PLATFORM_NAME: 'shop' })).toBeUndefined();
    expect((await problemOf(logLines(undefined, get({ correlationId: 'c-1' })))).status).toBe(503);
    expect((await problemOf(logLines(undefined, get({ level: 'LOUD' })))).status).toBe(400);
  });

  it('answers 502 without the store’s words when the store fails', async () => {
    answer = { status: 500, body: { error: 'secret internals' } };
    const problem = await problemOf(logLines(store, get({})));
    expect(problem.status).toBe(502);
    expect(JSON.stringify(problem)).not.toContain('secret');
  });
});

describe('GET /admin/errors', () => {
  it('answers the top fingerprints with count, last seen and services', async () => {
    answer = {
      status: 200,
      body: {
        aggregations: {
          errors: {
            buckets: [
              {
                key: 'f1',
                doc_count: 3,
                last_seen: { value: Date.parse('2026-12-02T10:05:00Z') },
                services: { buckets: [{ key: 'reading-list' }] },
                latest: {
                  hits: { hits: [{ _source: { error: { name: 'TypeError', message: 'no id' } } }] },
                },
              },
            ],
          },
        },
      },
    };
    const response = await errorGroups(store, {
      ...gatewayEvent({ resource: '/admin/errors' }),
      queryStringParameters: { service: 'reading-list' },
    });
    expect(JSON.parse(response.body)).toEqual({
      errors: [
        {
          fingerprint: 'f1',
          count: 3,
          lastSeen: '2026-12-02T10:05:00.000Z',
          services: ['reading-list'],
          name: 'TypeError',
          message: 'no id',
        },
      ],
    });
    expect(asked[0].body?.query).toEqual({
      bool: {
        filter: [{ term: { service: 'reading-list' } }, { exists: { field: 'error.fingerprint' } }],
      },
    });
  });

  it('refuses an unknown parameter, and answers 503 without a store', async () => {
    const event = {
      ...gatewayEvent({ resource: '/admin/errors' }),
      queryStringParameters: { size: '5' },
    };
    expect((await problemOf(errorGroups(store, event))).status).toBe(400);
    expect(
      (await problemOf(errorGroups(undefined, gatewayEvent({ resource: '/admin/errors' })))).status,
    ).toBe(503);
  });
});
