import type { APIGatewayProxyEvent } from 'aws-lambda';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { ProblemError } from '../../../../functions/runtime/http/problem';
import {
  isStorableNumber,
  jsonDepth,
  MAX_BODY_BYTES,
  MAX_JSON_DEPTH,
  parseInput,
  parseJsonBody,
} from '../../../../functions/runtime/http/validation';

const Book = z.object({
  userId: z.string().regex(/^[a-z0-9]{1,16}$/),
  book: z.object({ title: z.string().min(1), pages: z.number().int().positive() }),
  tags: z.array(z.string().max(5)).default([]),
});

function caught(fn: () => unknown): ProblemError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ProblemError);
    return error as ProblemError;
  }
  throw new Error('expected a ProblemError, nothing was thrown');
}

function event(
  body: string | null,
  headers: Record<string, string> = { 'content-type': 'application/json' },
  isBase64Encoded = false,
) {
  return { body, headers, isBase64Encoded } as unknown as APIGatewayProxyEvent;
}

describe('parseInput', () => {
  it('returns the parsed data, defaults applied', () => {
    expect(parseInput(Book, { userId: 'u1', book: { title: 'T', pages: 3 } }, 'book')).toEqual({
      userId: 'u1',
      book: { title: 'T', pages: 3 },
      tags: [],
    });
  });

  it('throws a 400 problem with a JSON pointer and reason per wrong field', () => {
    const problem = caught(() =>
      parseInput(
        Book,
        { userId: 'NOT VALID', book: { title: '', pages: -2 }, tags: ['ok', 'toolong'] },
        'book',
      ),
    ).problem;
    expect(problem).toMatchObject({ title: 'Bad Request', status: 400, detail: 'Invalid book.' });
    const errors = problem.errors as { pointer: string; detail: string }[];
    expect(errors.map((error) => error.pointer).sort()).toEqual([
      '/book/pages',
      '/book/title',
      '/tags/1',
      '/userId',
    ]);
    for (const error of errors) expect(typeof error.detail).toBe('string');
  });

  it('points at the root when the input is not an object at all', () => {
    const problem = caught(() => parseInput(Book, 'a string', 'book')).problem;
    expect((problem.errors as { pointer: string }[])[0].pointer).toBe('/');
  });

  it('never echoes the offending input values', () => {
    const secret = 'SECRET-VALUE-d41d8cd98f';
    const problem = caught(() =>
      parseInput(
        Book,
        { userId: secret, book: { title: secret, pages: secret }, tags: [secret] },
        'book',
      ),
    ).problem;
    expect(JSON.stringify(problem)).not.toContain(secret);
    expect(JSON.stringify(problem)).not.toContain('d41d8cd98f');
  });

  it('lists at most 20 errors', () => {
    const Many = z.array(z.number()).max(1000);
    const problem = caught(() =>
      parseInput(
        Many,
        Array.from({ length: 50 }, () => 'x'),
        'list',
      ),
    ).problem;
    expect(problem.errors).toHaveLength(20);
  });
});

