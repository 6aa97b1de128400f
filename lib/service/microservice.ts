import { Duration, Resource, Stack } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import { RouteScopeParameters } from '../auth/route-scope-parameters';
import { ServiceApi } from '../gateway/service-api';
import {
  type IMicroservicePlatform,
  metricsNamespaceOf,
  routeScopesPath,
  servicePublicationPath,
} from '../platform/platform-attributes';
import * as sns from 'aws-cdk-lib/aws-sns';
import { routeAlarmsToTopic } from '../observability/alert-topic';
import { ObservabilityDashboard } from '../observability/observability-dashboard';
import { acknowledgeWildcardResource } from './nag-findings';
import { PlatformFunction } from './platform-function';
import { PlatformTarget } from '../platform/platform-target';
import { createPlatformTable } from './platform-table';
import { EventPublication, type PublishedEvent } from '../messaging/event-publication';
import {
  type ConsumedEvents,
  EventSubscription,
  type EventSubscriptionOptions,
} from '../messaging/event-subscription';
// The naming contract lives in the runtime library (no handler code, no dependencies), so the
// construct that sets the variable and the function that reads it cannot drift apart.
import {
  CIRCUIT_METRICS,
  CONFIG_ENV,
  DISCOVERY_ENV,
  HEALTH_METRICS,
  METRIC_DIMENSIONS,
  SERVICE_ENV,
  SERVICE_TABLE_TTL_ATTRIBUTE,
  serviceFunctionEnvironmentName,
} from '../../functions/runtime/contract';

/** One HTTP route a service serves through the gateway. */
export interface ServiceRoute {
  /** HTTP method, e.g. `GET`. */
  readonly method: string;
  /**
   * Path below the service's base path (`/{serviceName}`), e.g. `/items/{id}`.
   * @default '' - the base path itself
   */
  readonly path?: string;
  /**
   * OAuth2 scopes a caller's token must carry (all of them) to call this route.
   * @default [] - no scope beyond a valid token
   */
  readonly scopes?: string[];
  /**
   * Serve the route without any token at all.
   * @default false
   */
  readonly public?: boolean;
}

export interface MicroserviceProps {
  /**
   * The platform the service attaches to: a `MicroservicePlatform` (any stack of the app), or
   * one found with `MicroservicePlatform.fromLookup` (another stack or another app).
   */
  readonly platform: IMicroservicePlatform;
  /**
   * Logical name of the service; also its base path on the gateway (`/{serviceName}`).
   * Lower-case letters, digits and hyphens.
   */
  readonly serviceName: string;
  /** Path of the handler's TypeScript entry file (it exports `handler`). */
  readonly entry: string;
  /**
   * Routes below `/{serviceName}`. `GET /{serviceName}/health` is always added, public.
   * @default - only the health route
   */
  readonly routes?: ServiceRoute[];
  /**
   * Memory of the service function, in MiB.
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * Time limit of one invocation.
   * @default Duration.seconds(10)
   */
  readonly timeout?: Duration;
  /**
   * Extra environment variables of the service function.
   * @default - none beyond the platform's
   */
  readonly environment?: Record<string, string>;
  /**
   * Version of the service, reported by its health route and used by discovery.
   * @default '1'
   */
  readonly version?: string;
  /**
   * Relative share of traffic of this instance among the service's healthy instances.
   * @default 100
   */
  readonly weight?: number;
  /**
   * Plain configuration values, created as SSM parameters under `/{platform}/{stage}/{service}/`.
   * @default - none
   */
  readonly config?: Record<string, string>;
}

/**
 * A microservice of a platform, defined in this app or elsewhere: what a caller needs to call it
 * directly (peer to peer), and to grant it access to something (it is a grantable).
 */
