import { Agent, request } from 'node:http';

/** What one closed-loop load run measured. */
export interface LoadResult {
  readonly requests: number;
  readonly failures: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Response headers of every answer, for per-request breakdowns. */
  readonly headers: readonly Record<string, string | string[] | undefined>[];
}

export interface LoadOptions {
  readonly url: string;
  readonly headers?: Record<string, string>;
  /** Clients sending at once, each its next request as soon as the last was answered. */
  readonly clients: number;
  readonly durationMs: number;
  /** Requests (per client) sent before the clock starts: environments spun up, caches filled. */
  readonly warmupPerClient?: number;
  /** Status every answer must have; anything else counts as a failure. @default 200 */
  readonly expectStatus?: number;
}

/**
 * A closed-loop load run over keep-alive connections, one per client (as a browser or a service
 * client keeps its own). Latency is from sending to the last byte of the answer.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.clients });
  const expected = options.expectStatus ?? 200;
  const once = () =>
    new Promise<{ ms: number; ok: boolean; headers: LoadResult['headers'][number] }>(
      (resolve, reject) => {
        const started = performance.now();
        const sent = request(options.url, { agent, headers: options.headers }, (response) => {
          response.resume();
          response.once('end', () =>
            resolve({
              ms: performance.now() - started,
              ok: response.statusCode === expected,
              headers: response.headers,
            }),
          );
        });
        sent.once('error', reject);
        sent.end();
      },
    );
  try {
    const warmup = options.warmupPerClient ?? 5;
    await Promise.all(
      Array.from({ length: options.clients }, async () => {
        for (let index = 0; index < warmup; index++) await once();
      }),
    );
    const latencies: number[] = [];
    const headers: LoadResult['headers'][number][] = [];
    let failures = 0;
    const started = performance.now();
    const deadline = started + options.durationMs;
    await Promise.all(
      Array.from({ length: options.clients }, async () => {
        while (performance.now() < deadline) {
          const answer = await once();
          latencies.push(answer.ms);
          headers.push(answer.headers);
          if (!answer.ok) failures++;
        }
      }),
    );
    const elapsedMs = performance.now() - started;
    latencies.sort((a, b) => a - b);
    return {
      requests: latencies.length,
      failures,
      perSecond: (latencies.length / elapsedMs) * 1000,
      p50Ms: percentile(latencies, 0.5),
      p99Ms: percentile(latencies, 0.99),
      headers,
    };
  } finally {
    agent.destroy();
  }
}

function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))];
}
