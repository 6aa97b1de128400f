import * as path from 'node:path';
import { LocalPlatformError } from './emulator';
import { PROJECT_ROOT, QUIET_SDK, startLocalPlatform } from './local-platform';
import { consoleProgress } from './progress';
import { readCdkApp } from './synth-app';
import { displayPath } from './state-lock';

/**
 * `npm start`: the whole platform on 127.0.0.1 with no Docker and no AWS account.
 * Options come from the environment: PORT (default 3000, 0 = any free port), AWS_ENDPOINT_URL
 * (use a running emulator such as LocalStack), LOCAL_CLOUD_ASSEMBLY (run an already synthesized
 * cdk.out instead of synthesizing), LOCAL_APP_DIR (the project whose cdk.json names the app;
 * default this repository) and LOCAL_APP (the app's command instead), LOCAL_STATE_DIR (where logs and platform.json go; default
 * .local), LOCAL_KEEP_LOGS (earlier runs' log folders kept; default 5), LOCAL_QUIET=1 (do not
 * echo function logs), LOCAL_OPENSEARCH=0 (no local OpenSearch node: central logs left out).
 */
async function main(): Promise<void> {
  const started = Date.now();
  // The platform's own SDK clients run on this Node too (see QUIET_SDK); a user's explicit
  // setting wins.
  for (const [name, value] of Object.entries(QUIET_SDK)) process.env[name] ??= value;
  const stateDir = path.resolve(process.env.LOCAL_STATE_DIR ?? path.join(PROJECT_ROOT, '.local'));
  const printPhase = consoleProgress();
  let phases = 0;
  const platform = await startLocalPlatform({
    port: process.env.PORT === undefined ? 3000 : Number(process.env.PORT),
    cloudAssemblyDir: process.env.LOCAL_CLOUD_ASSEMBLY
      ? path.resolve(process.env.LOCAL_CLOUD_ASSEMBLY)
      : undefined,
    // The app of cdk.json in LOCAL_APP_DIR (this repository: the example app), or LOCAL_APP.
    app: readCdkApp(process.env.LOCAL_APP_DIR ?? PROJECT_ROOT, process.env.LOCAL_APP || undefined),
    echoLogs: process.env.LOCAL_QUIET !== '1',
    stateDir,
    keepLogRuns: keptLogRuns(process.env.LOCAL_KEEP_LOGS),
    centralLogs: process.env.LOCAL_OPENSEARCH !== '0',
    // The heading waits for the first phase: a refused start prints its one line and nothing else.
    onProgress: (finished) => {
      if (phases++ === 0) process.stdout.write('Starting the local platform, phase by phase:\n');
      printPhase(finished);
    },
  });
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`Stopping the platform (${signal})\n`);
    platform.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.stdout.write(
    [
      `AWS API emulator: ${platform.awsEndpoint}`,
      `Lambda API:       ${platform.lambdaEndpoint}`,
      `Function logs:    ${displayPath(platform.logDir)}/`,
      ...(platform.openSearchUrl
        ? [`Central logs:     ${platform.openSearchUrl} (npm run logs -- --help)`]
        : []),
      `Started in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      `Platform ready at ${platform.baseUrl}`,
      '',
    ].join('\n'),
  );
}

function keptLogRuns(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^[1-9]\d*$/.test(value)) {
    throw new LocalPlatformError(`LOCAL_KEEP_LOGS must be a whole number ≥ 1, not "${value}"`);
  }
  return Number(value);
}

main().catch((error: unknown) => {
  const message =
    error instanceof LocalPlatformError
      ? error.message
      : error instanceof Error
        ? (error.stack ?? error.message)
        : String(error);
  process.stderr.write(`serverless-msa: ${message}\n`);
  process.exit(1);
});
