import { Duration } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as opensearch from 'aws-cdk-lib/aws-opensearchservice';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import {
  DefaultDashboardFactory,
  MonitoringFacade,
  OpenSearchClusterStatus,
  SnsAlarmActionStrategy,
} from 'cdk-monitoring-constructs';
import { Construct } from 'constructs';
import { CIRCUIT_METRICS, METRIC_DIMENSIONS } from '../../functions/runtime/contract/metrics';
import { serviceErrorsMetric } from './function-logs';

export interface ObservabilityDashboardProps {
  /** The dashboard's name; also the prefix of every alarm's name. */
  readonly dashboardName: string;
  /** Where every alarm of this dashboard goes. */
  readonly alertTopic: sns.ITopic;
  /** The platform's metrics namespace (service errors, circuits, the shipper). */
  readonly metricsNamespace: string;
  /**
   * ERROR lines per minute of one service at or above which its error alarm fires (in 3 of 5
   * minutes).
   * @default 5
   */
  readonly errorsPerMinuteThreshold?: number;
}

/**
 * One CloudWatch dashboard (cdk-monitoring-constructs' MonitoringFacade) with alarms that all go
 * to the platform's alert topic. The platform has one; each service stack has its own (a
 * dashboard is one resource whose whole body one stack owns: two stacks writing one dashboard
 * would overwrite each other's widgets at every deployment). Their names share the platform's
 * prefix, so the console lists them together.
 */
export class ObservabilityDashboard extends Construct {
  readonly facade: MonitoringFacade;
  private readonly props: ObservabilityDashboardProps;

  constructor(scope: Construct, id: string, props: ObservabilityDashboardProps) {
    super(scope, id);
    this.props = props;
    this.facade = new MonitoringFacade(this, 'Facade', {
      alarmFactoryDefaults: {
        alarmNamePrefix: props.dashboardName,
        actionsEnabled: true,
        action: new SnsAlarmActionStrategy({ onAlarmTopic: props.alertTopic }),
        datapointsToAlarm: 3,
        evaluationPeriods: 5,
      },
      metricFactoryDefaults: { namespace: props.metricsNamespace },
      dashboardFactory: new DefaultDashboardFactory(this, 'Dashboards', {
        dashboardNamePrefix: props.dashboardName,
        createDashboard: true,
        createSummaryDashboard: false,
        createAlarmDashboard: false,
      }),
    });
  }

  /** The dashboard itself. */
  get dashboard(): cloudwatch.Dashboard | undefined {
    return (this.facade.dashboardFactory as DefaultDashboardFactory | undefined)?.dashboard;
  }

  header(text: string): this {
    this.facade.addLargeHeader(text);
    return this;
  }

  /** The gateway: requests, 4xx/5xx, latency; alarms on 5xx rate and p99 latency. */
  monitorGateway(api: apigw.IRestApi, stage: string): this {
    this.facade.monitorApiGateway({
      api,
      apiStage: stage,
      alarmFriendlyName: 'Gateway',
      add5XXFaultRateAlarm: { Critical: { maxErrorRate: 0.05 } },
      addLatencyP99Alarm: { Warning: { maxLatency: Duration.seconds(5) } },
    });
    return this;
  }

  /**
   * A function: invocations, errors, throttles, duration; an alarm on its fault rate.
   * With `serviceName`, also the service's ERROR lines (metric filter) with a rate alarm.
   */
  monitorFunction(fn: lambda.IFunction, title: string, serviceName?: string): this {
    this.facade.monitorLambdaFunction({
      lambdaFunction: fn,
      humanReadableName: title,
      alarmFriendlyName: title,
      // Throttles show on the graph; an alarm each would double the stack's alarms.
      addFaultRateAlarm: { Critical: { maxErrorRate: 0.05 } },
    });
    if (serviceName !== undefined) {
      const threshold = this.props.errorsPerMinuteThreshold ?? 5;
      this.facade.monitorCustom({
        alarmFriendlyName: `${title} errors`,
        humanReadableName: `${title}: errors logged (by fingerprint in OpenSearch: npm run logs -- --top-errors)`,
        metricGroups: [
          {
            title: 'ERROR lines / minute',
            metrics: [
              {
                metric: serviceErrorsMetric(this.props.metricsNamespace, serviceName),
                alarmFriendlyName: `${serviceName}-errors`,
                addAlarm: {
                  Critical: {
                    threshold,
                    comparisonOperator:
                      cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                    treatMissingDataOverride: cloudwatch.TreatMissingData.NOT_BREACHING,
                  },
                },
              },
            ],
          },
        ],
      });
    }
    return this;
  }

  /** A table: capacity used, latency, throttles, and an alarm on system errors. */
  monitorTable(table: dynamodb.ITable, title: string): this {
    this.facade.monitorDynamoTable({
      table,
      humanReadableName: title,
      alarmFriendlyName: title,
      // On-demand tables rarely throttle (shown on the graph); system errors are DynamoDB's own.
      addSystemErrorCountAlarm: { Warning: { maxErrorCount: 0 } },
    });
    return this;
  }

