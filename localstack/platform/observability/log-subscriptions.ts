import { randomInt } from 'node:crypto';
import type { CloudWatchLogsDecodedData, CloudWatchLogsEvent } from 'aws-lambda';
import { encodeSubscriptionEvent } from '../../../functions/platform/log-shipper/envelope';

/** Delivers one subscription event (invokes the shipper); rejects or answers an error when it failed. */
export type SubscriptionTarget = (
  event: CloudWatchLogsEvent,
) => Promise<{ failed: boolean; detail?: unknown }>;

export interface LogSubscriptionOptions {
  /** A batch is sent when it holds this many events… @default 100 */
  readonly maxEvents?: number;
  /** …or this long after its first event. @default 1000 */
  readonly flushMs?: number;
  /** Told of every batch the target failed (the local on-failure destination). */
  readonly onFailure?: (batch: CloudWatchLogsDecodedData, detail: unknown) => void;
  /** Lines kept while no target is attached yet; older ones are dropped first. @default 20000 */
  readonly maxBuffered?: number;
}

interface PendingBatch {
  readonly logGroup: string;
  readonly logStream: string;
  readonly events: CloudWatchLogsDecodedData['logEvents'];
  timer?: NodeJS.Timeout;
}

/**
 * What a CloudWatch Logs subscription filter does, for the local platform: the functions' log
 * lines become subscription events (per log group, up to `maxEvents` or `flushMs`, gzip+base64 in
 * the `awslogs` envelope, each event with an ID, timestamp and message) handed to a target, the
 * log shipper. Lines that arrive before a target is attached wait for it.
 */
export class LogSubscriptions {
  private readonly batches = new Map<string, PendingBatch>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly waiting: PendingBatch[] = [];
  private target?: SubscriptionTarget;
  private sequence = 0;
  private readonly run = String(randomInt(1e9, 1e10 - 1));
  private stopped = false;
  /** Events handed to the target, and events in batches it failed. */
  readonly counts = { sent: 0, failed: 0, dropped: 0 };

  constructor(private readonly options: LogSubscriptionOptions = {}) {}

  /** Starts delivering (and sends what waited for it). */
  attach(target: SubscriptionTarget): void {
    this.target = target;
    for (const batch of this.waiting.splice(0)) this.send(batch);
  }

  /** One line a function wrote to its log group. */
  add(logGroup: string, logStream: string, message: string, timestamp: number = Date.now()): void {
    if (this.stopped || message.trim() === '') return;
    const key = `${logGroup}\u0000${logStream}`;
    let batch = this.batches.get(key);
    if (!batch) {
      batch = { logGroup, logStream, events: [] };
      this.batches.set(key, batch);
      const created = batch;
      batch.timer = setTimeout(() => this.close(key, created), this.options.flushMs ?? 1000);
      batch.timer.unref();
    }
    // CloudWatch's event IDs are unique numeric strings; a per-run prefix keeps ours unique across runs.
    batch.events.push({
      id: `${this.run}${String(this.sequence++).padStart(12, '0')}`,
      timestamp,
      message,
    });
    if (batch.events.length >= (this.options.maxEvents ?? 100)) this.close(key, batch);
  }

  /** Sends every open batch now and waits until all sent ones are answered. */
  async flush(): Promise<void> {
    for (const [key, batch] of [...this.batches]) this.close(key, batch);
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /** Flushes, then takes no more lines. */
  async stop(): Promise<void> {
    if (this.target) await this.flush();
    this.stopped = true;
  }

  private close(key: string, batch: PendingBatch): void {
    if (this.batches.get(key) !== batch) return;
    this.batches.delete(key);
    clearTimeout(batch.timer);
    if (this.target) this.send(batch);
    else {
      this.waiting.push(batch);
      let buffered = this.waiting.reduce((sum, waiting) => sum + waiting.events.length, 0);
      while (buffered > (this.options.maxBuffered ?? 20_000) && this.waiting.length > 1) {
        const dropped = this.waiting.shift()!;
        buffered -= dropped.events.length;
        this.counts.dropped += dropped.events.length;
      }
    }
  }

  private send(batch: PendingBatch): void {
    const decoded: CloudWatchLogsDecodedData = {
      owner: '123456789012',
      logGroup: batch.logGroup,
      logStream: batch.logStream,
      subscriptionFilters: ['local-central-logs'],
      messageType: 'DATA_MESSAGE',
      logEvents: batch.events,
    };
    this.counts.sent += batch.events.length;
    const delivery = this.target!(encodeSubscriptionEvent(decoded))
      .then(
        (result) => result,
        (error: unknown) => ({ failed: true, detail: String(error) }),
      )
      .then((result) => {
        if (!result.failed) return;
        this.counts.failed += batch.events.length;
        this.options.onFailure?.(decoded, result.detail);
      })
      .finally(() => this.inFlight.delete(delivery));
    this.inFlight.add(delivery);
  }
}
