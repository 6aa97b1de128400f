import { describe, expect, it } from 'vitest';
import {
  CORRELATION_ID_HEADER,
  findHeader,
  isValidCorrelationId,
  resolveCorrelationId,
} from '../../../../functions/runtime/observability/correlation';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('resolveCorrelationId', () => {
  it('reuses a well-formed correlation ID sent by the caller', () => {
    expect(CORRELATION_ID_HEADER).toBe('x-correlation-id');
    expect(resolveCorrelationId({ 'x-correlation-id': 'abc-123_x.y:z' }, 'fallback')).toBe(
      'abc-123_x.y:z',
    );
  });

  it('finds the header whatever its case', () => {
    expect(resolveCorrelationId({ 'X-Correlation-ID': 'Upper-1' }, 'fallback')).toBe('Upper-1');
    expect(resolveCorrelationId({ 'X-CORRELATION-ID': 'upper-2' }, 'fallback')).toBe('upper-2');
  });

  it.each([
    ['contains a space', 'abc 123'],
    ['contains a newline (log injection)', 'abc\n{"level":"ERROR"}'],
    ['contains quotes', '"abc"'],
    ['is empty', ''],
    ['is longer than 128 characters', 'a'.repeat(129)],
    ['contains non-ASCII', 'abc-é'],
  ])('replaces a value that %s with the fallback', (_why, value) => {
    expect(resolveCorrelationId({ 'x-correlation-id': value }, 'fallback-id')).toBe('fallback-id');
  });

  it('accepts exactly 128 characters', () => {
    const id = 'a'.repeat(128);
    expect(resolveCorrelationId({ 'x-correlation-id': id }, 'fallback')).toBe(id);
  });

  it('uses the fallback when the header is absent or the headers are missing', () => {
    expect(resolveCorrelationId({ other: 'x' }, 'fb')).toBe('fb');
    expect(resolveCorrelationId(null, 'fb')).toBe('fb');
    expect(resolveCorrelationId(undefined, 'fb')).toBe('fb');
    expect(resolveCorrelationId({ 'x-correlation-id': undefined }, 'fb')).toBe('fb');
  });

  it('starts a fresh random UUID when no fallback is given', () => {
    const first = resolveCorrelationId({});
    const second = resolveCorrelationId({ 'x-correlation-id': 'bad value' });
    expect(first).toMatch(UUID);
    expect(second).toMatch(UUID);
    expect(first).not.toBe(second);
  });
});

describe('isValidCorrelationId', () => {
  it('accepts well-formed strings and rejects everything else', () => {
    expect(isValidCorrelationId('req-1')).toBe(true);
    expect(isValidCorrelationId('a b')).toBe(false);
    expect(isValidCorrelationId('x'.repeat(129))).toBe(false);
    expect(isValidCorrelationId(42)).toBe(false);
    expect(isValidCorrelationId(undefined)).toBe(false);
  });
});

describe('findHeader', () => {
  it('looks headers up case-insensitively and skips undefined values', () => {
    const headers = { 'Content-Type': 'application/json', 'x-empty': undefined, 'X-Empty': 'set' };
    expect(findHeader(headers, 'content-type')).toBe('application/json');
    expect(findHeader(headers, 'X-EMPTY')).toBe('set');
    expect(findHeader(headers, 'missing')).toBeUndefined();
    expect(findHeader(null, 'content-type')).toBeUndefined();
  });
});
