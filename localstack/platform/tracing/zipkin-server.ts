import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import {
  javaServerUnavailable,
  lastLines,
  NotReadyError,
  runSetupScript,
  stopChild,
  waitForHttp,
} from '../child-service';
import { LOCALSTACK_DIR, toolDir } from '../package-paths';
import { freePort } from '../ports';

const ZIPKIN_DIR = path.join(LOCALSTACK_DIR, 'observability', 'zipkin');
/** Where the jar is fetched: beside its pom here, in the user's cache from an installed package. */
const BUILD_DIR = toolDir('zipkin', path.join('localstack', 'observability', 'zipkin'), [
  path.join(ZIPKIN_DIR, 'pom.xml'),
]);
const ZIPKIN_JAR = path.join(BUILD_DIR, 'target', 'zipkin-server.jar');

/** A running local Zipkin server. */
export interface ZipkinServer {
  /** `http://127.0.0.1:<port>`: the UI at `/zipkin/`, the API at `/api/v2/`. */
  readonly url: string;
  /** The process that holds the JVM (its parent). */
  readonly pid: number;
  stop(): Promise<void>;
}

export interface ZipkinServerOptions {
  /** Where the server's own log goes. */
  readonly logFile: string;
  /** @default 0 (a free port) */
  readonly port?: number;
  /** @default 60000 */
  readonly timeoutMs?: number;
}

/** Why Zipkin cannot run here, or undefined when it can (Java, and Maven or a fetched jar). */
export function zipkinUnavailable(): string | undefined {
  return javaServerUnavailable(zipkinInstalled(), 'fetch it');
}

/** Whether `localstack/observability/zipkin/setup.sh` has fetched the server. */
export function zipkinInstalled(): boolean {
  return existsSync(ZIPKIN_JAR);
}

/** Fetches the server with the project's set-up script (Maven Central once, then ~/.m2). */
export async function installZipkin(): Promise<void> {
  const setup = path.join(ZIPKIN_DIR, 'setup.sh');
  const { code, output } = await runSetupScript(setup, BUILD_DIR);
  if (code !== 0 || !zipkinInstalled()) {
    throw new Error(
      `fetching Zipkin failed (bash ${setup} ${BUILD_DIR}): ${lastLines(output, 3, ' ')}`,
    );
  }
}

/**
 * Starts io.zipkin:zipkin-server (in-memory storage) with `java -jar`, bound to 127.0.0.1 only:
 * Armeria's port list replaces Zipkin's default (every interface on QUERY_PORT) with one entry
 * that names the address. A small heap and the client compiler keep it light; it is a
 * development viewer, not a store. Resolves once `/health` answers 200.
 */
export async function startZipkinServer(options: ZipkinServerOptions): Promise<ZipkinServer> {
  if (!zipkinInstalled()) await installZipkin();
  const port = options.port || (await freePort());
  mkdirSync(path.dirname(options.logFile), { recursive: true });
  const log = createWriteStream(options.logFile, { flags: 'a' });
  // A shell holds Zipkin's lifetime to this process: when its standard input closes (stop(), or
  // this process dying in any way) it stops the JVM, so no server outlives its platform.
  const child = spawn(
    'sh',
    [
      '-c',
      'java "$@" & jvm=$!; trap \'kill $jvm 2>/dev/null\' TERM; read _ignored; kill $jvm 2>/dev/null; wait $jvm',
      'zipkin',
      '-Xms32m',
      '-Xmx160m',
      '-Xss512k',
      '-XX:+UseSerialGC',
      '-XX:TieredStopAtLevel=1',
      '-Djava.awt.headless=true',
      '-jar',
      ZIPKIN_JAR,
    ],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        ...(process.env.JAVA_HOME ? { JAVA_HOME: process.env.JAVA_HOME } : {}),
        STORAGE_TYPE: 'mem',
        MEM_MAX_SPANS: '100000',
        ARMERIA_PORTS_0_IP: '127.0.0.1',
        ARMERIA_PORTS_0_PORT: String(port),
        ARMERIA_PORTS_0_PROTOCOLS_0: 'http',
        // Self-tracing and the collectors this platform does not use stay off.
        SELF_TRACING_ENABLED: 'false',
        COLLECTOR_SCRIBE_ENABLED: 'false',
        COLLECTOR_RABBITMQ_ENABLED: 'false',
        COLLECTOR_KAFKA_ENABLED: 'false',
        COLLECTOR_ACTIVEMQ_ENABLED: 'false',
      },
    },
  );
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const url = `http://127.0.0.1:${port}`;
  let exited: number | null | undefined;
  child.once('exit', (code) => {
    exited = code;
  });
  const stop = async () => {
    if (exited !== undefined) return;
    await stopChild(child, { ask: 'stdin', forceAfterMs: 5000 });
    log.end();
  };
  const timeoutMs = options.timeoutMs ?? 60_000;
  try {
    await waitForHttp(`${url}/health`, {
      timeoutMs,
      intervalMs: 250,
      requireOk: true,
      failedEarly: () =>
        exited !== undefined
          ? `Zipkin exited with code ${exited} (see ${options.logFile})`
          : undefined,
    });
  } catch (error) {
    if (!(error instanceof NotReadyError)) throw error;
    await stop();
    throw new Error(`Zipkin was not ready within ${timeoutMs} ms (see ${options.logFile})`);
  }
  return { url, pid: child.pid!, stop };
}
