import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { keepTail, lastLines, runSetupScript, stopChild, waitForHttp } from './child-service';
import { LOCALSTACK_DIR, toolDir } from './package-paths';
import { freePort } from './ports';

const EMULATOR_DIR = path.join(LOCALSTACK_DIR, 'emulator');
/**
 * The virtualenv holding moto: `localstack/emulator/.venv` in this repository (`npm ci` sets it
 * up); for an installed package, a per-user cache keyed by requirements.txt, never the
 * consumer's node_modules.
 */
export const EMULATOR_VENV = toolDir('emulator', path.join('localstack', 'emulator', '.venv'), [
  path.join(EMULATOR_DIR, 'requirements.txt'),
]);
const MOTO_SERVER = path.join(EMULATOR_VENV, 'bin', 'moto_server');

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
    await waitForHttp(given, { timeoutMs: options.timeoutMs ?? 10_000 }).catch(() => {
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
  const stderr = keepTail(child.stderr);
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${endpoint}/moto-api/data.json`, {
      timeoutMs: options.timeoutMs ?? 30_000,
      failedEarly: () =>
        child.exitCode !== null
          ? `the emulator exited with code ${child.exitCode}: ${lastLines(stderr(), 1, '')}`
          : undefined,
    });
  } catch (error) {
    child.kill('SIGKILL');
    throw new LocalPlatformError(
      `The embedded AWS emulator did not come up: ${(error as Error).message}`,
    );
  }
  return {
    endpoint,
    owned: true,
    stop: () => stopChild(child, { ask: 'SIGTERM', forceAfterMs: 3000 }),
  };
}

/** Whether moto is in the virtualenv (`npm ci` installs it here; a first start may have to). */
export function embeddedEmulatorInstalled(): boolean {
  return existsSync(MOTO_SERVER);
}

/**
 * Creates the virtualenv (EMULATOR_VENV) with moto (the setup script is idempotent). pip's
 * output is kept, not shown: only a failure prints its last lines.
 */
export async function installEmbeddedEmulator(): Promise<void> {
  const setup = path.join(EMULATOR_DIR, 'setup.sh');
  const { code, output } = await runSetupScript(setup, EMULATOR_VENV);
  if (code !== 0 || !embeddedEmulatorInstalled()) {
    throw new LocalPlatformError(
      `Could not install the embedded AWS emulator (needs python3 with venv and pip); run \`bash ${setup} ${EMULATOR_VENV}\` to see why${
        output.trim() ? `:\n${lastLines(output, 10, '\n')}` : ''
      }`,
    );
  }
}
