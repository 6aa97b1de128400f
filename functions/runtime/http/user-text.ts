import * as z from 'zod';

/**
 * What free text a user gives (a title, a name) may not hold: control characters (C0, DEL and
 * C1: NUL, tab and line breaks among them), the Unicode line and paragraph separators, lone
 * surrogates, the bidirectional embedding, override and isolate controls (U+202A-U+202E,
 * U+2066-U+2069: "Trojan Source" reordering), and the noncharacters U+FFFE and U+FFFF.
 * Letters, marks, digits, punctuation, symbols (emoji included, with their joiners) and spaces
 * of any script are allowed.
 */
const FORBIDDEN = /[\p{Cc}\p{Cs}\u2028\u2029\u202A-\u202E\u2066-\u2069\uFFFE\uFFFF]/u;

export const USER_TEXT_RULE =
  'no control characters, line breaks or bidirectional controls (U+202A-202E, U+2066-2069)';

export function isAllowedUserText(value: string): boolean {
  return !FORBIDDEN.test(value);
}

/**
 * A one-line text field: checked for forbidden characters as sent (so a line break at either
 * end is refused, not trimmed away), then trimmed, then between 1 and `maxLength` long.
 */
export function userText(maxLength: number) {
  return z.string().refine(isAllowedUserText, USER_TEXT_RULE).trim().min(1).max(maxLength);
}
