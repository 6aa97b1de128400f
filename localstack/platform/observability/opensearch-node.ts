import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { javaServerUnavailable, lastLines, runSetupScript, stopChild } from '../child-service';
import { LOCALSTACK_DIR, toolDir } from '../package-paths';

const OPENSEARCH_DIR = path.join(LOCALSTACK_DIR, 'observability', 'opensearch');
const LAUNCHER_SOURCE = path.join(
  OPENSEARCH_DIR,
  'src/main/java/serverlessmsa/opensearch/LocalOpenSearch.java',
);
/** Where the node is built: beside its pom here, in the user's cache from an installed package. */
const BUILD_DIR = toolDir('opensearch', path.join('localstack', 'observability', 'opensearch'), [
  path.join(OPENSEARCH_DIR, 'pom.xml'),
  LAUNCHER_SOURCE,
]);
const LAUNCHER_JAR = path.join(BUILD_DIR, 'target', 'local-opensearch-1.0.0.jar');
const CLASSPATH_DIR = path.join(BUILD_DIR, 'target', 'lib');

/** A running local OpenSearch node. */
export interface OpenSearchNode {
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

export interface OpenSearchNodeOptions {
  /** Its home: data and the node's own log go here. */
  readonly home: string;
  /** @default 0 (a free port) */
  readonly port?: number;
  /** JVM heap bounds. @default ['-Xms256m', '-Xmx512m'] */
  readonly heap?: readonly string[];
  /** @default 60000 */
  readonly timeoutMs?: number;
}

/** Why the node cannot run here, or undefined when it can (Java and Maven, or a built node). */
export function openSearchUnavailable(): string | undefined {
  return javaServerUnavailable(openSearchBuilt(), 'build it');
}

/** Whether `localstack/observability/opensearch/setup.sh` has built the node. */
export function openSearchBuilt(): boolean {
  return existsSync(LAUNCHER_JAR) && existsSync(CLASSPATH_DIR);
}

/** Builds the node with the project's set-up script (Maven Central once, then ~/.m2). */
export async function buildOpenSearch(): Promise<void> {
  const setup = path.join(OPENSEARCH_DIR, 'setup.sh');
  const { code, output } = await runSetupScript(setup, BUILD_DIR);
  if (code !== 0 || !openSearchBuilt()) {
    throw new Error(
      `building the local OpenSearch node failed (bash ${setup} ${BUILD_DIR}): ${lastLines(output, 3, ' ')}`,
    );
  }
}

/**
 * Starts OpenSearch 2.19.6 embedded in a JVM (LocalOpenSearch.java) on 127.0.0.1, single node,
 * no security, data under `home`. Resolves on the launcher's ready line, which it prints once
 * the HTTP port is bound. The node holds its standard input open for as long as it should run:
 * if this process dies, the node follows.
 */
export async function startOpenSearchNode(options: OpenSearchNodeOptions): Promise<OpenSearchNode> {
  if (!openSearchBuilt()) await buildOpenSearch();
  mkdirSync(options.home, { recursive: true });
  const log = createWriteStream(path.join(options.home, 'opensearch.log'), { flags: 'a' });
  const child = spawn(
    'java',
    [
      ...(options.heap ?? ['-Xms256m', '-Xmx512m']),
      '-XX:+UseSerialGC',
      '-Djava.awt.headless=true',
      '-Dlog4j2.disable.jmx=true',
      '-cp',
      `${LAUNCHER_JAR}${path.delimiter}${path.join(CLASSPATH_DIR, '*')}`,
      'serverlessmsa.opensearch.LocalOpenSearch',
      options.home,
      String(options.port ?? 0),
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  child.stderr?.pipe(log, { end: false });
  const timeoutMs = options.timeoutMs ?? 60_000;
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `the local OpenSearch node was not ready within ${timeoutMs} ms (see ${log.path})`,
        ),
      );
    }, timeoutMs);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      log.write(`${line}\n`);
      const ready = /^opensearch ready (http:\/\/\S+)$/.exec(line);
      if (ready) {
        clearTimeout(timer);
        resolve(ready[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(
        new Error(
          `the local OpenSearch node exited (${code}) before it was ready: ${lastLogLines(log.path as string)}`,
        ),
      );
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
  // Closing its input is the node's signal to close; a node that hangs is killed.
  return {
    url,
    pid: child.pid!,
    stop: () => stopChild(child, { ask: 'stdin', forceAfterMs: 5000 }),
  };
}

function lastLogLines(file: string): string {
  try {
    return lastLines(readFileSync(file, 'utf8'), 3, ' | ');
  } catch {
    return '';
  }
}
