import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { freePort } from '../platform/ports';

const HERE = __dirname;
const PYTHON = path.join(HERE, '.venv', 'bin', 'python');

/** The LocalStack version the lane, the Docker suite and docker-compose.yml all use. */
export const LOCALSTACK_VERSION = '4.14.0';

/**
 * What LocalStack 4.14 community serves without Docker (checked): everything else the platform
 * uses goes to the embedded moto emulator through per-service endpoint variables.
 * DynamoDB needs DynamoDB Local (not usable here), Cloud Map, AppConfig and X-Ray are paid tiers.
 */
export const SERVED_IN_HOST_MODE = [
  'ssm',
  'sqs',
  'events',
  'logs',
  'apigateway',
  'cloudformation',
  'secretsmanager',
  'kms',
  'sts',
  'iam',
  's3',
] as const;

/** SDK service ids (as in AWS_ENDPOINT_URL_<ID>) of what it does not serve here. */
export const NOT_SERVED_IN_HOST_MODE = [
  'DYNAMODB',
  'SERVICEDISCOVERY',
  'APPCONFIG',
  'APPCONFIGDATA',
  'XRAY',
] as const;

export interface LocalStackHost {
  readonly endpoint: string;
  readonly version: string;
  /** SIGTERM, then wait for it to exit (it takes 5–6 s to shut its services down). */
  stop(): Promise<void>;
}

export interface LocalStackHostOptions {
  /** Its own folder: state, logs (`localstack.log`). */
  readonly stateDir: string;
  /** @default a free loopback port */
  readonly port?: number;
  /** Extra LocalStack settings (e.g. CFN_IGNORE_UNSUPPORTED_RESOURCE_TYPES). */
  readonly environment?: Record<string, string>;
  /** @default 60_000 */
  readonly timeoutMs?: number;
}

export function localStackHostInstalled(): boolean {
  return existsSync(PYTHON);
}

/** Runs setup.sh (idempotent; installs into localstack/localstack-host/.venv the first time). */
export async function installLocalStackHost(): Promise<void> {
  const code = await new Promise<number | null>((resolve) => {
    const setup = spawn('bash', [path.join(HERE, 'setup.sh')], { stdio: 'inherit' });
    setup.once('error', () => resolve(-1));
    setup.once('close', resolve);
  });
  if (code !== 0) throw new Error(`localstack/localstack-host/setup.sh failed (exit ${code})`);
}

/**
 * Starts LocalStack in host mode (no Docker): `python -m localstack.runtime.main` from the
 * project's virtualenv, bound to loopback, with its files under `stateDir`. Without
 * OVERRIDE_IN_DOCKER, FILESYSTEM_ROOT and DNS_ADDRESS it would write into system folders and
 * could touch the machine's DNS settings.
 */
export async function startLocalStackHost(options: LocalStackHostOptions): Promise<LocalStackHost> {
  if (!localStackHostInstalled()) await installLocalStackHost();
  const port = options.port ?? (await freePort());
  const root = path.resolve(options.stateDir);
  mkdirSync(root, { recursive: true });
  const logFile = path.join(root, 'localstack.log');
  const log = openSync(logFile, 'w');
  const child = spawn(PYTHON, ['-m', 'localstack.runtime.main'], {
    stdio: ['ignore', log, log],
    env: {
      ...withoutAwsEndpoints(process.env),
      OVERRIDE_IN_DOCKER: '0',
      FILESYSTEM_ROOT: root,
      DNS_ADDRESS: '0',
      GATEWAY_LISTEN: `127.0.0.1:${port}`,
      LOCALSTACK_HOST: `localhost:${port}`,
      SQS_ENDPOINT_STRATEGY: 'path',
      SKIP_SSL_CERT_DOWNLOAD: '1',
      DISABLE_EVENTS: '1',
      // The project's host-mode plugins (plugin/): functions are created but not run (no
      // Docker), and DynamoDB is served by LocalStack's moto backend (no DynamoDB Local).
      LAMBDA_RUNTIME_EXECUTOR: 'create-only',
      PROVIDER_OVERRIDE_DYNAMODB: 'moto',
      ...options.environment,
    },
  });
  closeSync(log);
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitUntilReady(endpoint, child, options.timeoutMs ?? 60_000);
    // Its root is S3's ListBuckets, and the first call loads S3 (seconds): longer than the 1 s
    // an emulator probe (startEmulator) allows per attempt. Load it here.
    await (await fetch(`${endpoint}/`, { signal: AbortSignal.timeout(30_000) })).arrayBuffer();
  } catch (error) {
    child.kill('SIGKILL');
    const tail = readFileSync(logFile, 'utf8').trim().split('\n').slice(-8).join('\n');
    throw new Error(`LocalStack (host mode) did not come up: ${(error as Error).message}\n${tail}`);
  }
  return { endpoint, version: LOCALSTACK_VERSION, stop: () => stop(child) };
}

/** LocalStack must not inherit an endpoint meant for its clients (it would call itself). */
function withoutAwsEndpoints(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(env).filter(([name]) => !name.startsWith('AWS_ENDPOINT_URL')),
  );
}

async function waitUntilReady(endpoint: string, child: ChildProcess, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`it exited with code ${child.exitCode}`);
    try {
      const answer = await fetch(`${endpoint}/_localstack/init/ready`, {
        signal: AbortSignal.timeout(1000),
      });
      const body = (await answer.json()) as { completed?: boolean };
      if (answer.ok && body.completed) return;
      last = `ready: ${JSON.stringify(body)}`;
    } catch (error) {
      last = (error as Error).message;
    }
    // Polling a process we do not control: there is no event to wait on.
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${endpoint}: ${last} after ${timeoutMs} ms`);
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