  /** A queue that only holds what failed: any message in it alarms. */
  monitorDeadLetterQueue(queue: sqs.IQueue, title: string): this {
    this.facade.monitorSqsQueue({
      queue,
      humanReadableName: title,
      alarmFriendlyName: title,
      addQueueMaxSizeAlarm: {
        Critical: { maxMessageCount: 0, datapointsToAlarm: 1, evaluationPeriods: 1 },
      },
    });
    return this;
  }

  /** A work queue and its dead-letter queue: backlog age, and any dead letter alarms. */
  monitorQueueWithDeadLetters(queue: sqs.IQueue, deadLetterQueue: sqs.IQueue, title: string): this {
    this.facade.monitorSqsQueueWithDlq({
      queue,
      deadLetterQueue,
      humanReadableName: title,
      alarmFriendlyName: title,
      addQueueMaxMessageAgeAlarm: { Warning: { maxAgeInSeconds: 15 * 60 } },
      addDeadLetterQueueMaxSizeAlarm: {
        Critical: { maxMessageCount: 0, datapointsToAlarm: 1, evaluationPeriods: 1 },
      },
    });
    return this;
  }

  /** The log domain: cluster status, storage, CPU and JVM pressure, blocked writes. */
  monitorDomain(domain: opensearch.IDomain): this {
    this.facade.monitorOpenSearchCluster({
      domain,
      humanReadableName: 'Log domain',
      alarmFriendlyName: 'LogDomain',
      addClusterStatusAlarm: { Critical: { status: OpenSearchClusterStatus.RED } },
      addDiskSpaceUsageAlarm: { Warning: { maxUsagePercent: 80 } },
      addJvmMemoryPressureAlarm: { Warning: { maxUsagePercent: 85 } },
      addClusterIndexWritesBlockedAlarm: { Critical: { maxBlockedWrites: 0 } },
    });
    return this;
  }

  /** What the shipper counted: documents sent, delivered and dead-lettered. */
  monitorLogShipper(): this {
    const metric = (name: string) =>
      new cloudwatch.Metric({
        namespace: this.props.metricsNamespace,
        metricName: name,
        dimensionsMap: { [METRIC_DIMENSIONS.service]: 'platform-log-shipper' },
        statistic: 'Sum',
        period: Duration.minutes(1),
      });
    this.facade.monitorCustom({
      alarmFriendlyName: 'LogDelivery',
      humanReadableName: 'Log delivery (delivered + dead-lettered = sent)',
      metricGroups: [
        {
          title: 'Documents / minute',
          metrics: [
            metric('LogDocumentsSent'),
            metric('LogDocumentsDelivered'),
            {
              metric: metric('LogDocumentsDeadLettered'),
              alarmFriendlyName: 'log-dead-letters',
              addAlarm: {
                Warning: {
                  threshold: 0,
                  comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                  datapointsToAlarm: 1,
                  evaluationPeriods: 1,
                  treatMissingDataOverride: cloudwatch.TreatMissingData.NOT_BREACHING,
                },
              },
            },
          ],
        },
      ],
    });
    return this;
  }

  /**
   * The circuit one service keeps to one callee: state changes, short-circuits (calls refused
   * while open), fallbacks, failures and timeouts; an alarm while it keeps short-circuiting.
   */
  monitorCircuit(serviceName: string, callee: string): this {
    const metric = (name: string, label: string) =>
      new cloudwatch.Metric({
        namespace: this.props.metricsNamespace,
        metricName: name,
        dimensionsMap: {
          [METRIC_DIMENSIONS.service]: serviceName,
          [METRIC_DIMENSIONS.circuit]: callee,
        },
        statistic: 'Sum',
        period: Duration.minutes(1),
        label,
      });
    this.facade.monitorCustom({
      alarmFriendlyName: `${serviceName}-to-${callee}`,
      humanReadableName: `Circuit ${serviceName} → ${callee}`,
      metricGroups: [
        {
          title: 'State changes / minute (each also a log line with from and to)',
          metrics: [metric(CIRCUIT_METRICS.transitions, 'transitions')],
        },
        {
          title: 'Calls / minute',
          metrics: [
            metric(CIRCUIT_METRICS.calls, 'calls'),
            metric(CIRCUIT_METRICS.failures, 'failures'),
            metric(CIRCUIT_METRICS.timeouts, 'timeouts'),
            metric(CIRCUIT_METRICS.fallbacks, 'fallbacks'),
            {
              metric: metric(CIRCUIT_METRICS.shortCircuits, 'short-circuits'),
              alarmFriendlyName: `${serviceName}-${callee}-short-circuits`,
              addAlarm: {
                Warning: {
                  threshold: 0,
                  comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                  treatMissingDataOverride: cloudwatch.TreatMissingData.NOT_BREACHING,
                },
              },
            },
          ],
        },
      ],
    });
    return this;
  }
}
