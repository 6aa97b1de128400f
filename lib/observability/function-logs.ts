import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, type IConstruct } from 'constructs';
import { SERVICE_ERRORS_METRIC } from '../../functions/runtime/contract/audit';
import { METRIC_DIMENSIONS } from '../../functions/runtime/contract/metrics';

/** What a function's log group needs from its platform to be shipped and counted. */
export interface FunctionLogsTarget {
  readonly metricsNamespace: string;
  /** The log shipper's ARN; undefined when the platform keeps no central logs. */
  readonly logShipperArn?: string;
}

export interface FunctionLogsProps {
  readonly platform: FunctionLogsTarget;
  readonly logGroup: logs.ILogGroup;
  /** The function's service name (the `service` key of its log lines). */
  readonly serviceName: string;
  /**
   * Subscribe the log group to the log shipper. Off for the shipper's own log group (its lines
   * would ship themselves, a loop).
   * @default true
   */
  readonly ship?: boolean;
}

/** The shipper's invoke permission for CloudWatch Logs, by the shipper's ARN (a token). */
const SHIPPER_PERMISSIONS = new Map<string, IConstruct>();

/** Records the permission subscriptions to this shipper must wait for (same stack only). */
export function registerShipperPermission(shipperArn: string, permission: IConstruct): void {
  SHIPPER_PERMISSIONS.set(shipperArn, permission);
}

/** The ERROR lines of one log group, counted per service (the `service` key of each line). */
export const ERROR_LINES_PATTERN = logs.FilterPattern.stringValue('$.level', '=', 'ERROR');

/**
 * What every function log group of a platform gets, in whichever stack the function lives:
 * a subscription to the platform's log shipper (every line, central logs), and a metric filter
 * counting its ERROR lines as `ServiceErrors` with dimension `service`, alarmed on by the
 * dashboards (ServiceMonitoring, PlatformMonitoring).
 */
export class FunctionLogs extends Construct {
  readonly errorFilter: logs.MetricFilter;
  readonly subscription?: logs.CfnSubscriptionFilter;

  constructor(scope: Construct, id: string, props: FunctionLogsProps) {
    super(scope, id);
    this.errorFilter = new logs.MetricFilter(this, 'Errors', {
      logGroup: props.logGroup,
      filterPattern: ERROR_LINES_PATTERN,
      metricNamespace: props.platform.metricsNamespace,
      metricName: SERVICE_ERRORS_METRIC,
      metricValue: '1',
      dimensions: { [METRIC_DIMENSIONS.service]: '$.service' },
      unit: cloudwatch.Unit.COUNT,
    });
    const shipperArn = props.platform.logShipperArn;
    if (props.ship !== false && shipperArn !== undefined) {
      // The L1: the shipper's one resource policy (logs.amazonaws.com, this account, any log
      // group) already allows the call, so no stack adds a permission of its own, and a new
      // service stack needs no redeployment of the platform.
      this.subscription = new logs.CfnSubscriptionFilter(this, 'Ship', {
        logGroupName: props.logGroup.logGroupName,
        destinationArn: shipperArn,
        filterPattern: '',
      });
      // In the shipper's own stack, CloudFormation must add its permission first.
      const permission = SHIPPER_PERMISSIONS.get(shipperArn);
      if (permission && Stack.of(permission) === Stack.of(this)) {
        this.subscription.node.addDependency(permission);
      }
    }
  }
}

/** `ServiceErrors` of one service: ERROR lines its functions logged, per minute. */
export function serviceErrorsMetric(
  metricsNamespace: string,
  serviceName: string,
  options: cloudwatch.MetricOptions = {},
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: metricsNamespace,
    metricName: SERVICE_ERRORS_METRIC,
    dimensionsMap: { [METRIC_DIMENSIONS.service]: serviceName },
    statistic: 'Sum',
    period: Duration.minutes(1),
    ...options,
  });
}
