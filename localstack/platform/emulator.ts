import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { freePort } from './ports';

const EMULATOR_DIR = path.resolve(__dirname, '..', 'emulator');
const MOTO_SERVER = path.join(EMULATOR_DIR, '.venv', 'bin', 'moto_server');

/** An AWS API endpoint the platform talks to, and how to let it go. */
export interface Emulator {
  readonly endpoint: string;
  /** True when this process started it (and so stops it). */
  readonly owned: boolean;
  stop(): Promise<void>;
}

export class LocalPlatformError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LocalPlatformError';
  }
}

/**
 * Uses `AWS_ENDPOINT_URL` when set (LocalStack on 4566, or any emulator the user runs);
 * otherwise installs (once) and starts moto in server mode on a free loopback port.
 */
export async function startEmulator(
  options: { endpoint?: string; timeoutMs?: number } = {},
): Promise<Emulator> {
  const given = options.endpoint ?? process.env.AWS_ENDPOINT_URL;
  if (given) {
    await waitForHttp(given, options.timeoutMs ?? 10_000, () => undefined).catch(() => {
      throw new LocalPlatformError(
        `AWS_ENDPOINT_URL=${given} does not answer; start the emulator (e.g. LocalStack) or unset it`,
      );
    });
    return { endpoint: given.replace(/\/$/, ''), owned: false, stop: async () => undefined };
  }
  if (!embeddedEmulatorInstalled()) await installEmbeddedEmulator();
  const port = await freePort();
  const child = spawn(MOTO_SERVER, ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, MOTO_ALLOW_NONEXISTENT_REGION: 'true' },
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${endpoint}/moto-api/data.json`, options.timeoutMs ?? 30_000, () =>
      child.exitCode !== null
        ? `the emulator exited with code ${child.exitCode}: ${lastLine(stderr)}`
        : undefined,
    );
  } catch (error) {
    child.kill('SIGKILL');
    throw new LocalPlatformError(
      `The embedded AWS emulator did not come up: ${(error as Error).message}`,
    );
  }
  return { endpoint, owned: true, stop: () => stopChild(child) };
}

/** Whether moto is in the project's virtualenv (`npm ci` installs it; a start may have to). */
export function embeddedEmulatorInstalled(): boolean {
  return existsSync(MOTO_SERVER);
}

/**
 * Creates `localstack/emulator/.venv` with moto (the setup script is idempotent). pip's output
 * is kept, not shown: only a failure prints its last lines.
 */
export async function installEmbeddedEmulator(): Promise<void> {
  const setup = spawn('bash', [path.join(EMULATOR_DIR, 'setup.sh')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  setup.stdout?.on('data', keep);
  setup.stderr?.on('data', keep);
  const code = await new Promise<number | null>((resolve) => {
    setup.once('error', () => resolve(-1));
    setup.once('close', resolve);
  });
  if (code !== 0 || !embeddedEmulatorInstalled()) {
    throw new LocalPlatformError(
      `Could not install the embedded AWS emulator (needs python3 with venv and pip); run \`npm run emulator:setup\` to see why${
        output.trim() ? `:\n${output.trim().split('\n').slice(-10).join('\n')}` : ''
      }`,
    );
  }
}

async function waitForHttp(
  url: string,
  timeoutMs: number,
  failedEarly: () => string | undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = 'no answer';
  while (Date.now() < deadline) {
    const early = failedEarly();
    if (early) throw new Error(early);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      return;
    } catch (error) {
      lastError = (error as Error).message;
    }
    // Polling a process we do not control: there is no event to wait on.
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url}: ${lastError} after ${timeoutMs} ms`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop() ?? '';
}
