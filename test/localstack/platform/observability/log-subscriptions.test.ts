import type { CloudWatchLogsEvent } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { decodeSubscriptionEvent } from '../../../../functions/platform/log-shipper/envelope';
import { LogSubscriptions } from '../../../../localstack/platform/observability/log-subscriptions';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function recorder(failed = false) {
  const events: CloudWatchLogsEvent[] = [];
  return {
    events,
    batches: () => events.map((event) => decodeSubscriptionEvent(event)),
    target: async (event: CloudWatchLogsEvent) => {
      events.push(event);
      return { failed, detail: failed ? { errorMessage: 'boom' } : undefined };
    },
  };
}

describe('LogSubscriptions (a subscription filter, locally)', () => {
  it('sends a log group’s lines as one gzip+base64 awslogs event after the flush interval', async () => {
    const sent = recorder();
    const subscriptions = new LogSubscriptions({ flushMs: 1000 });
    subscriptions.attach(sent.target);
    subscriptions.add('/aws/lambda/a', 'local/a', '{"level":"INFO","message":"one"}', 1);
    subscriptions.add('/aws/lambda/a', 'local/a', 'two', 2);
    subscriptions.add('/aws/lambda/b', 'local/b', 'three', 3);
    expect(sent.events).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1000);
    const batches = sent.batches();
    expect(batches.map((batch) => batch.logGroup).sort()).toEqual([
      '/aws/lambda/a',
      '/aws/lambda/b',
    ]);
    const a = batches.find((batch) => batch.logGroup === '/aws/lambda/a')!;
    expect(a).toMatchObject({ logStream: 'local/a', messageType: 'DATA_MESSAGE' });
    expect(a.logEvents.map((event) => [event.timestamp, event.message])).toEqual([
      [1, '{"level":"INFO","message":"one"}'],
      [2, 'two'],
    ]);
    const ids = batches.flatMap((batch) => batch.logEvents.map((event) => event.id));
    expect(new Set(ids).size).toBe(3);
  });

  it('sends a batch as soon as it holds maxEvents lines', async () => {
    const sent = recorder();
    const subscriptions = new LogSubscriptions({ maxEvents: 3, flushMs: 60_000 });
    subscriptions.attach(sent.target);
    for (let i = 0; i < 7; i++) subscriptions.add('/g', 's', `line ${i}`);
    await vi.advanceTimersByTimeAsync(0);
    expect(sent.batches().map((batch) => batch.logEvents.length)).toEqual([3, 3]);
    await subscriptions.flush();
    expect(sent.batches().map((batch) => batch.logEvents.length)).toEqual([3, 3, 1]);
    expect(subscriptions.counts).toMatchObject({ sent: 7, failed: 0 });
  });

  it('keeps lines logged before the shipper is attached and sends them once it is', async () => {
    const sent = recorder();
    const subscriptions = new LogSubscriptions({ flushMs: 10 });
    subscriptions.add('/g', 's', 'early');
    await vi.advanceTimersByTimeAsync(50);
    expect(sent.events).toHaveLength(0);
    subscriptions.attach(sent.target);
    await subscriptions.flush();
    expect(sent.batches()[0].logEvents[0].message).toBe('early');
  });

  it('hands a batch the shipper failed to the on-failure callback, whole', async () => {
    const failures: unknown[] = [];
    const subscriptions = new LogSubscriptions({
      onFailure: (batch, detail) => failures.push({ batch, detail }),
    });
    subscriptions.attach(recorder(true).target);
    subscriptions.add('/g', 's', 'lost?');
    await subscriptions.flush();
    expect(failures).toMatchObject([
      {
        batch: { logGroup: '/g', logEvents: [{ message: 'lost?' }] },
        detail: { errorMessage: 'boom' },
      },
    ]);
    expect(subscriptions.counts).toMatchObject({ sent: 1, failed: 1 });
  });

  it('drops blank lines and takes none after stop', async () => {
    const sent = recorder();
    const subscriptions = new LogSubscriptions();
    subscriptions.attach(sent.target);
    subscriptions.add('/g', 's', '   ');
    await subscriptions.stop();
    subscriptions.add('/g', 's', 'late');
    await subscriptions.flush();
    expect(sent.events).toHaveLength(0);
  });
});
