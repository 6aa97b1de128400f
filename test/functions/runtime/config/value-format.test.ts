import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { decodeValue, impliedFormat } from '../../../../functions/runtime/config';

describe('impliedFormat', () => {
  it.each([
    ['a string', z.string()],
    ['a URL', z.url()],
    ['an enum of strings', z.enum(['on', 'off'])],
    ['a string literal', z.literal('v1')],
    ['a template literal', z.templateLiteral(['v', z.number()])],
    ['an optional string with a default', z.string().optional().default('x')],
    ['a string piped through a transform', z.string().transform((s) => s.length)],
    ['a union of strings', z.union([z.literal('a'), z.string().email()])],
  ])('reads %s as text', (_, schema) => {
    expect(impliedFormat(schema)).toBe('text');
  });

  it.each([
    ['a number', z.number()],
    ['a boolean', z.boolean()],
    ['an object', z.object({ a: z.number() })],
    ['an array', z.array(z.string())],
    ['a numeric literal', z.literal(3)],
    ['a union of a string and a number', z.union([z.string(), z.number()])],
    ['a coerced number', z.coerce.number()],
  ])('reads %s as JSON', (_, schema) => {
    expect(impliedFormat(schema)).toBe('json');
  });
});

describe('decodeValue', () => {
  it('splits a StringList, and an empty one into no items', () => {
    expect(decodeValue('a,b', z.array(z.string()), 'list', false)).toEqual({
      ok: true,
      value: ['a', 'b'],
    });
    expect(decodeValue('', z.array(z.string()), 'list', false)).toEqual({ ok: true, value: [] });
  });

  it('names the failing path and zod message, or only the issue code when redacted', () => {
    const schema = z.object({ db: z.object({ port: z.number() }) });
    expect(decodeValue('{"db":{"port":"x"}}', schema, 'json', false)).toEqual({
      ok: false,
      problem:
        'does not match its schema (db.port: Invalid input: expected number, received string)',
    });
    expect(decodeValue('{"db":{"port":"x"}}', schema, 'json', true)).toEqual({
      ok: false,
      problem: 'does not match its schema (db.port: invalid_type)',
    });
  });
});
