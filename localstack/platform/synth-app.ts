import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { LocalPlatformError } from './emulator';

/** A CDK app as `cdk.json` names it: the command that runs it, where, and its context. */
export interface CdkApp {
  /** Shell command that runs the app (cdk.json's `app`). */
  readonly command: string;
  /** Folder it runs in (the one holding cdk.json). */
  readonly dir: string;
  /** cdk.context.json, then cdk.json's `context` (the CLI's order: the latter wins). */
  readonly context: Record<string, unknown>;
}

/**
 * Reads the app of the project in `dir` from its cdk.json, as the CDK CLI does; `command`
 * (`--app`) overrides cdk.json's `app`, and then cdk.json may be absent.
 */
export function readCdkApp(dir: string, command?: string): CdkApp {
  const cdkJson = path.join(dir, 'cdk.json');
  const settings = existsSync(cdkJson)
    ? (JSON.parse(readFileSync(cdkJson, 'utf8')) as { app?: unknown; context?: unknown })
    : {};
  const app = command ?? settings.app;
  if (typeof app !== 'string' || app.trim() === '') {
    throw new LocalPlatformError(
      `No CDK app to run: ${existsSync(cdkJson) ? `${cdkJson} has no "app"` : `no cdk.json in ${dir}`}; pass --app "<command>"`,
    );
  }
  const contextFile = path.join(dir, 'cdk.context.json');
  const saved = existsSync(contextFile)
    ? (JSON.parse(readFileSync(contextFile, 'utf8')) as Record<string, unknown>)
    : {};
  const context = {
    ...saved,
    ...((settings.context ?? {}) as Record<string, unknown>),
  };
  return { command: app, dir, context };
}

/**
 * Synthesizes the app into `outdir` the way the CDK CLI drives an app: it runs the app's command
 * with `CDK_OUTDIR` and `CDK_CONTEXT_JSON` set (an `App` then synthesizes on its own when the
 * program ends), asking for asset metadata, which tells the local platform where each
 * function's bundle is. No CDK CLI is needed in the app's project.
 */
export async function synthesizeApp(app: CdkApp, outdir: string): Promise<string> {
  const child = spawn(app.command, {
    cwd: app.dir,
    shell: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      ...process.env,
      CDK_OUTDIR: outdir,
      CDK_CONTEXT_JSON: JSON.stringify({
        ...app.context,
        'aws:cdk:enable-asset-metadata': true,
        'aws:cdk:enable-path-metadata': true,
      }),
    },
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => {
    child.once('error', () => resolve(-1));
    child.once('exit', resolve);
  });
  if (code !== 0 || !existsSync(path.join(outdir, 'manifest.json'))) {
    throw new LocalPlatformError(
      `The app (${app.command}) did not synthesize (exit ${code}):\n${stderr.trim().split('\n').slice(-15).join('\n')}`,
    );
  }
  return outdir;
}
