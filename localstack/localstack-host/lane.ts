/**
 * `npm run test:localstack`: the LocalStack lane. Starts LocalStack 4.14 in host mode (no Docker)
 * and the embedded moto emulator, runs the integration project with AWS_ENDPOINT_URL at LocalStack
 * and per-service endpoint variables at moto for what LocalStack does not serve here, then prints
 * which test files reached LocalStack, service by service. Then runs the pytest suite
 * (localstack/tests) against the same LocalStack. Fails when a request for a service LocalStack
 * serves went anywhere else, or when no test reached LocalStack at all.
 *
 * LANE_SKIP_PYTEST=1 runs the vitest part only.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { startEmulator, type Emulator } from '../platform/emulator';
import {
  NOT_SERVED_IN_HOST_MODE,
  SERVED_IN_HOST_MODE,
  startLocalStackHost,
  type LocalStackHost,
} from './localstack-host';

const ROOT = path.resolve(__dirname, '..', '..');
const STATE = path.join(ROOT, '.local', 'localstack-host', 'lane');
const REPORT = path.join(STATE, 'endpoints');

interface FileReport {
  readonly file: string;
  /** signing service -> destination URL -> requests */
  readonly requests: Record<string, Record<string, number>>;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ROOT, env, stdio: 'inherit' });
    child.once('error', () => resolve(-1));
    child.once('close', (code) => resolve(code ?? -1));
  });
}

/** One line per test file: each service it called and where that went. Returns the problems. */
export function summarize(
  reports: readonly FileReport[],
  endpoints: { localstack: string; moto: string },
  print: (line: string) => void,
): string[] {
  // LocalStack hands out queue URLs under LOCALSTACK_HOST (localhost:<port>): the same server.
  const same = (url: string, endpoint: string) =>
    url === endpoint || url === endpoint.replace('//127.0.0.1:', '//localhost:');
  const label = (url: string) =>
    same(url, endpoints.localstack) ? 'LocalStack' : same(url, endpoints.moto) ? 'moto' : url;
  const served = new Set<string>(SERVED_IN_HOST_MODE);
  // Signing names of what it does not serve (AppConfigData signs as appconfig).
  const notServed = new Set(['dynamodb', 'servicediscovery', 'appconfig', 'xray']);
  const problems: string[] = [];
  let reachedLocalStack = 0;
  for (const report of [...reports].sort((a, b) => a.file.localeCompare(b.file))) {
    const parts: string[] = [];
    let onLocalStack = false;
    for (const [service, destinations] of Object.entries(report.requests).sort()) {
      const byLabel = new Map<string, number>();
      for (const [url, count] of Object.entries(destinations)) {
        byLabel.set(label(url), (byLabel.get(label(url)) ?? 0) + count);
      }
      for (const [url, count] of byLabel) {
        parts.push(`${service}->${url}(${count})`);
        if (url === 'LocalStack') onLocalStack = true;
        if (served.has(service) && url === 'moto') {
          problems.push(`${report.file}: ${service} went to moto, not LocalStack`);
        }
        if (notServed.has(service) && url === 'LocalStack') {
          problems.push(
            `${report.file}: ${service} went to LocalStack, which does not serve it here (a client given AWS_ENDPOINT_URL as its endpoint?)`,
          );
        }
      }
    }
    if (onLocalStack) reachedLocalStack++;
    print(
      `localstack-lane ${onLocalStack ? 'LOCALSTACK' : 'elsewhere '} ${report.file}  ${
        parts.join(' ') || '(no AWS requests)'
      }`,
    );
  }
  print(
    `localstack-lane ${reachedLocalStack} of ${reports.length} test files ran against LocalStack`,
  );
  if (reachedLocalStack === 0) problems.push('no test file reached LocalStack');
  return problems;
}

async function main(): Promise<number> {
  const started = Date.now();
  // The lane chooses every endpoint itself; the caller's would mix in another emulator.
  for (const name of Object.keys(process.env)) {
    if (name.startsWith('AWS_ENDPOINT_URL')) delete process.env[name];
  }
  rmSync(STATE, { recursive: true, force: true });
  let localstack: LocalStackHost | undefined;
  let moto: Emulator | undefined;
  try {
    localstack = await startLocalStackHost({
      stateDir: path.join(STATE, 'localstack'),
      environment: { CFN_IGNORE_UNSUPPORTED_RESOURCE_TYPES: '1' },
    });
    moto = await startEmulator();
    console.log(
      `localstack-lane LocalStack ${localstack.version} (host mode) at ${localstack.endpoint}; moto at ${moto.endpoint} for ${NOT_SERVED_IN_HOST_MODE.join(', ')}`,
    );
    const endpoints: NodeJS.ProcessEnv = { AWS_ENDPOINT_URL: localstack.endpoint };
    for (const service of NOT_SERVED_IN_HOST_MODE) {
      endpoints[`AWS_ENDPOINT_URL_${service}`] = moto.endpoint;
    }
    // The breaker's tests run on dynalite by design (DynamoDB concurrency), never on an
    // emulator LocalStack could stand in for; they stay in the main run.
    const vitest = await run(
      'npx',
      [
        'vitest',
        'run',
        '--project',
        'integration',
        '--exclude',
        'test/integration/resilience/**',
        ...process.argv.slice(2),
      ],
      { ...process.env, ...endpoints, ENDPOINT_REPORT_DIR: REPORT },
    );
    const reports = readdirSync(REPORT, { withFileTypes: true })
      .filter((entry) => entry.isFile() && entry.name.endsWith('.json'))
      .map(
        (entry) => JSON.parse(readFileSync(path.join(REPORT, entry.name), 'utf8')) as FileReport,
      );
    const problems = summarize(
      reports,
      { localstack: localstack.endpoint, moto: moto.endpoint },
      (line) => console.log(line),
    );
    for (const problem of problems) console.error(`localstack-lane FAIL ${problem}`);

    let pytest = 0;
    if (process.env.LANE_SKIP_PYTEST !== '1') {
      // A fresh LocalStack: the integration tests created parameters and tables under the
      // names the deploy uses.
      await localstack.stop();
      localstack = await startLocalStackHost({
        stateDir: path.join(STATE, 'localstack-deploy'),
        environment: { CFN_IGNORE_UNSUPPORTED_RESOURCE_TYPES: '1' },
      });
      // The Docker users' suite, on this host-mode LocalStack: it deploys the example app with
      // cdklocal and checks what was created; its Docker-only files are not collected here.
      pytest = await run(
        path.join(__dirname, '.venv', 'bin', 'python'),
        ['-m', 'pytest', 'localstack/tests', '-q', '-p', 'no:cacheprovider'],
        { ...process.env, LOCALSTACK_ENDPOINT: localstack.endpoint, PYTHONDONTWRITEBYTECODE: '1' },
      );
      // 5 is pytest's "no tests collected": here that is a failure, not a pass.
      if (pytest === 5) console.error('localstack-lane FAIL the pytest suite collected no tests');
    }
    console.log(`localstack-lane done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    return vitest !== 0 || problems.length > 0 || pytest !== 0 ? 1 : 0;
  } finally {
    await moto?.stop();
    await localstack?.stop();
  }
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`localstack-lane FAIL ${(error as Error).message}`);
      process.exit(1);
    },
  );
}
