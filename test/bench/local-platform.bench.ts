/**
 * The local platform under load: `npm start`'s entry point (any free port, its own state folder,
 * OpenSearch and Zipkin on, as `npm start` runs by default), then `GET /reading-list` (reading-list →
 * recommendations) with a real demo-full token at 1 and 20 clients over keep-alive connections.
 * Baseline in the same run: a bare Node HTTP server answering the same body size at the same
 * concurrency (this machine's ceiling for one HTTP hop). Then a per-request breakdown
 * (Server-Timing, see localstack/platform/request-breakdown.ts): where one request's time goes,
 * and how many AWS API round trips it makes.
 * Also the start: "Started in" of this boot (a warm one when the bench's own state folder holds a current synth).
 * Run alone with `npx tsx test/bench/local-platform.bench.ts`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { requestToken, startPlatformProcess } from '../e2e/platform-process';
import { runLoad, type LoadResult } from './support/load';

const DURATION_MS = Number(process.env.BENCH_LOAD_MS ?? 10_000);
const BREAKDOWN_REQUESTS = 40;

export async function run(): Promise<string[]> {
  // A state folder of its own, kept between runs: the second run is a warm start.
  const stateDir = path.join(tmpdir(), 'serverless-msa-bench-local-platform');
  mkdirSync(stateDir, { recursive: true });
  const platform = await startPlatformProcess(
    { LOCAL_OPENSEARCH: process.env.LOCAL_OPENSEARCH ?? '1' },
    stateDir,
  );
  const lines: string[] = [];
  try {
    const started = /^Started in ([\d.]+) s$/m.exec(platform.output())?.[1];
    const synth = /^synth .*$/m.exec(platform.output())?.[0] ?? '';
    lines.push(
      `bench local-platform.start ${started} s (${/reused/.test(synth) ? 'warm: synth reused' : 'synthesized'})`,
    );
    const token = await requestToken(platform, 'demo-full');
    const url = `${platform.baseUrl}/reading-list?userId=bench-reader`;
    const headers = { authorization: `Bearer ${token}` };
    const sample = await fetch(url, { headers });
    const body = await sample.text();
    if (sample.status !== 200) throw new Error(`GET /reading-list answered ${sample.status}`);
    const echo = await echoServer(body);
    try {
      for (const clients of [1, 20]) {
        const platformRun = await runLoad({ url, headers, clients, durationMs: DURATION_MS });
        const echoRun = await runLoad({ url: echo.url, clients, durationMs: DURATION_MS / 2 });
        lines.push(
          ...loadLines(`local-platform.reading-list.${clients}-clients`, platformRun, echoRun),
        );
      }
    } finally {
      await echo.close();
    }
    lines.push(...(await breakdownLines(url, headers)));
  } finally {
    await platform.stop();
  }
  return lines;
}

function loadLines(name: string, measured: LoadResult, baseline: LoadResult): string[] {
  return [
    `bench ${name}.throughput ${measured.perSecond.toFixed(1)} req/s vs node-http-echo ${baseline.perSecond.toFixed(0)} ratio ${(measured.perSecond / baseline.perSecond).toFixed(4)}`,
    `bench ${name}.p50 ${measured.p50Ms.toFixed(1)} ms vs node-http-echo ${baseline.p50Ms.toFixed(2)} ratio ${(measured.p50Ms / baseline.p50Ms).toFixed(1)}`,
    `bench ${name}.p99 ${measured.p99Ms.toFixed(1)} ms`,
    `bench ${name}.failures ${measured.failures} of ${measured.requests} requests`,
  ];
}

/** One client, sequential measured requests: each part's mean time and count per request. */
async function breakdownLines(url: string, headers: Record<string, string>): Promise<string[]> {
  const parts = new Map<string, { ms: number; count: number }>();
  for (let index = 0; index < BREAKDOWN_REQUESTS; index++) {
    const response = await fetch(url, { headers: { ...headers, 'x-local-breakdown': '1' } });
    await response.arrayBuffer();
    for (const entry of (response.headers.get('server-timing') ?? '').split(/,\s*/)) {
      const match = /^([^;]+);dur=([\d.]+);desc="(\d+)"$/.exec(entry);
      if (!match) continue;
      const part = parts.get(match[1]) ?? { ms: 0, count: 0 };
      part.ms += Number(match[2]);
      part.count += Number(match[3]);
      parts.set(match[1], part);
    }
  }
  const lines = [...parts]
    .sort((a, b) => b[1].ms - a[1].ms)
    .map(
      ([part, { ms, count }]) =>
        `bench local-platform.breakdown.${part} ${(ms / BREAKDOWN_REQUESTS).toFixed(2)} ms/request (${(count / BREAKDOWN_REQUESTS).toFixed(2)} per request)`,
    );
  const roundTrips = [...parts]
    .filter(([part]) => /\.(emulator|appconfigdata|lambda)_/.test(part))
    .reduce((sum, [, { count }]) => sum + count, 0);
  lines.push(
    `bench local-platform.round-trips ${(roundTrips / BREAKDOWN_REQUESTS).toFixed(2)} per request`,
  );
  return lines;
}

/** The baseline: Node's HTTP server answering a body of the same size, nothing else. */
async function echoServer(body: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

if (require.main === module) {
  run().then((lines) => console.log(lines.join('\n')));
}