export interface IMicroservice extends iam.IGrantable {
  readonly serviceName: string;
  /** Name of the platform the service belongs to. */
  readonly platformName: string;
  /** The service's function. */
  readonly function: lambda.IFunction;
  readonly functionArn: string;
  /** Lets `grantee` invoke this service's function directly. */
  grantInvoke(grantee: iam.IGrantable): iam.Grant;
  /** Errors of the service function (invocation errors, not 4xx answers). */
  metricErrors(options?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Duration of the service function. */
  metricDuration(options?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Invocations of the service function. */
  metricInvocations(options?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Calls this service made to `callee` through its circuit breaker. */
  metricCircuitCalls(
    callee: IMicroservice | string,
    options?: cloudwatch.MetricOptions,
  ): cloudwatch.Metric;
  /** Calls to `callee` that failed (errors, 5xx, 429), as the breaker counted them. */
  metricCircuitFailures(
    callee: IMicroservice | string,
    options?: cloudwatch.MetricOptions,
  ): cloudwatch.Metric;
  /** Calls to `callee` that timed out. */
  metricCircuitTimeouts(
    callee: IMicroservice | string,
    options?: cloudwatch.MetricOptions,
  ): cloudwatch.Metric;
  /** Calls to `callee` refused at once because its circuit was open. */
  metricCircuitShortCircuits(
    callee: IMicroservice | string,
    options?: cloudwatch.MetricOptions,
  ): cloudwatch.Metric;
  /** Answers to calls to `callee` that came from a fallback. */
  metricCircuitFallbacks(
    callee: IMicroservice | string,
    options?: cloudwatch.MetricOptions,
  ): cloudwatch.Metric;
  /** State changes of the circuit to `callee` (each one also a log line with from/to). */
  metricCircuitTransitions(
    callee: IMicroservice | string,
    options?: cloudwatch.MetricOptions,
  ): cloudwatch.Metric;
}

/** A service known by its attributes, for `Microservice.fromServiceAttributes`. */
export interface MicroserviceAttributes {
  readonly platformName: string;
  readonly serviceName: string;
  readonly functionArn: string;
  /**
   * Its function's execution role, the principal of grants to the service.
   * @default - grants to the service are not possible (`grantPrincipal` is an unknown principal)
   */
  readonly roleArn?: string;
}

/** How to find a service deployed elsewhere by its name, for `Microservice.fromServiceName`. */
export interface MicroserviceLookupOptions {
  /** The platform the service belongs to. */
  readonly platform: IMicroservicePlatform;
  readonly serviceName: string;
}

const SERVICE_NAME = /^[a-z][a-z0-9-]{0,39}$/;
/**
 * Names the platform keeps for itself: its own base paths, and its own configuration paths
 * (`/{platform}/{stage}/auth/…` holds the signing keys, `…/shared/…` every service's values).
 */
const RESERVED_NAMES = new Set(['oauth2', 'admin', '.well-known', 'auth', 'shared']);

/** The circuit metrics a service's metricCircuitX methods chart (names from the contract). */
type CircuitMetric =
  'calls' | 'failures' | 'timeouts' | 'shortCircuits' | 'fallbacks' | 'transitions';

/** What every microservice, defined here or imported, offers its callers. */
abstract class MicroserviceBase extends Resource implements IMicroservice {
  abstract readonly serviceName: string;
  abstract readonly platformName: string;
  abstract readonly function: lambda.IFunction;
  abstract readonly grantPrincipal: iam.IPrincipal;

  get functionArn(): string {
    return this.function.functionArn;
  }

  grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return this.function.grantInvoke(grantee);
  }

  metricErrors(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.function.metricErrors(options);
  }

  metricDuration(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.function.metricDuration(options);
  }

  metricInvocations(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.function.metricInvocations(options);
  }

  metricCircuitCalls(callee: IMicroservice | string, options?: cloudwatch.MetricOptions) {
    return this.circuitMetric('calls', callee, options);
  }

  metricCircuitFailures(callee: IMicroservice | string, options?: cloudwatch.MetricOptions) {
    return this.circuitMetric('failures', callee, options);
  }

  metricCircuitTimeouts(callee: IMicroservice | string, options?: cloudwatch.MetricOptions) {
    return this.circuitMetric('timeouts', callee, options);
  }

  metricCircuitShortCircuits(callee: IMicroservice | string, options?: cloudwatch.MetricOptions) {
    return this.circuitMetric('shortCircuits', callee, options);
  }

  metricCircuitFallbacks(callee: IMicroservice | string, options?: cloudwatch.MetricOptions) {
    return this.circuitMetric('fallbacks', callee, options);
  }

  metricCircuitTransitions(callee: IMicroservice | string, options?: cloudwatch.MetricOptions) {
    return this.circuitMetric('transitions', callee, options);
  }

  /**
   * The runtime publishes each circuit's counts with dimensions `service` (the caller, from
   * POWERTOOLS_SERVICE_NAME) and `circuit` (the callee's name: one circuit per callee).
   */
  private circuitMetric(
    counter: CircuitMetric,
    callee: IMicroservice | string,
    options?: cloudwatch.MetricOptions,
  ): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: metricsNamespaceOf(this.platformName),
      metricName: CIRCUIT_METRICS[counter],
      dimensionsMap: {
        [METRIC_DIMENSIONS.service]: this.serviceName,
        [METRIC_DIMENSIONS.circuit]: typeof callee === 'string' ? callee : callee.serviceName,
      },
      statistic: 'Sum',
      period: Duration.minutes(1),
      ...options,
    });
  }
}

