import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as cr from 'aws-cdk-lib/custom-resources';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as opensearch from 'aws-cdk-lib/aws-opensearchservice';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { LOG_SHIPPER_ENV, logIndexPrefix } from '../../functions/runtime/contract';
import { AUDIT_ENV, AUDIT_METRIC, auditIndexPrefix } from '../../functions/runtime/contract/audit';
import { METRIC_DIMENSIONS } from '../../functions/runtime/contract/metrics';
import type { IMicroservicePlatform } from '../platform/platform-attributes';
import { acknowledgeWildcardResource } from '../service/nag-findings';
import { PlatformFunction } from '../service/platform-function';
import { registerShipperPermission } from './function-logs';

export interface CentralLogsOptions {
  /**
   * An OpenSearch domain to ship to instead of one the platform creates (another platform's,
   * or one shared by the organisation). The shipper's role must be allowed to write there: give
   * it `es:ESHttpPost`/`es:ESHttpPut`/`es:ESHttpGet` in the domain's access policy and map it to
   * a role with write access to `logs-*` and `audit-*` if the domain uses fine-grained access
   * control (the role's ARN is `CentralLogs.shipper.role.roleArn`).
   * @default - a domain of the platform's own
   */
  readonly domain?: opensearch.IDomain;
  /**
   * Data nodes of the platform's domain.
   * @default - 2 × t3.small.search in two Availability Zones, no dedicated master
   */
  readonly capacity?: opensearch.CapacityConfig;
  /**
   * Storage of each data node, in GiB (gp3).
   * @default 10
   */
  readonly volumeSize?: number;
  /**
   * The domain's fine-grained access control master user (say, an operators' role for
   * OpenSearch Dashboards). It must then map the shipper's role to a role that may write to
   * `logs-*` and `audit-*`.
   * @default - the shipper's role: it puts the templates and policies and writes every index
   */
  readonly masterUserArn?: string;
  /**
   * Days a daily log index lives (ISM policy the shipper puts on first use).
   * @default 30
   */
  readonly indexRetentionDays?: number;
  /**
   * Days a daily audit index lives.
   * @default 400
   */
  readonly auditIndexRetentionDays?: number;
  /**
   * Retention of the audit log group.
   * @default logs.RetentionDays.THIRTEEN_MONTHS
   */
  readonly auditLogRetention?: logs.RetentionDays;
  /**
   * Invocations of the shipper at once. CloudWatch Logs invokes it asynchronously: a burst
   * beyond this waits in Lambda's queue (up to six hours, retried) instead of overwhelming
   * OpenSearch.
   * @default 4
   */
  readonly shipperConcurrency?: number;
  /**
   * Bulk requests one shipper invocation keeps in flight.
   * @default 4
   */
  readonly bulkConcurrency?: number;
}

export interface CentralLogsProps extends CentralLogsOptions {
  readonly platform: IMicroservicePlatform;
}

/**
 * Central logs: every function log group of the platform and its services is subscribed
 * (FunctionLogs) to one log shipper, which indexes the lines into daily OpenSearch indices
 * (`logs-<platform>-*`) and the audit records into `audit-<platform>-*`, and copies audit records
 * into the audit log group. A document OpenSearch keeps refusing goes to the dead-letter queue;
 * an invocation that fails altogether (after Lambda's two retries) goes, whole, to the failed
 * batches queue. Nothing is dropped silently.
 */
export class CentralLogs extends Construct {
  /** The domain logs go to (the platform's own, or the one given). */
  readonly domain: opensearch.IDomain;
  readonly shipper: PlatformFunction;
  /** Documents OpenSearch kept refusing, one message each (enough to redrive them). */
  readonly deadLetterQueue: sqs.Queue;
  /** Whole subscription batches whose invocation failed after Lambda's retries. */
  readonly failedBatchQueue: sqs.Queue;
  /** Audit records only, kept longer than any function's log group. */
  readonly auditLogGroup: logs.LogGroup;
  /** Lets CloudWatch Logs of this account invoke the shipper for any log group. */
  readonly invokePermission: lambda.CfnPermission;
  readonly logIndexPrefix: string;
  readonly auditIndexPrefix: string;

