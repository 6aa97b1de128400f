import { describe, expect, it } from 'vitest';
import { isAllowedUserText, userText } from '../../../../functions/runtime/http/user-text';

const title = userText(20);

describe('user text', () => {
  it.each([
    ['Latin with accents', 'Les Misérables'],
    ['CJK', '三体'],
    ['right-to-left script', 'مئة عام من العزلة'],
    ['an emoji with joiners', 'Code 👩‍💻'],
    ['punctuation and symbols', '“Dune” — 1965 & €'],
  ])('accepts %s', (_what, value) => {
    expect(title.parse(value)).toBe(value);
  });

  it('trims spaces at either end', () => {
    expect(title.parse('  Dune  ')).toBe('Dune');
  });

  it.each([
    ['NUL', 'Du\u0000ne'],
    ['a line feed inside', 'Du\nne'],
    ['a line feed at the end (refused, not trimmed away)', 'Dune\n'],
    ['a carriage return', 'Dune\r'],
    ['a tab', 'Du\tne'],
    ['DEL', 'Dune\u007f'],
    ['a C1 control', 'Dune\u0085'],
    ['RIGHT-TO-LEFT OVERRIDE', '\u202Eenud'],
    ['LEFT-TO-RIGHT EMBEDDING', '\u202ADune'],
    ['FIRST STRONG ISOLATE', 'Dune\u2068'],
    ['POP DIRECTIONAL ISOLATE', 'Dune\u2069'],
    ['LINE SEPARATOR', 'Du\u2028ne'],
    ['a lone surrogate', 'Dune\ud800'],
    ['a noncharacter', 'Dune\uffff'],
  ])('refuses %s with the rule as message', (_what, value) => {
    const result = title.safeParse(value);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0].message).toMatch(/no control characters/);
    expect(isAllowedUserText(value)).toBe(false);
  });

  it('refuses empty, blank and over-long text', () => {
    for (const value of ['', '   ', 'x'.repeat(21)])
      expect(title.safeParse(value).success).toBe(false);
  });
});
