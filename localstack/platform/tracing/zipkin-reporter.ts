import type { ZipkinSpan } from './zipkin-span';

export interface ZipkinReporterOptions {
  /**
   * How often queued spans are sent.
   * @default 200
   */
  readonly intervalMs?: number;
  /**
   * Spans kept while Zipkin is not (yet) reachable; past it the oldest are dropped and counted.
   * @default 10000
   */
  readonly maxQueued?: number;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

/**
 * Sends spans to a Zipkin server's `POST /api/v2/spans` in batches. Spans that arrive before the
 * server is ready wait in a bounded queue, so a request made during start-up still shows up.
 */
export class ZipkinReporter {
  private queue: ZipkinSpan[] = [];
  private url?: string;
  private timer?: NodeJS.Timeout;
  private sending?: Promise<void>;
  private droppedCount = 0;
  private sentCount = 0;

  constructor(private readonly options: ZipkinReporterOptions = {}) {}

  /** Starts sending to a server (`http://127.0.0.1:9411`). */
  connect(zipkinUrl: string): void {
    this.url = zipkinUrl.replace(/\/$/, '');
    this.timer ??= setInterval(() => void this.flush(), this.options.intervalMs ?? 200);
    this.timer.unref();
  }

  report(spans: readonly ZipkinSpan[]): void {
    this.queue.push(...spans);
    const excess = this.queue.length - (this.options.maxQueued ?? 10_000);
    if (excess > 0) {
      this.queue.splice(0, excess);
      this.droppedCount += excess;
    }
  }

  get dropped(): number {
    return this.droppedCount;
  }

  get sent(): number {
    return this.sentCount;
  }

  /** Sends what is queued; a failed batch is queued again (within the bound) for the next round. */
  async flush(): Promise<void> {
    if (this.sending) return this.sending;
    if (!this.url || this.queue.length === 0) return;
    const batch = this.queue.splice(0);
    this.sending = (this.options.fetch ?? fetch)(`${this.url}/api/v2/spans`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(batch),
      signal: AbortSignal.timeout(5000),
    })
      .then((response) => {
        if (response.status >= 500 || response.status === 429)
          throw new Error(`${response.status}`);
        // 4xx: Zipkin refused the batch itself; sending it again would not help.
        if (response.ok) this.sentCount += batch.length;
        else this.droppedCount += batch.length;
      })
      .catch(() => {
        this.queue.unshift(...batch);
        this.report([]);
      })
      .finally(() => {
        this.sending = undefined;
      });
    return this.sending;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }
}
