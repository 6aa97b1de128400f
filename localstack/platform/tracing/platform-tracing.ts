import * as path from 'node:path';
import { phase, type ProgressListener } from '../progress';
import { LocalTracing } from './local-tracing';
import { ZipkinReporter } from './zipkin-reporter';
import {
  startZipkinServer,
  zipkinInstalled,
  installZipkin,
  zipkinUnavailable,
  type ZipkinServer,
} from './zipkin-server';

/** Tracing for one running local platform: the collector and the Zipkin server it feeds. */
export interface PlatformTracing {
  /** Undefined when tracing is left out (no Java, or LOCAL_TRACING=off): the Tracer stays off. */
  readonly collector?: LocalTracing;
  /** Zipkin's URL once it serves; undefined when it is left out or failed to start (said once). */
  readonly zipkinUrl: Promise<string | undefined>;
  /**
   * Where Zipkin will serve, known before it does (what the console links traces to); undefined
   * when tracing is left out.
   */
  readonly plannedZipkinUrl?: string;
  stop(): Promise<void>;
}

export interface PlatformTracingOptions {
  /** Zipkin's own log goes here (`zipkin.log`). */
  readonly logDir: string;
  readonly onProgress?: ProgressListener;
  /** One line about what was left out, and why. @default stderr */
  readonly notice?: (line: string) => void;
  /** @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * Zipkin's port on 127.0.0.1.
   * @default 0 (a free one, known only once it serves)
   */
  readonly zipkinPort?: number;
}

/**
 * Starts tracing beside the rest of the platform: the collector at once (functions need its
 * daemon addresses), Zipkin in the background (a JVM takes seconds; it starts while the emulator,
 * provisioning and functions do). Spans that arrive before Zipkin is ready wait for it.
 */
export function startPlatformTracing(options: PlatformTracingOptions): PlatformTracing {
  const notice =
    options.notice ?? ((line: string) => process.stderr.write(`serverless-msa: ${line}\n`));
  const env = options.env ?? process.env;
  const leftOut = env.LOCAL_TRACING === 'off' ? 'LOCAL_TRACING=off' : zipkinUnavailable();
  if (leftOut) {
    notice(`started without tracing (${leftOut}): no local Zipkin, the functions' Tracer is off`);
    return { zipkinUrl: Promise.resolve(undefined), stop: async () => undefined };
  }
  const reporter = new ZipkinReporter();
  const collector = new LocalTracing(reporter);
  let server: ZipkinServer | undefined;
  let stopped = false;
  const zipkinUrl = (async () => {
    if (!zipkinInstalled()) {
      await phase(
        options.onProgress,
        'zipkin setup',
        installZipkin,
        () => 'fetched from Maven Central into localstack/observability/zipkin/target',
      );
    }
    server = await phase(
      options.onProgress,
      'zipkin',
      () =>
        startZipkinServer({
          logFile: path.join(options.logDir, 'zipkin.log'),
          port: options.zipkinPort,
        }),
      (started) => `${started.url}/zipkin/ (started in parallel)`,
    );
    if (stopped) {
      await server.stop();
      return undefined;
    }
    reporter.connect(server.url);
    return server.url;
  })().catch((error: unknown) => {
    notice(`traces are not collected: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  });
  return {
    collector,
    zipkinUrl,
    plannedZipkinUrl: options.zipkinPort ? `http://127.0.0.1:${options.zipkinPort}` : undefined,
    stop: async () => {
      stopped = true;
      await reporter.close();
      await collector.close();
      await server?.stop();
    },
  };
}
