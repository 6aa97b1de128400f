import * as path from 'node:path';
import { LocalPlatformError } from './emulator';
import { PROJECT_ROOT, startLocalPlatform } from './local-platform';

/**
 * `npm start`: the whole platform on 127.0.0.1 with no Docker and no AWS account.
 * Options come from the environment: PORT (default 3000, 0 = any free port), AWS_ENDPOINT_URL
 * (use a running emulator such as LocalStack), LOCAL_CLOUD_ASSEMBLY (run an already synthesized
 * cdk.out instead of synthesizing), LOCAL_STATE_DIR (where logs and platform.json go; default
 * .local), LOCAL_QUIET=1 (do not echo function logs).
 */
async function main(): Promise<void> {
  const started = Date.now();
  const platform = await startLocalPlatform({
    port: process.env.PORT === undefined ? 3000 : Number(process.env.PORT),
    cloudAssemblyDir: process.env.LOCAL_CLOUD_ASSEMBLY
      ? path.resolve(process.env.LOCAL_CLOUD_ASSEMBLY)
      : undefined,
    echoLogs: process.env.LOCAL_QUIET !== '1',
    stateDir: process.env.LOCAL_STATE_DIR ? path.resolve(process.env.LOCAL_STATE_DIR) : undefined,
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
      `Function logs:    ${path.relative(PROJECT_ROOT, platform.logDir)}/`,
      `Started in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      `Platform ready at ${platform.baseUrl}`,
      '',
    ].join('\n'),
  );
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