/** A service of another stack or app, known by its function (and role). */
class ImportedMicroservice extends MicroserviceBase {
  readonly serviceName: string;
  readonly platformName: string;
  readonly function: lambda.IFunction;
  private principal?: iam.IPrincipal;

  constructor(
    scope: Construct,
    id: string,
    private readonly attributes: Omit<MicroserviceAttributes, 'roleArn'> & {
      readonly roleArn?: string | (() => string);
    },
  ) {
    super(scope, id);
    this.serviceName = attributes.serviceName;
    this.platformName = attributes.platformName;
    this.function = lambda.Function.fromFunctionAttributes(this, 'Function', {
      functionArn: attributes.functionArn,
      // Its own stack owns its resource policy: grants go to the caller's role (same account),
      // never into a permission on another stack's function.
      sameEnvironment: false,
      skipPermissions: true,
    });
  }

  get grantPrincipal(): iam.IPrincipal {
    if (!this.principal) {
      const { roleArn } = this.attributes;
      const arn = typeof roleArn === 'function' ? roleArn() : roleArn;
      this.principal = arn
        ? iam.Role.fromRoleArn(this, 'Role', arn)
        : new iam.UnknownPrincipal({ resource: this });
    }
    return this.principal;
  }
}

/**
 * One microservice: its function (Node.js 22 on arm64, active tracing, Powertools environment,
 * its own log group), its own DynamoDB table that no other service is granted, and its routes
 * mounted under `/{serviceName}` on the platform's gateway, including a public health route.
 *
 * Everything it owns lives in its own scope — routes on the shared REST API (with the deployment
 * that puts them on the stage), route scopes for the authorizer, its Cloud Map registration and
 * alarm, its configuration values — so a service in a stack of its own is deployed, updated and
 * deleted without touching the platform's stack.
 */
export class Microservice extends MicroserviceBase {
  /**
   * A service of another stack or app, from its attributes: call it (`addServiceDependency`),
   * grant it access, watch its metrics.
   */
  static fromServiceAttributes(
    scope: Construct,
    id: string,
    attributes: MicroserviceAttributes,
  ): IMicroservice {
    return new ImportedMicroservice(scope, id, attributes);
  }

  /**
   * A service of the same platform by its name, from what it published in SSM (read when this
   * stack deploys: the service must be deployed first).
   */
  static fromServiceName(
    scope: Construct,
    id: string,
    options: MicroserviceLookupOptions,
  ): IMicroservice {
    const { platform, serviceName } = options;
    const path = servicePublicationPath(platform.platformName, platform.stage, serviceName);
    return new ImportedMicroservice(scope, id, {
      platformName: platform.platformName,
      serviceName,
      functionArn: ssm.StringParameter.valueForStringParameter(scope, `${path}/function-arn`),
      // Read only when something is granted to the service (a parameter per use, not per import).
      roleArn: () => ssm.StringParameter.valueForStringParameter(scope, `${path}/role-arn`),
    });
  }

  readonly serviceName: string;
  readonly platformName: string;
  readonly version: string;
  readonly function: lambda.Function;
  readonly role: iam.IRole;
  /** The service's own table (keys `pk`, `sk`); an item with a numeric `expiresAt` (epoch seconds) expires. */
  readonly table: dynamodb.Table;
  readonly logGroup: logs.LogGroup;
  readonly platform: IMicroservicePlatform;
  /**
   * The service's Cloud Map service (one instance per deployed version); undefined on a
   * LocalStack target, where callers use the function name its stack published.
   */
  readonly discoveryService?: servicediscovery.Service;
  /** Fires when the service has no healthy instance; undefined on LocalStack (no control loop). */
  readonly noHealthyInstanceAlarm?: cloudwatch.Alarm;
  /**
   * The service's own dashboard (`{platform}-{stage}-{service}`) with its alarms, all sent to
   * the platform's alert topic; undefined when the platform has no alert topic.
   */
  readonly dashboard?: ObservabilityDashboard;
  private readonly routeList: Required<ServiceRoute>[] = [];
  private readonly api: ServiceApi;
  private readonly routeScopes: RouteScopeParameters;
  private publication?: EventPublication;
  private subscription?: EventSubscription;

