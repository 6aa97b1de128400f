import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { CloudWatchLogsDecodedData } from 'aws-lambda';
import { appendFileSync, existsSync } from 'node:fs';
import * as path from 'node:path';
import { LOG_SHIPPER_ENV } from '../../../functions/runtime/contract';
import { LocalFunction } from '../lambda-runtime';
import { PACKAGE_ROOT } from '../package-paths';
import { phase, type ProgressListener } from '../progress';
import { LogSubscriptions } from './log-subscriptions';
import {
  buildOpenSearch,
  openSearchBuilt,
  openSearchUnavailable,
  startOpenSearchNode,
  type OpenSearchNode,
} from './opensearch-node';

/** The log shipper's bundle: the file the package builds and the construct deploys. */
export const LOG_SHIPPER_BUNDLE = path.join(
  PACKAGE_ROOT,
  'dist',
  'platform-functions',
  'log-shipper',
  'index.js',
);

export interface CentralLogsOptions {
  /** OpenSearch's home (data, its own log). */
  readonly home: string;
  /** The platform's log folder (the shipper's log, failed batches). */
  readonly logDir: string;
  /** @default true */
  readonly enabled?: boolean;
  readonly onProgress?: ProgressListener;
  /**
   * The node's HTTP port, taken before it starts, so functions started meanwhile (the admin
   * API's log views) can be told where it will answer.
   * @default 0 (a free port, known once the node is ready)
   */
  readonly port?: number;
}

/** Where the shipper runs and what it reaches. */
export interface ShipperSettings {
  readonly platformName: string;
  readonly region: string;
  readonly awsEndpoint: string;
  readonly credentials: { accessKeyId: string; secretAccessKey: string };
  /** Extra environment every local function gets (e.g. the SDK's quiet switch). */
  readonly environment?: Record<string, string>;
}

export interface CentralLogsStatus {
  /** The node's URL, or undefined when central logs are off. */
  readonly url?: string;
  /** Why they are off. */
  readonly reason?: string;
}

/**
 * Central logs, locally: a real OpenSearch node, fed by the log shipper's own bundle through
 * CloudWatch-Logs-shaped subscription events made from every function's log lines. The node
 * starts at once, in parallel with the rest of the start-up; lines logged before it is ready
 * wait. Without Java (or Maven to build the node), it stays off and says why.
 */
export class CentralLogs {
  readonly subscriptions = new LogSubscriptions({
    onFailure: (batch, detail) => this.failed(batch, detail),
  });
  private readonly node: Promise<OpenSearchNode | string>;
  /** Where the node will answer (a planned port), or undefined if it will not run. */
  readonly plannedUrl?: string;
  private shipper?: LocalFunction;
  private warnedFailure = false;

  constructor(private readonly options: CentralLogsOptions) {
    const unavailable =
      options.enabled === false ? 'off (LOCAL_OPENSEARCH=0)' : openSearchUnavailable();
    this.node = unavailable !== undefined ? Promise.resolve(unavailable) : this.startNode();
    if (unavailable === undefined && options.port) {
      this.plannedUrl = `http://127.0.0.1:${options.port}`;
    }
    // Nobody may await it before connect(); a failure there is reported, not unhandled.
    this.node.catch(() => undefined);
  }

  /** A line one function wrote (its log group and stream, as CloudWatch would name them). */
  lineLogged(logGroup: string, logStream: string, line: string): void {
    this.subscriptions.add(logGroup, logStream, line);
  }

