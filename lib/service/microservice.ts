import { type Duration, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { MicroservicePlatform } from '../platform/microservice-platform';
import { acknowledgeWildcardResource } from './nag-findings';
import { PlatformFunction } from './platform-function';
import { createPlatformTable } from './platform-table';
// The naming contract lives in the runtime library (no handler code, no dependencies), so the
// construct that sets the variable and the function that reads it cannot drift apart.
import { serviceFunctionEnvironmentName } from '../../functions/runtime/service/service-directory';

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
  /** The platform the service attaches to. */
  readonly platform: MicroservicePlatform;
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

const SERVICE_NAME = /^[a-z][a-z0-9-]{0,39}$/;
/** Base paths the platform keeps for itself. */
const RESERVED_NAMES = new Set(['oauth2', 'admin', '.well-known']);

/**
 * One microservice: its function (Node.js 22 on arm64, active tracing, Powertools environment,
 * its own log group), its own DynamoDB table that no other service is granted, and its routes
 * mounted under `/{serviceName}` on the platform's gateway, including a public health route.
 */
export class Microservice extends Construct {
  readonly serviceName: string;
  readonly version: string;
  readonly function: lambda.Function;
  readonly table: dynamodb.Table;
  readonly logGroup: logs.LogGroup;
  readonly platform: MicroservicePlatform;
  private readonly routeList: Required<ServiceRoute>[] = [];

  constructor(scope: Construct, id: string, props: MicroserviceProps) {
    super(scope, id);
    if (!SERVICE_NAME.test(props.serviceName) || RESERVED_NAMES.has(props.serviceName)) {
      throw new Error(
        `serviceName must be 1-40 lower-case letters, digits or hyphens, starting with a letter, and not one of ${[...RESERVED_NAMES].join(', ')}; got '${props.serviceName}'`,
      );
    }
    this.platform = props.platform;
    this.serviceName = props.serviceName;
    this.version = props.version ?? '1';

    this.table = createPlatformTable(this, 'Table', {
      partitionKey: 'pk',
      sortKey: 'sk',
      removalPolicy: props.platform.removalPolicy,
    });

    const platformFunction = new PlatformFunction(this, 'Resource', {
      platform: props.platform,
      entry: props.entry,
      serviceName: props.serviceName,
      description: `${props.serviceName} service of ${props.platform.platformName}`,
      memorySize: props.memorySize,
      timeout: props.timeout,
      environment: {
        SERVICE_NAME: props.serviceName,
        SERVICE_VERSION: this.version,
        TABLE_NAME: this.table.tableName,
        RESILIENCE_TABLE_NAME: props.platform.resilience.tableName,
        SERVICE_DISCOVERY_NAMESPACE: props.platform.registry.namespace.namespaceName,
        ...props.platform.configuration.environmentFor(props.serviceName),
        ...props.platform.serviceEnvironment,
        ...props.environment,
      },
    });
    this.function = platformFunction.function;
    this.logGroup = platformFunction.logGroup;
    this.table.grantReadWriteData(this.function);
    props.platform.resilience.grantBreakerAccess(this.function);
    props.platform.configuration.grantServiceRead(this.function, props.serviceName);
    for (const [name, value] of Object.entries(props.config ?? {})) {
      props.platform.configuration.addParameter(name, value, { service: props.serviceName });
    }
    props.platform.registry.register({
      serviceName: props.serviceName,
      function: this.function,
      basePath: this.basePath,
      version: this.version,
      weight: props.weight,
    });

    this.addRoute({ method: 'GET', path: '/health', public: true });
    for (const route of props.routes ?? []) this.addRoute(route);
  }

  /** The routes this service serves, as mounted on the gateway. */
  get routes(): readonly Required<ServiceRoute>[] {
    return this.routeList;
  }

  /** The service's base path on the gateway. */
  get basePath(): string {
    return `/${this.serviceName}`;
  }

  /** Mounts one more route of this service on the platform's gateway. */
  addRoute(route: ServiceRoute): apigw.Method {
    const method = route.method.toUpperCase();
    const path = `${this.basePath}${route.path ?? ''}`;
    // The path must start with '/' (or be empty): 'items' would otherwise mount '/ordersitems',
    // outside the service's base path and possibly on another service's.
    if (!/^(\/[A-Za-z0-9._~{}+-]+)*$/.test(route.path ?? '')) {
      throw new Error(`Route path '${path}' of ${this.serviceName} is not a valid resource path`);
    }
    const auth = this.platform.authorizationServer;
    const added =
      route.public || !auth
        ? this.platform.gateway.addRoute(method, path, this.function, {
            publicReason: route.public
              ? 'Public by design (health checks).'
              : 'The platform was built without an authorization server (authorization: false).',
          })
        : this.platform.gateway.addRoute(method, path, this.function, {
            authorizer: auth.protectRoute(method, path, route.scopes ?? []),
            // Per-client quotas: the authorizer names the client's usage-plan key.
            apiKeyRequired: true,
          });
    this.routeList.push({
      method,
      path,
      scopes: route.scopes ?? [],
      public: route.public ?? false,
    });
    return added;
  }

  /** Lets `grantee` invoke this service's function directly. */
  grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return this.function.grantInvoke(grantee);
  }

  /**
   * Declares that this service calls `target` directly (peer to peer, not through the gateway):
   * grants invoke on exactly that function and tells this service its name.
   */
  addServiceDependency(target: Microservice): void {
    target.grantInvoke(this.function);
    this.platform.registry.grantDiscover(this.function);
    acknowledgeWildcardResource(
      this.function.role ?? this.function,
      `${target.function.functionArn}:*`,
      `Invoke on ${target.serviceName}'s versions and aliases (the ARN's qualifier), and on no other function.`,
    );
    this.function.addEnvironment(
      serviceFunctionEnvironmentName(target.serviceName),
      target.function.functionName,
    );
  }

  /** Errors of the service function (invocation errors, not 4xx answers). */
  metricErrors(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.function.metricErrors(options);
  }

  /** Duration of the service function. */
  metricDuration(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.function.metricDuration(options);
  }

  /** The stack this service's resources live in. */
  get stack(): Stack {
    return Stack.of(this);
  }
}
