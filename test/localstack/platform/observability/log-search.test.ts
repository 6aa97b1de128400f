import { describe, expect, it } from 'vitest';
import {
  formatLogHit,
  logSearchBody,
  LogQueryError,
  parseTime,
} from '../../../../localstack/platform/observability/log-search';

describe('log search queries', () => {
  it('reads relative and ISO times, and refuses anything else', () => {
    const now = Date.UTC(2026, 11, 2, 12);
    expect(parseTime('15m', now)).toBe(now - 15 * 60_000);
    expect(parseTime('2d', now)).toBe(now - 2 * 86_400_000);
    expect(parseTime('2026-12-01T10:00:00Z')).toBe(Date.UTC(2026, 11, 1, 10));
    expect(() => parseTime('yesterday')).toThrow(LogQueryError);
    expect(() => parseTime('2026-13-45')).toThrow(/not a time/);
  });

  it('refuses a size outside 1..1000', () => {
    expect(() => logSearchBody({ size: 0 })).toThrow(/--size/);
    expect(() => logSearchBody({ size: 1001 })).toThrow(/--size/);
    expect(() => logSearchBody({ size: Number.NaN })).toThrow(/--size/);
  });

  it('shows one line per log line, an error’s name and message included', () => {
    expect(
      formatLogHit({
        timestamp: '2026-12-02T16:07:17.696Z',
        level: 'ERROR',
        service: 'reading-list',
        correlationId: 'c-1',
        message: 'Request failed\nat x',
        error: { name: 'TypeError', message: 'boom' },
        source: {},
      }),
    ).toBe(
      '2026-12-02T16:07:17.696Z  ERROR  reading-list      c-1  Request failed ↵ at x  [TypeError: boom]',
    );
  });
});