  constructor(scope: Construct, id: string, props: MicroserviceProps) {
    super(scope, id);
    if (!SERVICE_NAME.test(props.serviceName) || RESERVED_NAMES.has(props.serviceName)) {
      throw new Error(
        `serviceName must be 1-40 lower-case letters, digits or hyphens, starting with a letter, and not one of ${[...RESERVED_NAMES].join(', ')}; got '${props.serviceName}'`,
      );
    }
    const { platform } = props;
    this.platform = platform;
    this.platformName = platform.platformName;
    this.serviceName = props.serviceName;
    this.version = props.version ?? '1';
    const configPath = `/${platform.platformName}/${platform.stage}`;

    this.table = createPlatformTable(this, 'Table', {
      partitionKey: 'pk',
      sortKey: 'sk',
      timeToLiveAttribute: SERVICE_TABLE_TTL_ATTRIBUTE,
      removalPolicy: platform.removalPolicy,
    });

    const platformFunction = new PlatformFunction(this, 'Resource', {
      platform,
      entry: props.entry,
      serviceName: props.serviceName,
      description: `${props.serviceName} service of ${platform.platformName}`,
      memorySize: props.memorySize,
      timeout: props.timeout,
      environment: {
        [SERVICE_ENV.serviceName]: props.serviceName,
        [SERVICE_ENV.version]: this.version,
        [SERVICE_ENV.tableName]: this.table.tableName,
        [SERVICE_ENV.resilienceTableName]: platform.resilienceTableName,
        // Without Cloud Map or AppConfig (LocalStack) the runtime calls by function name and
        // reads configuration from SSM only: the variables stay unset.
        ...(platform.target === PlatformTarget.AWS
          ? { [DISCOVERY_ENV.namespace]: platform.namespaceName }
          : {}),
        [CONFIG_ENV.servicePath]: `${configPath}/${props.serviceName}`,
        [CONFIG_ENV.sharedPath]: `${configPath}/shared`,
        ...(platform.appConfigApplicationId && platform.appConfigEnvironmentId
          ? {
              [CONFIG_ENV.application]: platform.appConfigApplicationId,
              [CONFIG_ENV.environment]: platform.appConfigEnvironmentId,
            }
          : {}),
        ...platform.serviceEnvironment,
        ...props.environment,
      },
    });
    this.function = platformFunction.function;
    this.role = platformFunction.role;
    this.logGroup = platformFunction.logGroup;
    this.table.grantReadWriteData(this.function);
    this.grantBreakerAccess();
    this.grantConfigurationRead(configPath);
    for (const [name, value] of Object.entries(props.config ?? {})) {
      new ssm.StringParameter(this, `Config${name.replace(/[^A-Za-z0-9]/g, '')}`, {
        parameterName: `${configPath}/${props.serviceName}/${name}`,
        stringValue: value,
      });
    }
    if (platform.target === PlatformTarget.AWS) {
      ({ service: this.discoveryService, alarm: this.noHealthyInstanceAlarm } = this.register(
        props.weight,
      ));
    }
    this.publish();

    this.api = new ServiceApi(this, 'Api', {
      restApiId: platform.restApiId,
      restApiRootResourceId: platform.restApiRootResourceId,
      stageName: platform.stage,
      handler: this.function,
      owner: props.serviceName,
      target: platform.target,
    });
    this.routeScopes = new RouteScopeParameters(this, 'RouteScopes', {
      path: `${routeScopesPath(platform.platformName, platform.stage)}/${props.serviceName}`,
      owner: `the ${props.serviceName} service`,
    });
    this.addRoute({ method: 'GET', path: '/health', public: true });
    for (const route of props.routes ?? []) this.addRoute(route);
    this.dashboard = this.observe();
  }

  get grantPrincipal(): iam.IPrincipal {
    return this.role;
  }

  /** The routes this service serves, as mounted on the gateway. */
  get routes(): readonly Required<ServiceRoute>[] {
    return this.routeList;
  }

  /** The service's base path on the gateway. */
  get basePath(): string {
    return `/${this.serviceName}`;
  }

