import { Duration, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { PLATFORM_ENV } from '../../functions/runtime/contract';
import { FunctionLogs } from '../observability/function-logs';
import type { IMicroservicePlatform } from '../platform/platform-attributes';
import { PlatformTarget } from '../platform/platform-target';
import {
  BUNDLING,
  PLATFORM_BUNDLE_HANDLER,
  type PlatformBundleName,
  platformBundleCode,
} from './platform-bundles';

export interface PlatformFunctionProps {
  readonly platform: IMicroservicePlatform;
  /**
   * Path of the handler's TypeScript entry file (it exports `handler`), bundled by esbuild at
   * synth: a service's own code. Give exactly one of `entry` and `bundle`.
   * @default - none
   */
  readonly entry?: string;
  /**
   * One of the platform's own functions, deployed from the bundle pre-built inside the package
   * (nothing is bundled at synth). Give exactly one of `entry` and `bundle`.
   * @default - none
   */
  readonly bundle?: PlatformBundleName;
  /** Name in logs, metrics and traces (`POWERTOOLS_SERVICE_NAME`). */
  readonly serviceName: string;
  readonly description: string;
  /**
   * Memory, in MiB.
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * Time limit of one invocation.
   * @default Duration.seconds(10)
   */
  readonly timeout?: Duration;
  /**
   * Environment variables beyond the platform's.
   * @default - none
   */
  readonly environment?: Record<string, string>;
  /**
   * Concurrency reserved (and capped) for the function.
   * @default - unreserved
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Subscribe the function's log group to the platform's log shipper (central logs). Its ERROR
   * lines are counted either way.
   * @default true
   */
  readonly shipLogs?: boolean;
}

/**
 * A function as every part of the platform runs one: Node.js 22 on arm64, minified (the
 * platform's own functions pre-built in the package, a service's bundled by esbuild at synth),
 * active tracing (none on LocalStack), the Powertools environment, its own log group with the
 * platform's retention, and a role that may write to that log group and nothing else until
 * someone grants it more.
 */
export class PlatformFunction extends Construct {
  readonly function: lambda.Function;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  /** The name it logs and publishes metrics under. */
  readonly serviceName: string;

  constructor(scope: Construct, id: string, props: PlatformFunctionProps) {
    super(scope, id);
    this.serviceName = props.serviceName;
    const { platform } = props;
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: platform.logRetention,
      removalPolicy: platform.removalPolicy,
    });
    // An explicit role instead of the AWSLambdaBasicExecutionRole managed policy.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role: ${props.description}`,
    });
    this.logGroup.grantWrite(this.role);
    // Shipped to central logs (in whichever stack the function lives) and its errors counted.
    new FunctionLogs(this, 'LogsObserved', {
      platform,
      logGroup: this.logGroup,
      serviceName: props.serviceName,
      ship: props.shipLogs,
    });

    if ((props.entry === undefined) === (props.bundle === undefined)) {
      throw new Error(`PlatformFunction ${id} needs exactly one of 'entry' and 'bundle'`);
    }
    const onAws = platform.target === PlatformTarget.AWS;
    // Everything but the code: the same for a pre-built bundle and a service entry.
    const settings = {
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(10),
      // LocalStack's community tier has no X-Ray: no tracing config, and the Tracer is off there.
      tracing: onAws ? lambda.Tracing.ACTIVE : undefined,
      role: this.role,
      logGroup: this.logGroup,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      description: props.description,
      environment: {
        [PLATFORM_ENV.platformName]: platform.platformName,
        [PLATFORM_ENV.stage]: platform.stage,
        [PLATFORM_ENV.powertoolsServiceName]: props.serviceName,
        [PLATFORM_ENV.powertoolsMetricsNamespace]: platform.metricsNamespace,
        [PLATFORM_ENV.powertoolsLogLevel]: platform.logLevel,
        NODE_OPTIONS: '--enable-source-maps',
        ...(onAws ? {} : { [PLATFORM_ENV.powertoolsTraceDisabled]: 'true' }),
        ...props.environment,
      },
    } satisfies lambda.FunctionOptions & { runtime: lambda.Runtime };
    this.function =
      props.bundle !== undefined
        ? new lambda.Function(this, 'Resource', {
            ...settings,
            code: platformBundleCode(props.bundle),
            handler: PLATFORM_BUNDLE_HANDLER,
          })
        : new nodejs.NodejsFunction(this, 'Resource', {
            ...settings,
            entry: props.entry,
            handler: 'handler',
            bundling: BUNDLING,
          });

    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray PutTraceSegments and PutTelemetryRecords accept no resource but *.',
    });
    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Pinned to nodejs22.x on purpose (DESIGN.md decision 2): upgrades follow the toolchain, not the newest runtime.',
    });
  }
}
