import type { z } from 'zod';

/**
 * How the text stored in a parameter becomes the input of its schema:
 * - `text`: the string itself (`z.string()`, `z.enum([...])`, a URL, an ARN);
 * - `json`: the string parsed as JSON (numbers, booleans, objects, arrays);
 * - `list`: an SSM StringList, split on commas into an array of strings.
 */
export type ValueFormat = 'text' | 'json' | 'list';

/** Schema kinds whose input is a string, so their parameter is read as plain text. */
const TEXT_KINDS = new Set(['string', 'template_literal']);
/** Wrappers that take their input type from the schema they wrap. */
const WRAPPERS = new Set([
  'optional',
  'nullable',
  'default',
  'prefault',
  'catch',
  'readonly',
  'nonoptional',
]);

/**
 * The format a schema implies when the caller names none: `text` when the schema takes a string
 * as input (a string, a template literal, an enum or literal of strings, any of those wrapped in
 * optional/default/… or at the start of a pipe or transform, or a union made only of them);
 * `json` for everything else. A StringList is never guessed: ask for `list` explicitly.
 */
export function impliedFormat(schema: z.ZodType): ValueFormat {
  return takesText(schema) ? 'text' : 'json';
}

function takesText(schema: z.ZodType): boolean {
  const def = schema._zod.def as unknown as Record<string, unknown> & { type: string };
  if (TEXT_KINDS.has(def.type)) return true;
  if (def.type === 'enum') {
    return Object.values(def.entries as Record<string, unknown>).every(
      (v) => typeof v === 'string',
    );
  }
  if (def.type === 'literal') return (def.values as unknown[]).every((v) => typeof v === 'string');
  if (WRAPPERS.has(def.type)) return takesText(def.innerType as z.ZodType);
  if (def.type === 'pipe') return takesText(def.in as z.ZodType);
  if (def.type === 'union') return (def.options as z.ZodType[]).every(takesText);
  return false;
}

/** The outcome of decoding one stored value: the typed value, or what is wrong (never the value). */
export type Decoded<T> = { ok: true; value: T } | { ok: false; problem: string };

/**
 * Turns stored text into a schema-checked value. Problems describe the failure without echoing
 * the value: JSON.parse's own message quotes the input, so it is not passed on, and for secrets
 * (`redact`) even zod's messages are reduced to the issue code and path, since a custom message
 * could quote the input.
 */
export function decodeValue<S extends z.ZodType>(
  text: string,
  schema: S,
  format: ValueFormat,
  redact: boolean,
): Decoded<z.output<S>> {
  let input: unknown = text;
  if (format === 'json') {
    try {
      input = JSON.parse(text);
    } catch {
      return { ok: false, problem: 'is not valid JSON' };
    }
  } else if (format === 'list') {
    input = text === '' ? [] : text.split(',');
  }
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  const issues = result.error.issues.map((issue) => {
    const where = issue.path.length > 0 ? issue.path.join('.') : '(value)';
    return redact ? `${where}: ${issue.code}` : `${where}: ${issue.message}`;
  });
  return { ok: false, problem: `does not match its schema (${issues.join('; ')})` };
}