  /**
   * Mounts one more route of this service on the platform's gateway; a protected route's scopes
   * go to the authorizer through the service's route-scope parameters.
   */
  addRoute(route: ServiceRoute): apigw.Method {
    const method = route.method.toUpperCase();
    const path = `${this.basePath}${route.path ?? ''}`;
    // The path must start with '/' (or be empty): 'items' would otherwise mount '/ordersitems',
    // outside the service's base path and possibly on another service's.
    if (!/^(\/[A-Za-z0-9._~{}+-]+)*$/.test(route.path ?? '')) {
      throw new Error(`Route path '${path}' of ${this.serviceName} is not a valid resource path`);
    }
    const authorizerId = this.platform.authorizerId;
    let added: apigw.Method;
    if (route.public || !authorizerId) {
      added = this.api.addRoute(method, path, {
        publicReason: route.public
          ? 'Public by design (health checks).'
          : 'The platform was built without an authorization server (authorization: false).',
      });
    } else {
      this.routeScopes.add({ method, resource: path, scopes: route.scopes ?? [] });
      // Per-client quotas: the authorizer names the client's usage-plan key.
      added = this.api.addRoute(method, path, { authorizerId, apiKeyRequired: true });
    }
    this.routeList.push({
      method,
      path,
      scopes: route.scopes ?? [],
      public: route.public ?? false,
    });
    return added;
  }

  /**
   * Declares that this service calls `target` directly (peer to peer, not through the gateway):
   * grants invoke on exactly that function and tells this service its name. `target` may live
   * in another stack or app (`Microservice.fromServiceName`).
   */
  addServiceDependency(target: IMicroservice): iam.Grant {
    const grant = target.grantInvoke(this.function);
    this.dashboard?.monitorCircuit(this.serviceName, target.serviceName);
    if (this.platform.target === PlatformTarget.AWS) {
      iam.Grant.addToPrincipal({
        grantee: this.function,
        actions: ['servicediscovery:DiscoverInstances'],
        // DiscoverInstances has no resource-level permissions.
        resourceArns: ['*'],
      });
    }
    acknowledgeWildcardResource(
      this.role,
      `${target.functionArn}:*`,
      `Invoke on ${target.serviceName}'s versions and aliases (the ARN's qualifier), and on no other function.`,
    );
    this.function.addEnvironment(
      serviceFunctionEnvironmentName(target.serviceName),
      target.function.functionName,
    );
    return grant;
  }

  /**
   * Declares an event type this service publishes to the platform's bus, with the JSON schema of
   * its data: the function may put exactly its declared types, with its own source.
   */
  publishes(event: PublishedEvent): EventPublication {
    this.publication ??= new EventPublication(this, 'Events', { service: this });
    this.publication.add(event);
    return this.publication;
  }

  /**
   * Declares events of another service that this one consumes. The first call creates the
   * service's queue, dead-letter queue and event source mapping with `options`; later calls add
   * publishers or types (their options must be left out).
   */
  consumes(events: ConsumedEvents, options?: EventSubscriptionOptions): EventSubscription {
    if (this.subscription && options) {
      throw new Error(
        `${this.serviceName} already consumes events: give options on the first call`,
      );
    }
    this.subscription ??= new EventSubscription(this, 'Subscription', {
      ...options,
      service: this,
    });
    this.subscription.add(events);
    return this.subscription;
  }

  /**
   * Its dashboard, from its own stack (function, ERROR lines with a rate alarm, table, and one
   * section per circuit as dependencies are added), and every alarm of the service sent to the
   * platform's alert topic.
   */
  private observe(): ObservabilityDashboard | undefined {
    const topicArn = this.platform.alertTopicArn;
    if (topicArn === undefined) return undefined;
    const name = `${this.platform.platformName}-${this.platform.stage}-${this.serviceName}`;
    const dashboard = new ObservabilityDashboard(this, 'Dashboard', {
      dashboardName: name,
      alertTopic: sns.Topic.fromTopicArn(this, 'AlertTopic', topicArn),
      metricsNamespace: this.platform.metricsNamespace,
    });
    dashboard.header(
      `Service ${this.serviceName} (${this.platform.platformName} ${this.platform.stage})`,
    );
    dashboard.monitorFunction(this.function, this.serviceName, this.serviceName);
    dashboard.monitorTable(this.table, `${this.serviceName} table`);
    routeAlarmsToTopic(this, topicArn);
    return dashboard;
  }

