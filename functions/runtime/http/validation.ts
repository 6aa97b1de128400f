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

/** How deeply a JSON body may nest (objects and arrays); deeper is refused before parsing. */
export const MAX_JSON_DEPTH = 32;

/**
 * Whether a number can be stored as it is: DynamoDB holds magnitudes from 1E-130 to below
 * 1E126 (or 0) with 38 digits, and the SDK's document client refuses a JavaScript number past
 * the safe integers rather than lose digits. Anything else fails at the write as a 500.
 */
export function isStorableNumber(value: number): boolean {
  if (!Number.isFinite(value)) return false;
  const magnitude = Math.abs(value);
  return magnitude === 0 || (magnitude >= 1e-130 && magnitude <= Number.MAX_SAFE_INTEGER);
}

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
  if (jsonDepth(text) > MAX_JSON_DEPTH) {
    throw badRequest(`The body nests deeper than ${MAX_JSON_DEPTH} levels.`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text, withoutPrototype);
  } catch {
    throw badRequest('The body is not valid JSON.');
  }
  const unstorable = unstorableNumbers(json);
  if (unstorable.length > 0) {
    throw badRequest('The body holds numbers out of the range a service can store.', {
      errors: unstorable.slice(0, 20).map((pointer) => ({
        pointer,
        detail: `a number 0 or of magnitude 1e-130 to ${Number.MAX_SAFE_INTEGER}`,
      })),
    });
  }
  return parseInput(schema, json, 'request body');
}

/**
 * Every object of the body gets no prototype: `__proto__` or `constructor` are member names a
 * client may send, and must stay plain data for whatever reads the parsed value.
 */
function withoutPrototype(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.assign(Object.create(null) as object, value);
}

/** The deepest nesting of `[` and `{` outside strings, read without building anything. */
export function jsonDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const char = text.charCodeAt(index);
    if (inString) {
      if (char === 0x5c)
        index++; // backslash: skip the escaped character
      else if (char === 0x22) inString = false;
    } else if (char === 0x22) inString = true;
    else if (char === 0x5b || char === 0x7b) deepest = Math.max(deepest, ++depth);
    else if (char === 0x5d || char === 0x7d) depth--;
  }
  return deepest;
}

/** JSON Pointers (RFC 6901) to every number of `value` that `isStorableNumber` refuses. */
function unstorableNumbers(value: unknown, pointer = ''): string[] {
  if (typeof value === 'number') return isStorableNumber(value) ? [] : [pointer || '/'];
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, member]) =>
    unstorableNumbers(member, `${pointer}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`),
  );
}
