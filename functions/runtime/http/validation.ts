import { parse } from '@aws-lambda-powertools/parser';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { z } from 'zod';
import { badRequest, ProblemError } from './problem';

interface StandardIssue {
  readonly message: string;
  readonly path?: readonly (PropertyKey | { readonly key: PropertyKey })[];
}

/** The largest request body a service accepts, decoded. */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * Validates input with Powertools Parser; a failure becomes a 400 problem listing where the input
 * is wrong and why, never echoing the offending values back.
 */
export function parseInput<T extends z.ZodType>(
  schema: T,
  data: unknown,
  what: string,
): z.infer<T> {
  const result = parse(data, undefined, schema, true);
  if (result.success) return result.data as z.infer<T>;
  // Parser reports Standard Schema issues as the error's cause.
  const cause = result.error.cause as StandardIssue[] | { issues?: StandardIssue[] } | undefined;
  const issues = (Array.isArray(cause) ? cause : cause?.issues) ?? [];
  throw badRequest(`Invalid ${what}.`, {
    errors: issues.slice(0, 20).map((issue) => ({
      pointer: `/${(issue.path ?? []).map((part) => String(typeof part === 'object' ? part.key : part)).join('/')}`,
      detail: issue.message,
    })),
  });
}

/** Decodes, size-checks and parses a JSON request body, then validates it against `schema`. */
export function parseJsonBody<T extends z.ZodType>(
  event: APIGatewayProxyEvent,
  schema: T,
): z.infer<T> {
  const contentType = Object.entries(event.headers ?? {}).find(
    ([name]) => name.toLowerCase() === 'content-type',
  )?.[1];
  if (!contentType || !/^application\/(?:[a-z0-9.+-]+\+)?json\s*(?:;|$)/i.test(contentType)) {
    throw new ProblemError({
      title: 'Unsupported Media Type',
      status: 415,
      detail: 'Send the body as application/json.',
    });
  }
  const raw = event.body ?? '';
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) {
    throw new ProblemError({
      title: 'Content Too Large',
      status: 413,
      detail: `The body may not exceed ${MAX_BODY_BYTES} bytes.`,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw badRequest('The body is not valid JSON.');
  }
  return parseInput(schema, json, 'request body');
}