  /**
   * Waits for the node, creates the shipper's dead-letter queue in the emulator and loads the
   * shipper; from then on, batches flow. Answers the node's URL, or why central logs are off.
   */
  async connect(settings: ShipperSettings): Promise<CentralLogsStatus> {
    let node: OpenSearchNode | string;
    try {
      node = await this.node;
    } catch (error) {
      node = (error as Error).message;
    }
    if (typeof node === 'string') {
      await this.subscriptions.stop();
      return { reason: node };
    }
    if (!existsSync(LOG_SHIPPER_BUNDLE)) {
      const { buildPlatformFunctions } = await import('../../../scripts/build-functions.js');
      await buildPlatformFunctions();
    }
    const sqs = new SQSClient({
      endpoint: settings.awsEndpoint,
      region: settings.region,
      credentials: settings.credentials,
    });
    const queueUrl = (
      await sqs.send(
        new CreateQueueCommand({ QueueName: `${settings.platformName}-log-shipper-dlq` }),
      )
    ).QueueUrl!;
    sqs.destroy();
    const functionName = `${settings.platformName}-log-shipper`;
    const shipper = new LocalFunction(
      {
        logicalId: 'LocalLogShipper',
        functionName,
        arn: `arn:aws:lambda:${settings.region}:123456789012:function:${functionName}`,
        entryFile: LOG_SHIPPER_BUNDLE,
        handlerName: 'handler',
        environment: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          TZ: 'UTC',
          ...settings.environment,
          AWS_REGION: settings.region,
          AWS_DEFAULT_REGION: settings.region,
          AWS_ACCESS_KEY_ID: 'LOCALLogShipper',
          AWS_SECRET_ACCESS_KEY: 'local',
          AWS_ENDPOINT_URL: settings.awsEndpoint,
          AWS_LAMBDA_FUNCTION_NAME: functionName,
          PLATFORM_NAME: settings.platformName,
          POWERTOOLS_SERVICE_NAME: 'platform-log-shipper',
          POWERTOOLS_TRACE_ENABLED: 'false',
          [LOG_SHIPPER_ENV.endpoint]: node.url,
          [LOG_SHIPPER_ENV.deadLetterQueueUrl]: queueUrl,
        },
        timeoutSeconds: 60,
        memorySize: 256,
        logGroupName: `/aws/lambda/${functionName}`,
        label: 'log-shipper',
      },
      // Its own lines are not shipped (as on AWS, its log group has no subscription): no loop.
      { logDir: this.options.logDir, echo: false, maxConcurrency: 2 },
    );
    await shipper.warm();
    this.shipper = shipper;
    this.subscriptions.attach(async (event) => {
      const result = await shipper.invoke(event);
      return { failed: result.functionError !== undefined, detail: result.payload };
    });
    return { url: node.url };
  }

  async stop(): Promise<void> {
    if (this.shipper) {
      // The last lines of the run still go out, within a bound.
      await Promise.race([
        this.subscriptions.stop(),
        new Promise((resolve) => setTimeout(resolve, 5000).unref()),
      ]);
      await this.shipper.stop();
    }
    const node = await this.node.catch(() => undefined);
    if (node && typeof node !== 'string') await node.stop();
  }

  private async startNode(): Promise<OpenSearchNode> {
    if (!openSearchBuilt()) {
      await phase(
        this.options.onProgress,
        'opensearch setup',
        buildOpenSearch,
        () => 'built from Maven Central',
      );
    }
    return startOpenSearchNode({ home: this.options.home, port: this.options.port });
  }

  /** The local on-failure destination: the batch, whole, in a file beside the logs. */
  private failed(batch: CloudWatchLogsDecodedData, detail: unknown): void {
    const file = path.join(this.options.logDir, 'log-shipper-failed.jsonl');
    appendFileSync(file, `${JSON.stringify({ detail, batch })}\n`);
    if (!this.warnedFailure) {
      this.warnedFailure = true;
      process.stderr.write(`serverless-msa: the log shipper failed a batch; kept in ${file}\n`);
    }
  }
}

/** The platform's name, as its functions know it (PLATFORM_NAME); `platform` when none says. */
export function platformNameOf(functions: Iterable<LocalFunction>): string {
  for (const fn of functions) {
    const name = fn.definition.environment.PLATFORM_NAME;
    if (name) return name;
  }
  return 'platform';
}