  constructor(scope: Construct, id: string, props: CentralLogsProps) {
    super(scope, id);
    const { platform } = props;
    const stack = Stack.of(this);
    this.logIndexPrefix = logIndexPrefix(platform.platformName);
    this.auditIndexPrefix = auditIndexPrefix(platform.platformName);

    this.deadLetterQueue = this.queue('DeadLetters');
    this.failedBatchQueue = this.queue('FailedBatches');
    this.auditLogGroup = new logs.LogGroup(this, 'AuditLogs', {
      logGroupName: `/${platform.platformName}/${platform.stage}/audit`,
      retention: props.auditLogRetention ?? logs.RetentionDays.THIRTEEN_MONTHS,
      removalPolicy: platform.removalPolicy,
    });
    new logs.MetricFilter(this, 'AuditRecords', {
      logGroup: this.auditLogGroup,
      filterPattern: logs.FilterPattern.exists('$.action'),
      metricNamespace: platform.metricsNamespace,
      metricName: AUDIT_METRIC,
      metricValue: '1',
      dimensions: { [METRIC_DIMENSIONS.service]: '$.service', result: '$.result' },
    });

    this.shipper = new PlatformFunction(this, 'Shipper', {
      platform,
      bundle: 'log-shipper',
      serviceName: 'platform-log-shipper',
      description: `Log shipper of ${platform.platformName}: CloudWatch Logs to OpenSearch`,
      memorySize: 512,
      timeout: Duration.minutes(1),
      reservedConcurrentExecutions: props.shipperConcurrency ?? 4,
      // Its own lines are not shipped: they would ship themselves.
      shipLogs: false,
      environment: {
        [LOG_SHIPPER_ENV.deadLetterQueueUrl]: this.deadLetterQueue.queueUrl,
        [LOG_SHIPPER_ENV.concurrency]: String(props.bulkConcurrency ?? 4),
        [LOG_SHIPPER_ENV.indexPrefix]: this.logIndexPrefix,
        [LOG_SHIPPER_ENV.retentionDays]: String(props.indexRetentionDays ?? 30),
        [AUDIT_ENV.logGroupName]: this.auditLogGroup.logGroupName,
        [AUDIT_ENV.retentionDays]: String(props.auditIndexRetentionDays ?? 400),
      },
    });
    const shipperRole = this.shipper.role;
    this.domain = props.domain ?? this.createDomain(props, shipperRole);
    this.shipper.function.addEnvironment(
      LOG_SHIPPER_ENV.endpoint,
      `https://${this.domain.domainEndpoint}`,
    );
    this.domain.grantReadWrite(shipperRole);
    this.deadLetterQueue.grantSendMessages(shipperRole);
    this.auditLogGroup.grantWrite(shipperRole);
    acknowledgeWildcardResource(
      shipperRole,
      `${this.domain.domainArn}/*`,
      'Every index of the log domain: the shipper writes daily indices it names at run time.',
    );
    acknowledgeWildcardResource(
      shipperRole,
      `${this.auditLogGroup.logGroupArn}:*`,
      "The audit log group's streams (one per day and source), created at run time.",
    );

    this.shipper.function.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: new destinations.SqsDestination(this.failedBatchQueue),
    });

    // One permission for every log group of the account, so a service stack deployed later
    // (or from another app) subscribes its log groups without a platform deployment.
    this.invokePermission = new lambda.CfnPermission(this, 'LogsInvoke', {
      action: 'lambda:InvokeFunction',
      functionName: this.shipper.function.functionArn,
      principal: 'logs.amazonaws.com',
      sourceAccount: stack.account,
      sourceArn: `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:*`,
    });
    registerShipperPermission(this.shipper.function.functionArn, this.invokePermission);
  }

  get logShipperArn(): string {
    return this.shipper.function.functionArn;
  }

  private queue(id: string): sqs.Queue {
    const queue = new sqs.Queue(this, id, {
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    Validations.of(queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself where undelivered logs end up (a dead-letter queue).',
    });
    return queue;
  }

  private createDomain(props: CentralLogsProps, shipperRole: iam.IRole): opensearch.Domain {
    const capacity = props.capacity ?? {
      dataNodes: 2,
      dataNodeInstanceType: 't3.small.search',
      multiAzWithStandbyEnabled: false,
    };
    const dataNodes = capacity.dataNodes ?? 1;
    const domain = new opensearch.Domain(this, 'Domain', {
      version: opensearch.EngineVersion.OPENSEARCH_2_19,
      capacity,
      zoneAwareness: dataNodes > 1 ? { enabled: true, availabilityZoneCount: 2 } : undefined,
      ebs: { volumeSize: props.volumeSize ?? 10, volumeType: ec2.EbsDeviceVolumeType.GP3 },
      encryptionAtRest: { enabled: true },
      nodeToNodeEncryption: true,
      enforceHttps: true,
      tlsSecurityPolicy: opensearch.TLSSecurityPolicy.TLS_1_2,
      fineGrainedAccessControl: { masterUserArn: props.masterUserArn ?? shipperRole.roleArn },
      removalPolicy: props.platform.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    // Who may send a request at all; fine-grained access control decides what each may do.
    domain.addAccessPolicies(
      new iam.PolicyStatement({
        principals: [new iam.ArnPrincipal(shipperRole.roleArn)],
        actions: ['es:ESHttpGet', 'es:ESHttpPost', 'es:ESHttpPut', 'es:ESHttpHead'],
        resources: [`${domain.domainArn}/*`],
      }),
    );
    Validations.of(domain).acknowledge(
      {
        id: 'AwsSolutions-OS1',
        reason:
          'Outside a VPC on purpose: the shipper runs without one (no NAT cost); every request is SigV4-signed, HTTPS only, and checked by fine-grained access control.',
      },
      {
        id: 'AwsSolutions-OS3',
        reason:
          'Access is by IAM identity (the access policy names the shipper role), not by source IP.',
      },
      {
        id: 'AwsSolutions-OS4',
        reason:
          'A two-node log domain needs no dedicated master; give `capacity` with masterNodes for a larger one.',
      },
      ...['SEARCH_SLOW_LOGS', 'INDEX_SLOW_LOGS'].map((log) => ({
        id: `AwsSolutions-OS9[LogExport::${log}]`,
        reason:
          "The domain's own slow logs are not published: it stores logs, and its health is on the dashboard.",
      })),
    );
    // addAccessPolicies runs through the CDK's AwsCustomResource provider (one per stack).
    const provider = Stack.of(this).node.tryFindChild(
      `AWS${cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`,
    );
    if (provider) {
      Validations.of(provider).acknowledge(
        {
          id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
          reason:
            "The CDK's AwsCustomResource provider (one per stack) uses the AWS-managed basic execution role.",
        },
        {
          id: 'AwsSolutions-L1',
          reason: "The CDK's AwsCustomResource provider runtime is chosen by aws-cdk-lib.",
        },
      );
    }
    return domain;
  }
}
