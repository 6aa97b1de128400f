import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct, type IConstruct } from 'constructs';
import type { IMicroservicePlatform } from '../platform/platform-attributes';
import { PlatformFunction } from '../service/platform-function';
import { AlertTopic, type AlertTopicOptions, routeAlarmsToTopic } from './alert-topic';
import { CentralLogs, type CentralLogsOptions } from './central-logs';
import { ObservabilityDashboard } from './observability-dashboard';

export interface PlatformObservabilityOptions {
  /**
   * Central logs in OpenSearch (a domain of the platform's own, or `domain` to use another), or
   * `false` for none: function logs then stay in CloudWatch Logs only.
   * @default - central logs in a domain of the platform's own
   */
  readonly centralLogs?: CentralLogsOptions | false;
  /**
   * Who is told when an alarm fires: e-mail addresses, further subscriptions.
   * @default - nobody subscribed (the topic exists; subscribe later)
   */
  readonly alerts?: AlertTopicOptions;
  /**
   * ERROR lines per minute of one service (in 3 of 5 minutes) that fire its error alarm.
   * @default 5
   */
  readonly errorsPerMinuteThreshold?: number;
}

export interface PlatformObservabilityProps extends PlatformObservabilityOptions {
  readonly platform: IMicroservicePlatform;
}

/**
 * A platform's observability: the alert topic, central logs (domain, shipper, audit log group)
 * and the platform's dashboard with its alarms. Built first, so the platform's own functions
 * find the shipper; `monitor` fills the dashboard once the platform's parts exist.
 */
export class PlatformObservability extends Construct {
  readonly alertTopic: AlertTopic;
  readonly centralLogs?: CentralLogs;
  readonly dashboard: ObservabilityDashboard;
  private readonly platform: IMicroservicePlatform;

  constructor(scope: Construct, id: string, props: PlatformObservabilityProps) {
    super(scope, id);
    const { platform } = props;
    this.platform = platform;
    const name = `${platform.platformName}-${platform.stage}`;
    this.alertTopic = new AlertTopic(this, 'Alerts', {
      ...props.alerts,
      topicName: `${name}-alerts`,
      removalPolicy: platform.removalPolicy,
    });
    if (props.centralLogs !== false) {
      this.centralLogs = new CentralLogs(this, 'CentralLogs', {
        ...props.centralLogs,
        platform,
      });
    }
    this.dashboard = new ObservabilityDashboard(this, 'Dashboard', {
      dashboardName: name,
      alertTopic: this.alertTopic.topic,
      metricsNamespace: platform.metricsNamespace,
      errorsPerMinuteThreshold: props.errorsPerMinuteThreshold,
    });
  }

  /**
   * Charts and alarms for the platform's parts below `root`: the gateway, every platform
   * function, every table, central logs; and sends every alarm below `root` to the topic.
   */
  monitor(root: IConstruct, restApi: apigw.IRestApi): void {
    const { dashboard } = this;
    dashboard.header(`Platform ${this.platform.platformName} (${this.platform.stage})`);
    dashboard.monitorGateway(restApi, this.platform.stage);
    const parts = root.node.findAll();
    for (const part of parts) {
      if (part instanceof PlatformFunction && part !== this.centralLogs?.shipper) {
        dashboard.monitorFunction(part.function, titleOf(part), serviceOf(part));
      }
    }
    for (const part of parts) {
      if (part instanceof dynamodb.Table) dashboard.monitorTable(part, titleOf(part));
    }
    if (this.centralLogs) {
      const logs = this.centralLogs;
      dashboard.header('Central logs');
      dashboard.monitorFunction(logs.shipper.function, 'Log shipper', 'platform-log-shipper');
      dashboard.monitorLogShipper();
      dashboard.monitorDeadLetterQueue(logs.deadLetterQueue, 'Log dead letters');
      dashboard.monitorDeadLetterQueue(logs.failedBatchQueue, 'Failed log batches');
      dashboard.monitorDomain(logs.domain);
    }
    routeAlarmsToTopic(root, this.alertTopic.topic.topicArn);
  }
}

/** `Platform/Auth/TokenService` → `Auth TokenService`. */
function titleOf(part: IConstruct): string {
  return (
    part.node.path
      .split('/')
      .slice(2)
      .filter((segment) => segment !== 'Resource')
      .join(' ') || part.node.id
  );
}

/** The service name a platform function logs under (its POWERTOOLS_SERVICE_NAME). */
function serviceOf(part: PlatformFunction): string {
  return part.serviceName;
}
