import { describe, expect, it } from 'vitest';
import {
  formatTraceHeader,
  newSegmentId,
  newTraceId,
  parseTraceHeader,
  zipkinTraceId,
} from '../../../../localstack/platform/tracing/trace-header';

describe('trace headers', () => {
  it('reads Root, Parent and Sampled from an X-Amzn-Trace-Id header', () => {
    expect(
      parseTraceHeader(
        'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
      ),
    ).toEqual({
      traceId: '1-5759e988-bd862e3fe1be46a994272793',
      parentId: '53995c3f42cd8ad8',
      sampled: true,
    });
  });

  it('reads Sampled=0 as not sampled and an absent Parent as a trace start', () => {
    expect(parseTraceHeader('Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=0')).toEqual({
      traceId: '1-5759e988-bd862e3fe1be46a994272793',
      parentId: undefined,
      sampled: false,
    });
  });

  it.each([
    ['no header', undefined],
    ['no Root', 'Parent=53995c3f42cd8ad8;Sampled=1'],
    ['a Root of the wrong shape', 'Root=1-xyz-abc;Sampled=1'],
    ['an oversized header', `Root=1-5759e988-bd862e3fe1be46a994272793;${'x'.repeat(600)}`],
  ])('gives nothing for %s (the receiver starts a trace)', (_case, header) => {
    expect(parseTraceHeader(header)).toBeUndefined();
  });

  it('drops a malformed Parent but keeps the trace', () => {
    expect(
      parseTraceHeader('Root=1-5759e988-bd862e3fe1be46a994272793;Parent=zz;Sampled=1')?.parentId,
    ).toBeUndefined();
  });

  it('writes what it reads', () => {
    const context = { traceId: newTraceId(), parentId: newSegmentId(), sampled: true };
    expect(parseTraceHeader(formatTraceHeader(context))).toEqual(context);
  });

  it('starts trace IDs with the time in epoch seconds, in hex', () => {
    const id = newTraceId(Date.UTC(2026, 1, 1));
    expect(id).toMatch(/^1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    expect(parseInt(id.slice(2, 10), 16)).toBe(Date.UTC(2026, 1, 1) / 1000);
  });

  it('gives Zipkin the same 128 bits as 32 hex digits', () => {
    expect(zipkinTraceId('1-5759e988-bd862e3fe1be46a994272793')).toBe(
      '5759e988bd862e3fe1be46a994272793',
    );
    expect(zipkinTraceId('nope')).toBeUndefined();
  });
});