describe('parseJsonBody', () => {
  const good = JSON.stringify({ userId: 'u1', book: { title: 'T', pages: 1 } });

  it('parses a JSON body', () => {
    expect(parseJsonBody(event(good), Book).userId).toBe('u1');
  });

  it.each([
    ['application/json; charset=utf-8'],
    ['Application/JSON'],
    ['application/merge-patch+json'],
  ])('accepts the content type %j', (contentType) => {
    expect(parseJsonBody(event(good, { 'content-type': contentType }), Book).userId).toBe('u1');
  });

  it('finds the Content-Type header whatever its case', () => {
    expect(parseJsonBody(event(good, { 'Content-Type': 'application/json' }), Book).userId).toBe(
      'u1',
    );
  });

  it.each([
    ['text/plain', { 'content-type': 'text/plain' }],
    ['application/x-www-form-urlencoded', { 'content-type': 'application/x-www-form-urlencoded' }],
    ['application/jsonp', { 'content-type': 'application/jsonp' }],
    ['a missing header', {}],
  ])('answers 415 for %s', (_what, headers) => {
    const problem = caught(() =>
      parseJsonBody(event(good, headers as Record<string, string>), Book),
    ).problem;
    expect(problem).toMatchObject({ status: 415, title: 'Unsupported Media Type' });
  });

  it('answers 415 when the event has no headers at all', () => {
    const noHeaders = {
      body: good,
      headers: null,
      isBase64Encoded: false,
    } as unknown as APIGatewayProxyEvent;
    expect(caught(() => parseJsonBody(noHeaders, Book)).problem.status).toBe(415);
  });

  it('answers 413 for a body over MAX_BODY_BYTES, counted in bytes', () => {
    expect(MAX_BODY_BYTES).toBe(64 * 1024);
    // Multi-byte characters: fewer characters than MAX_BODY_BYTES, more bytes.
    const big = JSON.stringify({ userId: 'u1', filler: 'é'.repeat(MAX_BODY_BYTES / 2 + 10) });
    expect(big.length).toBeLessThan(MAX_BODY_BYTES);
    const problem = caught(() => parseJsonBody(event(big), Book)).problem;
    expect(problem).toMatchObject({ status: 413, title: 'Content Too Large' });
  });

  it('accepts a body of exactly MAX_BODY_BYTES', () => {
    const prefix = '{"userId":"u1","book":{"title":"T","pages":1},"pad":"';
    const body = prefix + 'x'.repeat(MAX_BODY_BYTES - prefix.length - 2) + '"}';
    expect(Buffer.byteLength(body)).toBe(MAX_BODY_BYTES);
    expect(parseJsonBody(event(body), Book).userId).toBe('u1');
  });

  it('applies the size limit to the decoded base64 body', () => {
    const big = JSON.stringify({ pad: 'x'.repeat(MAX_BODY_BYTES) });
    const problem = caught(() =>
      parseJsonBody(event(Buffer.from(big).toString('base64'), undefined, true), Book),
    ).problem;
    expect(problem.status).toBe(413);
  });

  it('decodes base64-encoded bodies', () => {
    expect(
      parseJsonBody(event(Buffer.from(good).toString('base64'), undefined, true), Book).book.title,
    ).toBe('T');
  });

  it.each([['{not json'], [''], ['{"a":1']])('answers 400 for the malformed JSON %j', (body) => {
    const problem = caught(() => parseJsonBody(event(body), Book)).problem;
    expect(problem).toMatchObject({ status: 400, detail: 'The body is not valid JSON.' });
  });

  it('answers 400 for a missing body', () => {
    expect(caught(() => parseJsonBody(event(null), Book)).problem.status).toBe(400);
  });

  it('answers 400 with pointers for a valid JSON body that fails the schema', () => {
    const problem = caught(() =>
      parseJsonBody(event(JSON.stringify({ userId: 'u1' })), Book),
    ).problem;
    expect(problem).toMatchObject({ status: 400, detail: 'Invalid request body.' });
    expect((problem.errors as { pointer: string }[]).map((error) => error.pointer)).toEqual([
      '/book',
    ]);
  });

  it.each([
    ['below DynamoDB’s smallest magnitude', '1e-131', '/book/pages'],
    ['a negative one below it', '-1e-200', '/book/pages'],
    ['past the safe integers', '9007199254740993', '/book/pages'],
    ['past DynamoDB’s largest', '1e126', '/book/pages'],
    ['that JSON.parse makes infinite', '1e999', '/book/pages'],
  ])('answers 400 for a number %s, pointing at it', (_what, number, pointer) => {
    const body = `{"userId":"u1","book":{"title":"T","pages":${number}}}`;
    const problem = caught(() => parseJsonBody(event(body), Book)).problem;
    expect(problem).toMatchObject({ status: 400 });
    expect(problem.errors).toEqual([expect.objectContaining({ pointer })]);
  });

  it('points at numbers under escaped member names and array indexes', () => {
    const problem = caught(() =>
      parseJsonBody(event('{"a/b":[0,1e-300],"c~":{"d":1e300}}'), z.unknown()),
    ).problem;
    expect((problem.errors as { pointer: string }[]).map((error) => error.pointer)).toEqual([
      '/a~1b/1',
      '/c~0/d',
    ]);
  });

  it('answers 400 for nesting deeper than the limit, before parsing it', () => {
    const deep = `${'['.repeat(MAX_JSON_DEPTH + 1)}${']'.repeat(MAX_JSON_DEPTH + 1)}`;
    expect(caught(() => parseJsonBody(event(deep), z.unknown())).problem).toMatchObject({
      status: 400,
      detail: `The body nests deeper than ${MAX_JSON_DEPTH} levels.`,
    });
    const allowed = `${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`;
    expect(parseJsonBody(event(allowed), z.unknown())).toBeInstanceOf(Array);
    // 60,000 levels: refused quickly, no stack overflow.
    const huge = '{"a":'.repeat(12_000);
    expect(caught(() => parseJsonBody(event(huge), z.unknown())).problem.status).toBe(400);
  });

  it('parses objects with no prototype: __proto__ and constructor stay plain members', () => {
    const parsed = parseJsonBody(
      event('{"__proto__":{"polluted":true},"constructor":1,"nested":{"toString":2}}'),
      z.unknown(),
    ) as Record<string, Record<string, unknown>>;
    expect(Object.getPrototypeOf(parsed)).toBeNull();
    expect(Object.hasOwn(parsed, '__proto__')).toBe(true);
    expect(parsed.constructor).toBe(1);
    expect(parsed.nested.toString).toBe(2);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // A strict schema names the prototype member as an unknown key instead of ignoring it.
    const strict = z.object({ a: z.number() }).strict();
    expect(
      caught(() => parseJsonBody(event('{"a":1,"__proto__":{}}'), strict)).problem.status,
    ).toBe(400);
  });
});

describe('numbers a service can store', () => {
  it.each([0, -0, 1, 0.5, 1e-130, -1e-130, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER])(
    'accepts %d',
    (value) => expect(isStorableNumber(value)).toBe(true),
  );
  it.each([1e-131, 5e-324, Number.MAX_SAFE_INTEGER + 2, 1e126, Infinity, NaN])(
    'refuses %d',
    (value) => expect(isStorableNumber(value)).toBe(false),
  );
});

describe('JSON depth', () => {
  it('counts brackets outside strings only, escapes included', () => {
    expect(jsonDepth('{"a":[1,{"b":2}]}')).toBe(3);
    expect(jsonDepth('{"a":"[[[{{{\\"[["}')).toBe(1);
    expect(jsonDepth('"\\"')).toBe(0);
  });
});
