import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';

export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

/**
 * Every test boot: any free port, no echoed function logs, and no local OpenSearch node (a JVM
 * of 300–500 MB and seconds of CPU each time) unless the test asks for central logs with
 * `LOCAL_OPENSEARCH: '1'` — one boot of the suite does.
 */
const QUIET_DEFAULTS = { PORT: '0', LOCAL_QUIET: '1', LOCAL_OPENSEARCH: '0' } as const;

export interface PlatformProcess {
  readonly child: ChildProcess;
  readonly baseUrl: string;
  readonly stateDir: string;
  readonly document: {
    baseUrl: string;
    awsEndpoint: string;
    lambdaEndpoint: string;
    /** The local OpenSearch node, when central logs run. */
    openSearchUrl?: string;
    region: string;
    logDir: string;
    functions: {
      functionName: string;
      logicalId: string;
      label: string;
      logFile: string;
      environment: Record<string, string>;
    }[];
    operatorAccessKeyId: string;
    clients: unknown[];
  };
  /** Everything the process printed so far. */
  output(): string;
  stop(): Promise<number | null>;
}

/**
 * Starts `npm start`'s entry point as a user would, and waits for its ready line (an event,
 * not a sleep). Rejects with the process's output if it exits first.
 */
export function startPlatformProcess(
  env: Record<string, string>,
  stateDir: string,
): Promise<PlatformProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(PROJECT_ROOT, 'localstack/platform/start.ts')],
    {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...QUIET_DEFAULTS, LOCAL_STATE_DIR: stateDir, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      output += `${line}\n`;
      const ready = /^Platform ready at (\S+)$/.exec(line);
      if (!ready) return;
      resolve({
        child,
        baseUrl: ready[1],
        stateDir,
        document: JSON.parse(readFileSync(path.join(stateDir, 'platform.json'), 'utf8')),
        output: () => output,
        stop: async () => {
          if (child.exitCode === null) child.kill('SIGTERM');
          return exited;
        },
      });
    });
    void exited.then((code) =>
      reject(new Error(`the platform exited (${code}) before it was ready:\n${output}`)),
    );
  });
}

export interface FinishedProcess {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly elapsedMs: number;
}

/**
 * Runs `npm start`'s entry point expecting it to end by itself (a refused start), and answers
 * what it printed on each stream and how long it took.
 */
export function runPlatformProcessToExit(
  env: Record<string, string>,
  stateDir: string,
): Promise<FinishedProcess> {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(PROJECT_ROOT, 'localstack/platform/start.ts')],
    {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...QUIET_DEFAULTS, LOCAL_STATE_DIR: stateDir, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    // 'close' comes after both streams ended, so nothing printed is missed.
    child.once('close', (code) =>
      resolve({ code, stdout, stderr, elapsedMs: performance.now() - started }),
    );
  });
}

export interface DemoClient {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly scopes: string[];
}

/** A demo client from platform.json. */
export function demoClient(platform: PlatformProcess, clientId: string): DemoClient {
  const found = (platform.document.clients as DemoClient[]).find((c) => c.clientId === clientId);
  if (!found) throw new Error(`platform.json lists no client ${clientId}`);
  return found;
}

/** An access token for a demo client (client_credentials, client_secret_basic). */
export async function requestToken(platform: PlatformProcess, clientId: string): Promise<string> {
  const { clientSecret } = demoClient(platform, clientId);
  const response = await fetch(`${platform.baseUrl}/oauth2/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  if (response.status !== 200)
    throw new Error(`token request for ${clientId} answered ${response.status}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

/**
 * Probes until `done` holds. The platform's caches and circuit timings run in real time in
 * another process, so the test waits for the behaviour itself — bounded by a deadline, never a
 * fixed sleep standing in for it.
 */
export async function eventually<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 60_000,
): Promise<{ last: T; seen: T[] }> {
  const deadline = Date.now() + timeoutMs;
  const seen: T[] = [];
  do {
    const value = await probe();
    seen.push(value);
    if (done(value)) return { last: value, seen };
  } while (Date.now() < deadline);
  throw new Error(
    `not reached within ${timeoutMs} ms (${seen.length} probes); last: ${JSON.stringify(seen.at(-1))}`,
  );
}
