import { readFileSync, readdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  startZipkinServer,
  zipkinUnavailable,
} from '../../localstack/platform/tracing/zipkin-server';

/**
 * What the local Zipkin costs `npm start`: the time until it serves (it starts beside the other
 * phases, so this bounds the extra wall time) and the resident memory of its JVM, started exactly
 * as the platform starts it.
 */
export async function run(): Promise<string[]> {
  const unavailable = zipkinUnavailable();
  if (unavailable) return [`bench zipkin-start left out: ${unavailable}`];
  const started = performance.now();
  const server = await startZipkinServer({
    logFile: path.join(mkdtempSync(path.join(tmpdir(), 'msa-bench-zipkin-')), 'zipkin.log'),
  });
  const readyMs = performance.now() - started;
  try {
    // Memory after it has served a little: one batch of spans stored and read back.
    const traceId = '5759e988bd862e3fe1be46a994272793';
    const now = Date.now() * 1000;
    const spans = Array.from({ length: 100 }, (_, index) => ({
      traceId,
      id: (index + 1).toString(16).padStart(16, '0'),
      name: 'bench',
      timestamp: now,
      duration: 10,
      localEndpoint: { serviceName: index % 2 ? 'reading-list' : 'recommendations' },
    }));
    await fetch(`${server.url}/api/v2/spans`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(spans),
    });
    await (await fetch(`${server.url}/api/v2/trace/${traceId}`)).arrayBuffer();
    const rssKb = treeRssKb(server.pid);
    return [
      `bench zipkin-ready ${Math.round(readyMs)} ms`,
      `bench zipkin-rss ${Math.round(rssKb / 1024)} MB`,
    ];
  } finally {
    await server.stop();
  }
}

/** Resident memory of a process and its children (the JVM under its holding shell), in KB. */
function treeRssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const own = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  let children = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    const listed = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
    for (const child of listed ? listed.split(/\s+/) : []) children += treeRssKb(Number(child));
  }
  return own + children;
}
