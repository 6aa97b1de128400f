#!/usr/bin/env node
import * as path from 'node:path';

/**
 * `serverless-msa start [--app "<command>"] [--port <n>] [--state-dir <dir>] [--quiet]`: runs
 * every stack of a CDK app on this machine — the app of cdk.json in the current folder, or the
 * one `--app` names (as `cdk --app`). This repository's `npm start` is this command on the example
 * app. The options map onto the environment `npm start` reads (PORT, LOCAL_STATE_DIR,
 * LOCAL_QUIET), which stays the way to set everything else.
 */
const USAGE =
  'usage: serverless-msa start [--app "<command>"] [--port <n>] [--state-dir <dir>] [--quiet]';

export interface StartArguments {
  readonly app?: string;
  readonly port?: string;
  readonly stateDir?: string;
  readonly quiet: boolean;
}

/** Parses the command line; throws a one-line message on anything it does not know. */
export function parseArguments(argv: readonly string[]): StartArguments {
  const [command, ...rest] = argv;
  if (command !== 'start') throw new Error(USAGE);
  const values = new Map<string, string>();
  let quiet = false;
  for (let index = 0; index < rest.length; index++) {
    const argument = rest[index];
    if (argument === '--quiet') {
      quiet = true;
      continue;
    }
    const [name, inline] = argument.split(/=(.*)/s, 2);
    if (!['--app', '--port', '--state-dir'].includes(name)) {
      throw new Error(`unknown option '${argument}'; ${USAGE}`);
    }
    const value = inline ?? rest[++index];
    if (value === undefined || value === '') throw new Error(`${name} needs a value; ${USAGE}`);
    values.set(name, value);
  }
  const port = values.get('--port');
  if (port !== undefined && !/^\d{1,5}$/.test(port)) {
    throw new Error(`--port must be a port number (0 picks a free one); got '${port}'`);
  }
  return {
    app: values.get('--app'),
    port,
    stateDir: values.get('--state-dir'),
    quiet,
  };
}

function main(): void {
  let parsed: StartArguments;
  try {
    parsed = parseArguments(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`serverless-msa: ${(error as Error).message}\n`);
    process.exit(2);
  }
  // The app's project is the current folder; its state goes in its own .local folder.
  process.env.LOCAL_APP_DIR ??= process.cwd();
  if (parsed.app) process.env.LOCAL_APP = parsed.app;
  if (parsed.port) process.env.PORT = parsed.port;
  if (parsed.stateDir) process.env.LOCAL_STATE_DIR = path.resolve(parsed.stateDir);
  process.env.LOCAL_STATE_DIR ??= path.join(process.cwd(), '.local');
  if (parsed.quiet) process.env.LOCAL_QUIET = '1';
  // start.ts reads the environment set above and runs at once.
  void import('./start.js');
}

if (require.main === module) main();
