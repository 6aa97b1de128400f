import { describe, expect, it } from 'vitest';
import { toLogDocument } from '../../../../functions/platform/log-shipper/log-document';

const batch = { logGroup: '/aws/lambda/reading-list', logStream: 'local/reading-list' };
const at = Date.UTC(2026, 11, 2, 23, 59, 59);
const event = (message: string) => ({ id: 'e1', timestamp: at, message });

describe('toLogDocument', () => {
  it('keeps Powertools fields, indexes by the UTC day, and moves other keys to attributes', () => {
    const line = JSON.stringify({
      level: 'info',
      message: 'Book added',
      service: 'reading-list',
      correlation_id: 'c-1',
      cold_start: true,
      timestamp: '2026-12-02T23:59:59.000Z',
      bookId: 'b-7',
      nested: { deep: { deeper: 1 } },
    });
    const document = toLogDocument(event(line), batch, 'logs-demo');
    expect(document.id).toBe('e1');
    expect(document.index).toBe('logs-demo-2026.12.02');
    expect(document.source).toMatchObject({
      '@timestamp': '2026-12-02T23:59:59.000Z',
      level: 'INFO',
      message: 'Book added',
      service: 'reading-list',
      correlation_id: 'c-1',
      cold_start: true,
      log_group: '/aws/lambda/reading-list',
      attributes: { bookId: 'b-7', nested: { deep: { deeper: 1 } } },
    });
  });

  it('moves a known key with the wrong type to attributes instead of failing the mapping', () => {
    const document = toLogDocument(
      event('{"level":{"x":1},"cold_start":"yes"}'),
      batch,
      'logs-demo',
    );
    expect(document.source.level).toBeUndefined();
    expect(document.source.attributes).toEqual({ level: { x: 1 }, cold_start: 'yes' });
  });

  it('keeps a __proto__ key as plain data', () => {
    const document = toLogDocument(event('{"__proto__":{"polluted":true}}'), batch, 'logs-demo');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(JSON.stringify(document.source)).toContain('"__proto__":{"polluted":true}');
  });

  it('takes a line that is not JSON as its message', () => {
    expect(toLogDocument(event('REPORT RequestId: 1\n'), batch, 'p').source.message).toBe(
      'REPORT RequestId: 1',
    );
  });

  it('fingerprints a Powertools error and a runtime Invoke Error', () => {
    const powertools = toLogDocument(
      event(
        JSON.stringify({
          level: 'ERROR',
          message: 'Request failed',
          error: {
            name: 'TypeError',
            message: 'boom',
            stack: 'TypeError: boom\n    at f (/a/b/c.js:1:2)',
          },
        }),
      ),
      batch,
      'p',
    ).source.error as Record<string, string>;
    expect(powertools).toMatchObject({ name: 'TypeError', message: 'boom' });
    expect(powertools.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    const runtime = toLogDocument(
      event('{"level":"ERROR","message":"Invoke Error","errorType":"Error","errorMessage":"x"}'),
      batch,
      'p',
    ).source.error as Record<string, string>;
    expect(runtime).toMatchObject({ name: 'Error', message: 'x' });
  });
});