  /** Breakers and the fault injector: read an item and conditional writes, no Scan, no Delete. */
  private grantBreakerAccess(): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee: this.function,
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      resourceArns: [this.platform.resilienceTableArn],
    });
  }

  /** Its own configuration subtree, the shared one, and the platform's AppConfig environment. */
  private grantConfigurationRead(configPath: string): void {
    const stack = Stack.of(this);
    const parameterArns = [`${configPath}/${this.serviceName}`, `${configPath}/shared`].flatMap(
      (path) => {
        const arn = stack.formatArn({
          service: 'ssm',
          resource: 'parameter',
          resourceName: path.slice(1),
        });
        return [arn, `${arn}/*`];
      },
    );
    iam.Grant.addToPrincipal({
      grantee: this.function,
      actions: ['ssm:GetParameter', 'ssm:GetParameters', 'ssm:GetParametersByPath'],
      resourceArns: parameterArns,
    });
    for (const arn of parameterArns.filter((candidate) => candidate.endsWith('/*'))) {
      acknowledgeWildcardResource(
        this.role,
        arn,
        "Parameters under the service's own (or the shared) configuration path, which operators extend at run time.",
      );
    }
    const { appConfigApplicationId, appConfigEnvironmentId } = this.platform;
    if (!appConfigApplicationId || !appConfigEnvironmentId) return;
    const profiles = stack.formatArn({
      service: 'appconfig',
      resource: 'application',
      resourceName: `${appConfigApplicationId}/environment/${appConfigEnvironmentId}/configuration/*`,
    });
    iam.Grant.addToPrincipal({
      grantee: this.function,
      actions: ['appconfig:StartConfigurationSession', 'appconfig:GetLatestConfiguration'],
      resourceArns: [profiles],
    });
    acknowledgeWildcardResource(
      this.role,
      profiles,
      "Every configuration profile of the platform's AppConfig environment, and no other application.",
    );
  }

  /**
   * Its Cloud Map service and instance (function, base path, version, stage, weight), a
   * permission for the platform's health control loop to probe it, and an alarm when it has no
   * healthy instance.
   */
  private register(weight: number | undefined): {
    service: servicediscovery.Service;
    alarm: cloudwatch.Alarm;
  } {
    const { namespaceId, controlLoopRoleArn } = this.platform;
    if (!namespaceId || !controlLoopRoleArn) {
      throw new Error(
        `${this.serviceName}: the platform has no Cloud Map namespace or control loop, which a platform on AWS has`,
      );
    }
    const namespace = servicediscovery.HttpNamespace.fromHttpNamespaceAttributes(
      this,
      'Namespace',
      {
        namespaceName: this.platform.namespaceName,
        namespaceId,
        // Built from the ID (Cloud Map's ARN format) rather than read: nothing here uses it.
        namespaceArn: Stack.of(this).formatArn({
          service: 'servicediscovery',
          resource: 'namespace',
          resourceName: namespaceId,
        }),
      },
    );
    const service = new servicediscovery.Service(this, 'Discovery', {
      namespace,
      name: this.serviceName,
      description: `${this.serviceName} service`,
      customHealthCheck: { failureThreshold: 1 },
    });
    service.registerNonIpInstance('Instance', {
      instanceId: `${this.serviceName}-v${this.version}`,
      customAttributes: {
        functionName: this.function.functionName,
        basePath: this.basePath,
        version: this.version,
        stage: this.platform.stage,
        weight: String(weight ?? 100),
      },
    });
    // A resource policy on this service's function, so the platform's role policy never changes.
    this.function.addPermission('HealthProbe', {
      principal: new iam.ArnPrincipal(controlLoopRoleArn),
      action: 'lambda:InvokeFunction',
    });
    const alarm = new cloudwatch.Alarm(this, 'NoHealthyInstance', {
      alarmDescription: `${this.serviceName} has no healthy instance`,
      metric: new cloudwatch.Metric({
        namespace: this.platform.metricsNamespace,
        metricName: HEALTH_METRICS.healthyInstances,
        dimensionsMap: { [METRIC_DIMENSIONS.service]: this.serviceName },
        statistic: 'Minimum',
        period: Duration.minutes(1),
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 2,
      // No data means the control loop did not report: as alarming as no healthy instance.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    return { service, alarm };
  }

  /** Its function and role under the platform's path, for `Microservice.fromServiceName`. */
  private publish(): void {
    const path = servicePublicationPath(
      this.platform.platformName,
      this.platform.stage,
      this.serviceName,
    );
    new ssm.StringParameter(this, 'PublishedFunctionArn', {
      parameterName: `${path}/function-arn`,
      stringValue: this.function.functionArn,
      description: `Function of the ${this.serviceName} service`,
    });
    new ssm.StringParameter(this, 'PublishedRoleArn', {
      parameterName: `${path}/role-arn`,
      stringValue: this.role.roleArn,
      description: `Execution role of the ${this.serviceName} service`,
    });
  }
}
