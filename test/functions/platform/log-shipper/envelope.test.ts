import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  decodeSubscriptionEvent,
  encodeSubscriptionEvent,
  LogEnvelopeError,
} from '../../../../functions/platform/log-shipper/envelope';

const batch = {
  owner: '123456789012',
  logGroup: '/aws/lambda/reading-list',
  logStream: '2026/12/02/[$LATEST]abc',
  subscriptionFilters: ['to-opensearch'],
  messageType: 'DATA_MESSAGE',
  logEvents: [
    { id: '1', timestamp: 1_764_000_000_000, message: '{"level":"INFO","message":"hello"}' },
    { id: '2', timestamp: 1_764_000_000_001, message: 'END RequestId: x' },
  ],
};

const wrap = (payload: Buffer | string) => ({
  awslogs: {
    data: (typeof payload === 'string' ? Buffer.from(payload) : payload).toString('base64'),
  },
});

describe('decodeSubscriptionEvent', () => {
  it('decodes base64 gzip JSON into the batch CloudWatch Logs sent', () => {
    expect(decodeSubscriptionEvent(encodeSubscriptionEvent(batch))).toEqual(batch);
  });

  it('gives a control message no log events', () => {
    const control = { ...batch, messageType: 'CONTROL_MESSAGE' };
    expect(decodeSubscriptionEvent(encodeSubscriptionEvent(control)).logEvents).toEqual([]);
  });

  it('refuses an event without awslogs.data', () => {
    expect(() => decodeSubscriptionEvent({})).toThrow(LogEnvelopeError);
    expect(() => decodeSubscriptionEvent(null)).toThrow(/awslogs.data missing/);
  });

  it('refuses data that is not gzip', () => {
    expect(() => decodeSubscriptionEvent(wrap('plain text'))).toThrow(/not base64 gzip/);
  });

  it('refuses gzip that holds no JSON', () => {
    expect(() => decodeSubscriptionEvent(wrap(gzipSync('not json')))).toThrow(/does not hold JSON/);
  });

  it('refuses a batch without its log group or events', () => {
    expect(() => decodeSubscriptionEvent(wrap(gzipSync('{"logEvents":[]}')))).toThrow(
      /lacks logGroup/,
    );
  });

  it('refuses a log event without an id, timestamp or message', () => {
    const bad = { ...batch, logEvents: [{ id: '1', message: 'no timestamp' }] };
    expect(() => decodeSubscriptionEvent(wrap(gzipSync(JSON.stringify(bad))))).toThrow(
      /lacks its id, timestamp or message/,
    );
  });
});
