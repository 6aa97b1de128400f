import { describe, expect, it } from 'vitest';
import {
  daemonDatagram,
  parseDaemonDatagram,
} from '../../../../localstack/platform/tracing/daemon-protocol';

const HEADER = '{"format":"json","version":1}';
const subsegment = {
  name: 'DynamoDB',
  id: '70de5b6f19ff9a0b',
  trace_id: '1-5759e988-bd862e3fe1be46a994272793',
  parent_id: '53995c3f42cd8ad8',
  type: 'subsegment',
  start_time: 1700000000.123,
  end_time: 1700000000.456,
  namespace: 'aws',
};

describe('parseDaemonDatagram', () => {
  it('reads a header line followed by a subsegment document, as the X-Ray SDK sends it', () => {
    const parsed = parseDaemonDatagram(Buffer.from(`${HEADER}\n${JSON.stringify(subsegment)}`));
    expect(parsed).toEqual({ ok: true, document: subsegment });
  });

  it('reads what daemonDatagram writes (the platform sends its own segments the same way)', () => {
    expect(parseDaemonDatagram(daemonDatagram(subsegment as never))).toEqual({
      ok: true,
      document: subsegment,
    });
  });

  it('refuses a datagram without a header line', () => {
    expect(parseDaemonDatagram(JSON.stringify(subsegment))).toEqual({
      ok: false,
      reason: 'no header line',
    });
  });

  it.each([
    ['another format', '{"format":"xml","version":1}'],
    ['another version', '{"format":"json","version":2}'],
    ['a header that is not JSON', 'format=json'],
  ])('refuses a header with %s', (_case, header) => {
    const parsed = parseDaemonDatagram(`${header}\n${JSON.stringify(subsegment)}`);
    expect(parsed.ok).toBe(false);
  });

  it.each([
    ['a body that is not JSON', '{"name":'],
    ['a list body', '[]'],
    ['no name', JSON.stringify({ ...subsegment, name: '' })],
    ['an id that is not 16 hex digits', JSON.stringify({ ...subsegment, id: 'xyz' })],
    ['no start_time', JSON.stringify({ ...subsegment, start_time: 'soon' })],
    ['a parent_id that is not 16 hex digits', JSON.stringify({ ...subsegment, parent_id: '1' })],
    [
      'a malformed nested subsegment',
      JSON.stringify({ ...subsegment, subsegments: [{ name: 'x', id: 'nope', start_time: 1 }] }),
    ],
    ['subsegments that are not a list', JSON.stringify({ ...subsegment, subsegments: {} })],
  ])('refuses a document with %s', (_case, body) => {
    const parsed = parseDaemonDatagram(`${HEADER}\n${body}`);
    expect(parsed.ok).toBe(false);
  });

  it('keeps a prototype-named key as plain data', () => {
    const body = `{"__proto__":{"polluted":true},${JSON.stringify(subsegment).slice(1)}`;
    const parsed = parseDaemonDatagram(`${HEADER}\n${body}`);
    expect(parsed.ok).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
