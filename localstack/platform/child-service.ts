import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';

/**
 * The child processes the local platform runs beside itself (the moto emulator, OpenSearch,
 * Zipkin) and their set-up scripts: what each needs to start one, wait for it and stop it.
 */

/** How much of a child's output is kept for an error message. */
const TAIL_CHARS = 4000;

/** Keeps the last few thousand characters the streams write; read them with the getter. */
export function keepTail(...streams: (Readable | null | undefined)[]): () => string {
  let tail = '';
  for (const stream of streams) {
    stream?.on('data', (chunk: Buffer) => {
      tail = (tail + chunk.toString()).slice(-TAIL_CHARS);
    });
  }
  return () => tail;
}

/**
 * Runs a project set-up script with bash, its output kept (not shown): resolves with its exit
 * code (-1 when bash could not start) and the tail of what it printed.
 */
export async function runSetupScript(
  script: string,
  ...args: string[]
): Promise<{ code: number | null; output: string }> {
  const setup = spawn('bash', [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = keepTail(setup.stdout, setup.stderr);
  const code = await new Promise<number | null>((resolve) => {
    setup.once('error', () => resolve(-1));
    setup.once('close', resolve);
  });
  return { code, output: output() };
}

/** The last `count` lines of a child's output (trimmed), joined by `separator`. */
export function lastLines(text: string, count: number, separator: string): string {
  return text.trim().split('\n').slice(-count).join(separator);
}

/** Whether a command is on PATH. */
export function commandExists(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Why a Java server built or fetched with Maven cannot run here, or undefined when it can: Java
 * is needed to run it, Maven only while it is not there yet (`mvnFor` says what Maven would do).
 */
export function javaServerUnavailable(installed: boolean, mvnFor: string): string | undefined {
  if (!commandExists('java')) return 'no java on PATH (install a JDK 17+)';
  if (!installed && !commandExists('mvn')) return `no mvn on PATH to ${mvnFor} (install Maven)`;
  return undefined;
}

/** A readiness wait that ran out of time (the child may still be starting). */
export class NotReadyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotReadyError';
  }
}

export interface WaitForHttpOptions {
  readonly timeoutMs: number;
  /** @default 100 */
  readonly intervalMs?: number;
  /** Whether only a 2xx answer counts as ready. @default false (any answer) */
  readonly requireOk?: boolean;
  /** Checked before each try: a reason stops the wait at once (e.g. the child exited). */
  readonly failedEarly?: () => string | undefined;
}

/**
 * Polls `url` until it answers. Throws an Error with the `failedEarly` reason when there is
 * one, or a NotReadyError once the deadline passes.
 */
export async function waitForHttp(url: string, options: WaitForHttpOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError = 'no answer';
  while (Date.now() < deadline) {
    const early = options.failedEarly?.();
    if (early) throw new Error(early);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      if (!options.requireOk || response.ok) return;
      lastError = `HTTP ${response.status}`;
    } catch (error) {
      lastError = (error as Error).message;
    }
    // Polling a process we do not control: there is no event to wait on.
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
  throw new NotReadyError(`${url}: ${lastError} after ${options.timeoutMs} ms`);
}

export interface StopChildOptions {
  /**
   * How the child is asked to end: a signal, or `'stdin'` (closing its standard input, for a
   * child that holds it open for as long as it should run).
   */
  readonly ask: NodeJS.Signals | 'stdin';
  /** When it is killed with SIGKILL if it has not ended. */
  readonly forceAfterMs: number;
}

/** Asks a child to end and resolves once it has (at once when it already has). */
export function stopChild(child: ChildProcess, options: StopChildOptions): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), options.forceAfterMs);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    if (options.ask === 'stdin') child.stdin?.end();
    else child.kill(options.ask);
  });
}
