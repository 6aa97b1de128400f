import { describe, expect, it } from 'vitest';
import {
  errorFingerprint,
  normalizeMessage,
  topStackFrame,
} from '../../../../functions/platform/log-shipper/fingerprint';

const stack = (line: number, folder: string) =>
  `TypeError: Cannot read properties of undefined (reading 'id')\n    at loadBook (/var/task/${folder}/functions/services/reading-list/books.ts:${line}:17)\n    at async Runtime.handler (/var/task/index.js:1:999)`;

describe('error fingerprints', () => {
  it('reads the top frame without its line, column or leading folders', () => {
    expect(topStackFrame(stack(42, 'asset.abc'))).toBe('loadBook reading-list/books.ts');
    expect(topStackFrame(['Error: x', 'at file:///app/src/handler.mjs:3:1'])).toBe(
      'src/handler.mjs',
    );
    expect(topStackFrame('Error: no frames')).toBeUndefined();
  });

  it('is the same across redeploys and shifted lines of one throw site', () => {
    const before = errorFingerprint({
      name: 'TypeError',
      message: 'a',
      stack: stack(42, 'asset.abc'),
    });
    const after = errorFingerprint({
      name: 'TypeError',
      message: 'b',
      stack: stack(57, 'asset.def'),
    });
    expect(after).toBe(before);
    expect(before).toMatch(/^[0-9a-f]{16}$/);
  });

  it('differs by error name and by throw site', () => {
    const base = errorFingerprint({ name: 'TypeError', stack: stack(42, 'a') });
    expect(errorFingerprint({ name: 'RangeError', stack: stack(42, 'a') })).not.toBe(base);
    expect(
      errorFingerprint({
        name: 'TypeError',
        stack:
          'TypeError: x\n    at saveBook (/var/task/functions/services/reading-list/books.ts:9:1)',
      }),
    ).not.toBe(base);
  });

  it('groups stackless errors by their message with variable parts masked', () => {
    expect(
      normalizeMessage('Book 1234 of user 6f1c0e0e-3b1a-4d7e-9d2c-1a2b3c4d5e6f not found: "x"'),
    ).toBe('Book <n> of user <id> not found: <value>');
    expect(errorFingerprint({ name: 'NotFound', message: 'Book 12 missing' })).toBe(
      errorFingerprint({ name: 'NotFound', message: 'Book 977 missing' }),
    );
    expect(errorFingerprint({ name: 'NotFound', message: 'Book 12 missing' })).not.toBe(
      errorFingerprint({ name: 'NotFound', message: 'Shelf 12 missing' }),
    );
  });
});
