import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import { Construct } from 'constructs';
import type { MicroservicePlatform } from '../platform/microservice-platform';
import { PlatformFunction } from '../service/platform-function';
import { DISCOVERY_ENV, HEALTH_METRICS, METRIC_DIMENSIONS } from '../../functions/runtime/contract';

export interface ServiceRegistryProps {
  readonly platform: MicroservicePlatform;
  /**
   * How often the control loop probes every instance.
   * @default Duration.minutes(1)
   */
  readonly probeInterval?: Duration;
}

/**
 * Service discovery (the Eureka role): one Cloud Map HTTP namespace per platform in which every
 * service (`Microservice`, in its own stack) registers an instance with its function, base path,
 * version, stage and weight; and the health control loop, a scheduled function that probes every
 * instance and sets its custom health status, so discovery leaves unhealthy instances out. Each
 * service lets the loop's role invoke it through its own function's resource policy, so a new
 * service never changes this stack.
 */
export class ServiceRegistry extends Construct {
  readonly namespace: servicediscovery.HttpNamespace;
  readonly controlLoop: PlatformFunction;
  private readonly platform: MicroservicePlatform;

  constructor(scope: Construct, id: string, props: ServiceRegistryProps) {
    super(scope, id);
    this.platform = props.platform;
    this.namespace = new servicediscovery.HttpNamespace(this, 'Resource', {
      name: `${props.platform.platformName}-${props.platform.stage}`,
      description: `Service registry of ${props.platform.platformName} (${props.platform.stage})`,
    });
    this.controlLoop = new PlatformFunction(this, 'ControlLoop', {
      platform: props.platform,
      bundle: 'control-loop',
      serviceName: 'control-loop',
      description: `Health control loop of ${props.platform.platformName}`,
      timeout: Duration.seconds(30),
      // One probe round at a time: rounds that overlap would flap statuses.
      reservedConcurrentExecutions: 1,
      environment: {
        [DISCOVERY_ENV.namespace]: this.namespace.namespaceName,
        [DISCOVERY_ENV.namespaceId]: this.namespace.namespaceId,
      },
    });
    this.controlLoop.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        // Cloud Map's list and health actions accept no resource narrower than *.
        actions: [
          'servicediscovery:ListServices',
          'servicediscovery:GetService',
          'servicediscovery:ListInstances',
          'servicediscovery:GetInstancesHealthStatus',
          'servicediscovery:UpdateInstanceCustomHealthStatus',
        ],
        resources: ['*'],
      }),
    );
    new events.Rule(this, 'ProbeSchedule', {
      description: `Probes every service instance of ${props.platform.platformName}`,
      schedule: events.Schedule.rate(props.probeInterval ?? Duration.minutes(1)),
      targets: [
        new targets.LambdaFunction(this.controlLoop.function, {
          event: events.RuleTargetInput.fromObject({ action: 'probe' }),
        }),
      ],
    });
  }

  /** Lets `grantee` look services up (DiscoverInstances has no resource-level permissions). */
  grantDiscover(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['servicediscovery:DiscoverInstances'],
      resourceArns: ['*'],
    });
  }

  /** Lets `grantee` list services, instances and health (the admin view). */
  grantRead(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: [
        'servicediscovery:ListServices',
        'servicediscovery:GetService',
        'servicediscovery:ListInstances',
        'servicediscovery:GetInstancesHealthStatus',
      ],
      resourceArns: ['*'],
    });
  }

  /** Healthy instances of a service, as the control loop reports them. */
  metricHealthyInstances(
    serviceName: string,
    options?: cloudwatch.MetricOptions,
  ): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: this.platform.metricsNamespace,
      metricName: HEALTH_METRICS.healthyInstances,
      dimensionsMap: { [METRIC_DIMENSIONS.service]: serviceName },
      statistic: 'Minimum',
      period: Duration.minutes(1),
      ...options,
    });
  }
}
