import { createHash } from 'node:crypto';

/** The parts of a logged error a fingerprint is made of. */
export interface ErrorParts {
  readonly name?: string;
  readonly message?: string;
  readonly stack?: string;
}

/**
 * Groups occurrences of one error: the error's name plus its top stack frame with the line and
 * column dropped and the path cut to its last two segments, so a redeploy (new asset folder,
 * shifted lines) or another execution environment does not split one error into many. Without a
 * stack, the message stands in, with its variable parts (numbers, IDs, quoted values) masked.
 * 16 hex characters of a SHA-256.
 */
export function errorFingerprint(error: ErrorParts): string {
  const name = error.name?.trim() || 'Error';
  const frame = topStackFrame(error.stack);
  const basis = frame ? `${name}|${frame}` : `${name}|${normalizeMessage(error.message ?? '')}`;
  return createHash('sha256').update(basis).digest('hex').slice(0, 16);
}

/** `at fn (/var/task/a/b/file.js:12:34)` → `fn b/file.js`; the first `at` line of the stack. */
export function topStackFrame(stack: string | readonly string[] | undefined): string | undefined {
  const lines = Array.isArray(stack) ? stack : typeof stack === 'string' ? stack.split('\n') : [];
  for (const raw of lines) {
    const line = String(raw).trim();
    if (!line.startsWith('at ')) continue;
    const match = /^at (?:async )?(?:(.+?) \()?(.+?)(?::\d+)?(?::\d+)?\)?$/.exec(line);
    if (!match) return line;
    const [, fn, location] = match;
    const file = location
      .replace(/^file:\/\//, '')
      .split(/[\\/]/)
      .slice(-2)
      .join('/');
    return fn ? `${fn} ${file}` : file;
  }
  return undefined;
}

/** Masks what varies between occurrences of one error message. */
export function normalizeMessage(message: string): string {
  return message
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<id>')
    .replace(/(["'`]).*?\1/g, '<value>')
    .replace(/\b[0-9a-f]{12,}\b/gi, '<hex>')
    .replace(/\d+(\.\d+)?/g, '<n>')
    .trim()
    .slice(0, 200);
}
