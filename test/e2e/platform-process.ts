import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';

export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

export interface PlatformProcess {
  readonly child: ChildProcess;
  readonly baseUrl: string;
  readonly stateDir: string;
  readonly document: {
    baseUrl: string;
    awsEndpoint: string;
    lambdaEndpoint: string;
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
      env: { ...process.env, PORT: '0', LOCAL_QUIET: '1', LOCAL_STATE_DIR: stateDir, ...env },
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
