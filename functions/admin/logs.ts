import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import * as z from 'zod';
import { ADMIN_ENV } from '../runtime/contract/admin-routes';
import { jsonResponse } from '../runtime/http/json';
import { ProblemError } from '../runtime/http/problem';
import { parseInput } from '../runtime/http/validation';
import {
  createOpenSearchClient,
  LOG_LEVELS,
  searchLogs,
  topErrors,
  type LogQuery,
  type OpenSearchClient,
} from '../runtime/observability';

/** What the log and error views search, from the construct's settings. */
export interface LogStore {
  readonly client: OpenSearchClient;
  readonly indexPattern: string;
}

/** The log store the environment names, or undefined when the platform has none. */
export function logStoreFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): LogStore | undefined {
  const endpoint = env[ADMIN_ENV.logSearchEndpoint]?.trim();
  if (!endpoint) return undefined;
  return {
    client: createOpenSearchClient({
      endpoint,
      region: env.AWS_REGION ?? 'us-east-1',
      // An operator waits on the page: answer within the gateway's limit.
      timeoutMs: 8000,
    }),
    indexPattern:
      env[ADMIN_ENV.logSearchIndexPattern]?.trim() ||
      `logs-${env.PLATFORM_NAME?.trim() || 'platform'}-*`,
  };
}

const MAX_RANGE_MS = 31 * 86_400_000;
const isoTime = z.iso.datetime({ offset: true, message: 'an ISO 8601 date-time' });

const LogSearchQuery = z
  .strictObject({
    correlationId: z
      .string()
      .regex(/^[A-Za-z0-9._:@-]{1,128}$/, 'a correlation ID (up to 128 of A-Z a-z 0-9 . _ : @ -)')
      .optional(),
    service: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,63}$/, 'a service name')
      .optional(),
    level: z.enum(LOG_LEVELS).optional(),
    from: isoTime.optional(),
    to: isoTime.optional(),
    q: z.string().min(1).max(200, 'at most 200 characters').optional(),
    size: z
      .string()
      .regex(/^\d{1,3}$/, 'a whole number from 1 to 500')
      .transform(Number)
      .refine((size) => size >= 1 && size <= 500, 'a whole number from 1 to 500')
      .optional(),
  })
  .refine((query) => !query.from || !query.to || Date.parse(query.from) < Date.parse(query.to), {
    message: 'from must be before to',
    path: ['from'],
  })
  .refine(
    (query) =>
      !query.from || !query.to || Date.parse(query.to) - Date.parse(query.from) <= MAX_RANGE_MS,
    { message: 'at most 31 days between from and to', path: ['to'] },
  );

const TopErrorsQuery = z.strictObject({
  service: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,63}$/, 'a service name')
    .optional(),
  from: isoTime.optional(),
});

function noLogStore(): ProblemError {
  return new ProblemError({
    title: 'Service Unavailable',
    status: 503,
    detail: 'This platform has no central log store configured.',
  });
}

/** The store refused or did not answer: the operator learns that, not its details. */
async function fromStore<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch {
    throw new ProblemError({
      title: 'Bad Gateway',
      status: 502,
      detail: 'The central log store did not answer the search.',
    });
  }
}

function queryOf(event: APIGatewayProxyEvent): Record<string, string> {
  // A map without a prototype: `__proto__` in the query string is a (refused) key like any other.
  return Object.assign(Object.create(null) as Record<string, string>, event.queryStringParameters);
}

/** `GET /admin/logs`: the newest matching lines (oldest first), each with its trace ID. */
export async function logLines(
  store: LogStore | undefined,
  event: APIGatewayProxyEvent,
): Promise<APIGatewayProxyResult> {
  const input = parseInput(LogSearchQuery, queryOf(event), 'query');
  if (!store) throw noLogStore();
  const query: LogQuery = {
    correlationId: input.correlationId,
    service: input.service,
    levels: input.level ? [input.level] : undefined,
    since: input.from ? Date.parse(input.from) : undefined,
    until: input.to ? Date.parse(input.to) : undefined,
    text: input.q,
    size: input.size ?? 200,
  };
  const hits = await fromStore(() => searchLogs(store.client, store.indexPattern, query));
  return jsonResponse(200, {
    lines: hits.map((hit) => ({
      timestamp: hit.timestamp,
      level: hit.level,
      service: hit.service,
      correlationId: hit.correlationId,
      traceId: hit.traceId,
      message: hit.message,
      ...(hit.error ? { error: { name: hit.error.name, message: hit.error.message } } : {}),
    })),
  });
}

/** `GET /admin/errors`: the most frequent errors by fingerprint, with count and last seen. */
export async function errorGroups(
  store: LogStore | undefined,
  event: APIGatewayProxyEvent,
): Promise<APIGatewayProxyResult> {
  const input = parseInput(TopErrorsQuery, queryOf(event), 'query');
  if (!store) throw noLogStore();
  const errors = await fromStore(() =>
    topErrors(store.client, store.indexPattern, {
      service: input.service,
      since: input.from ? Date.parse(input.from) : undefined,
    }),
  );
  return jsonResponse(200, { errors });
}
