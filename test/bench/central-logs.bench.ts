/**
 * Central logs, measured on the path the product runs: the log shipper's bundle (the file that
 * deploys) run by the local Lambda runtime, fed CloudWatch Logs subscription events, writing
 * into a real local OpenSearch node.
 *
 * - throughput: documents per second from subscription event to bulk-acknowledged, against the
 *   same documents written straight to the bulk API by this process (the shipper's overhead);
 * - delivery lag p50/p99: from a line logged (the local subscription filter, 1 s / 100 lines
 *   batches) to its bulk acknowledgement, at a steady 400 lines/s; searchable adds up to the
 *   index refresh interval (1 s);
 * - what the node costs `npm start`: time until ready (it starts beside the other phases, so this
 *   bounds the extra wall time) and its JVM's resident memory after the ingest.
 * Run alone with `npx tsx test/bench/central-logs.bench.ts`.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  decodeSubscriptionEvent,
  encodeSubscriptionEvent,
} from '../../functions/platform/log-shipper/envelope';
import { startEmulator } from '../../localstack/platform/emulator';
import { LocalFunction } from '../../localstack/platform/lambda-runtime';
import { LOG_SHIPPER_BUNDLE } from '../../localstack/platform/observability/central-logs';
import { LogSubscriptions } from '../../localstack/platform/observability/log-subscriptions';
import {
  openSearchUnavailable,
  startOpenSearchNode,
} from '../../localstack/platform/observability/opensearch-node';
import { buildPlatformFunctions } from '../../scripts/build-functions';

const DOCUMENTS = 20_000;
const BATCH = 500;
const CONCURRENCY = 4;
const LAG_RATE_PER_S = 400;
const LAG_SECONDS = 5;

function line(index: number, run: string): string {
  return JSON.stringify({
    level: index % 50 === 0 ? 'ERROR' : 'INFO',
    message: `bench line ${index}`,
    service: index % 2 ? 'reading-list' : 'recommendations',
    correlation_id: `${run}-${Math.floor(index / 10)}`,
    cold_start: false,
    function_request_id: `${run}-${index}`,
    timestamp: new Date().toISOString(),
    bookId: `b-${index % 97}`,
  });
}

function batches(run: string, offset = 0) {
  return Array.from({ length: DOCUMENTS / BATCH }, (_, b) =>
    encodeSubscriptionEvent({
      owner: '123456789012',
      logGroup: `/aws/lambda/bench-${b % 2}`,
      logStream: 'bench',
      subscriptionFilters: ['bench'],
      messageType: 'DATA_MESSAGE',
      logEvents: Array.from({ length: BATCH }, (_, i) => ({
        id: `${run}-${offset + b * BATCH + i}`,
        timestamp: Date.now(),
        message: line(b * BATCH + i, run),
      })),
    }),
  );
}

async function inParallel<T>(items: T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export async function run(): Promise<string[]> {
  const unavailable = openSearchUnavailable();
  if (unavailable) return [`bench central-logs left out: ${unavailable}`];
  if (!existsSync(LOG_SHIPPER_BUNDLE)) await buildPlatformFunctions();
  const home = mkdtempSync(path.join(tmpdir(), 'msa-bench-opensearch-'));

  const emulatorStarted = performance.now();
  const emulator = await startEmulator({ endpoint: undefined });
  const emulatorMs = performance.now() - emulatorStarted;
  const nodeStarted = performance.now();
  const node = await startOpenSearchNode({ home });
  const nodeMs = performance.now() - nodeStarted;
  const shipper = new LocalFunction(
    {
      logicalId: 'BenchLogShipper',
      functionName: 'bench-log-shipper',
      arn: 'arn:aws:lambda:us-east-1:123456789012:function:bench-log-shipper',
      entryFile: LOG_SHIPPER_BUNDLE,
      handlerName: 'handler',
      environment: {
        PATH: process.env.PATH ?? '',
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'bench',
        AWS_SECRET_ACCESS_KEY: 'bench',
        AWS_ENDPOINT_URL: emulator.endpoint,
        OPENSEARCH_ENDPOINT: node.url,
        LOG_INDEX_PREFIX: 'logs-bench',
        POWERTOOLS_LOG_LEVEL: 'WARN',
        POWERTOOLS_METRICS_DISABLED: 'true',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
      timeoutSeconds: 60,
      memorySize: 256,
      logGroupName: '/aws/lambda/bench-log-shipper',
      label: 'log-shipper',
    },
    { logDir: path.join(home, 'logs'), maxConcurrency: CONCURRENCY },
  );
  try {
    await shipper.warm();
    const invoke = async (event: unknown) => {
      const result = await shipper.invoke(event);
      const summary = result.payload as { sent?: number; delivered?: number };
      if (result.functionError || summary.delivered !== summary.sent)
        throw new Error(`shipper failed: ${JSON.stringify(result.payload)}`);
    };
    // One warm-up batch creates the index and its mapping, outside the measurement.
    await invoke(batches('warm')[0]);

    const events = batches('shipper');
    const shipperStarted = performance.now();
    await inParallel(events, CONCURRENCY, invoke);
    const shipperRate = DOCUMENTS / ((performance.now() - shipperStarted) / 1000);

    // Baseline: the same documents as NDJSON straight to _bulk, same batch size and concurrency.
    const bodies = Array.from({ length: DOCUMENTS / BATCH }, (_, b) =>
      Array.from({ length: BATCH }, (_, i) => {
        const index = b * BATCH + i;
        return `${JSON.stringify({ create: { _index: 'logs-bench-direct', _id: `d-${index}` } })}\n${line(index, 'direct')}\n`;
      }).join(''),
    );
    const directStarted = performance.now();
    await inParallel(bodies, CONCURRENCY, async (body) => {
      const answer = await fetch(`${node.url}/_bulk`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body,
      });
      const parsed = (await answer.json()) as { errors: boolean };
      if (parsed.errors) throw new Error('direct bulk refused documents');
    });
    const directRate = DOCUMENTS / ((performance.now() - directStarted) / 1000);

    // Lag: a steady stream through the local subscription filter into the shipper.
    const loggedAt = new Map<string, number>();
    const lags: number[] = [];
    const subscriptions = new LogSubscriptions();
    subscriptions.attach(async (event) => {
      const result = await shipper.invoke(event);
      const acked = performance.now();
      const { logEvents } = decodeSubscriptionEvent(event);
      for (const { message } of logEvents) {
        const id = (JSON.parse(message) as { function_request_id: string }).function_request_id;
        lags.push(acked - loggedAt.get(id)!);
      }
      return { failed: result.functionError !== undefined };
    });
    const total = LAG_RATE_PER_S * LAG_SECONDS;
    const streamStarted = performance.now();
    for (let index = 0; index < total; index++) {
      // Paced by the clock: line i is logged at i / rate seconds.
      const due = streamStarted + (index * 1000) / LAG_RATE_PER_S;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      loggedAt.set(`lag-${index}`, performance.now());
      subscriptions.add(
        '/aws/lambda/bench-lag',
        'bench',
        line(index, 'lag').replace(
          /"function_request_id":"[^"]+"/,
          `"function_request_id":"lag-${index}"`,
        ),
      );
    }
    await subscriptions.flush();
    lags.sort((a, b) => a - b);
    const rssKb = Number(
      /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${node.pid}/status`, 'utf8'))?.[1] ?? 0,
    );
    return [
      `bench central-logs-throughput ${Math.round(shipperRate)} docs/s vs direct-bulk ${Math.round(directRate)} ratio ${(shipperRate / directRate).toFixed(2)}`,
      `bench central-logs-lag-p50 ${Math.round(percentile(lags, 50))} ms`,
      `bench central-logs-lag-p99 ${Math.round(percentile(lags, 99))} ms`,
      `bench central-logs-opensearch-ready ${Math.round(nodeMs)} ms vs emulator-ready ${Math.round(emulatorMs)} ratio ${(nodeMs / emulatorMs).toFixed(2)}`,
      `bench central-logs-opensearch-rss ${Math.round(rssKb / 1024)} MB`,
    ];
  } finally {
    await shipper.stop();
    await node.stop();
    await emulator.stop();
  }
}

if (require.main === module) {
  run().then(
    (lines) => console.log(lines.join('\n')),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
