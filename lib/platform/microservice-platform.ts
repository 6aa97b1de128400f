import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { AuthorizationServer, type AuthorizationServerOptions } from '../auth/authorization-server';
import { PlatformGateway } from '../gateway/platform-gateway';
import {
  TokenEndpointFirewall,
  type TokenEndpointFirewallOptions,
} from '../gateway/token-endpoint-firewall';
import { PlatformConfiguration } from '../config/platform-configuration';
import { ServiceRegistry } from '../discovery/service-registry';
import { ResilienceStore } from '../resilience/resilience-store';
import {
  circuitBreakerEnvironment,
  type CircuitBreakerSettings,
} from '../resilience/circuit-breaker-settings';
import { CONFIG_ENV, CONFIG_MAX_AGE_SECONDS_DEFAULT } from '../../functions/runtime/contract';
import {
  PlatformObservability,
  type PlatformObservabilityOptions,
} from '../observability/platform-observability';
import { PlatformEventBus } from '../messaging/platform-event-bus';
import { AdminApi } from './admin-api';
import { OperatorConsole } from '../console/operator-console';
import {
  type IMicroservicePlatform,
  importPlatform,
  lookupPlatform,
  metricsNamespaceOf,
  type MicroservicePlatformAttributes,
  type MicroservicePlatformLookupOptions,
  namespaceNameOf,
  publishPlatformAttributes,
} from './platform-attributes';
import { PlatformTarget, platformTargetOf } from './platform-target';

export interface MicroservicePlatformProps {
  /**
   * Short name of the platform; prefixes resource names, configuration paths and metrics.
   * Lower-case letters, digits and hyphens.
   */
  readonly platformName: string;
  /**
   * Deployment stage (`dev`, `prod`, ...); also the REST API stage name.
   * @default 'prod'
   */
  readonly stage?: string;
  /**
   * Where the platform is deployed. On `PlatformTarget.LOCALSTACK` (LocalStack's community tier,
   * `cdklocal deploy`) it leaves out what that tier cannot create: the Cloud Map registry and its
   * health control loop, AppConfig (feature flags read as off unless the caller gives a default),
   * X-Ray active tracing, the OpenSearch domain of central logs, and `Custom::*` resources (the
   * signing-key bootstrap trigger; services deploy their routes with a plain deployment).
   * Services then call each other by the function names published in SSM and read
   * configuration from SSM only.
   * @default - the context's `serverless-msa:target` (`-c serverless-msa:target=localstack`), else PlatformTarget.AWS
   */
  readonly target?: PlatformTarget;
  /**
   * Stage-wide steady request rate of the gateway, per second.
   * @default 100
   */
  readonly throttlingRateLimit?: number;
  /**
   * Stage-wide burst of the gateway.
   * @default 200
   */
  readonly throttlingBurstLimit?: number;
  /**
   * Retention of every log group the platform and its services create.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to stateful resources (tables, log groups) when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Log level of every function (Powertools `POWERTOOLS_LOG_LEVEL`).
   * @default 'INFO'
   */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /**
   * The OAuth2 authorization server and token check, or `false` for a platform whose routes
   * are all public (not recommended).
   * @default - an authorization server with its defaults
   */
  readonly authorization?: AuthorizationServerOptions | false;
  /**
   * Steady and burst request rate of the token endpoint: one bucket shared by every caller.
   * @default - 100 rps, burst 200 with the firewall (its per-source limit is what protects);
   * 10 rps, burst 20 without it
   */
  readonly tokenEndpointThrottle?: { readonly rateLimit: number; readonly burstLimit: number };
  /**
   * Per-source-IP limits (a WAF web ACL on the stage) on the token endpoint and the login form,
   * or `false` for none (WAF is billed per web ACL, rule and request).
   * @default - 100 requests per source per minute on each endpoint; none on LocalStack
   */
  readonly tokenEndpointFirewall?: TokenEndpointFirewallOptions | false;
  /**
   * How every service's circuit breakers behave (one circuit per callee, shared fleet-wide).
   * @default - the runtime library's defaults
   */
  readonly circuitBreaker?: CircuitBreakerSettings;
  /**
   * How often the health control loop probes every service instance.
   * @default Duration.minutes(1)
   */
  readonly healthProbeInterval?: Duration;
  /**
   * How long a function keeps a configuration value before reading it again: the longest an
   * operator's change takes to show (CONFIG_MAX_AGE_SECONDS, the config reader's `maxAgeSeconds`).
   * @default Duration.seconds(30)
   */
  readonly configMaxAge?: Duration;
  /**
   * Central logs (OpenSearch), the alert topic's subscribers, the error alarm's threshold.
   * @default - central logs in a domain of the platform's own (none on LocalStack), an alert topic nobody is subscribed to
   */
  readonly observability?: PlatformObservabilityOptions;
}

const PLATFORM_NAME = /^[a-z][a-z0-9-]{1,30}$/;

/**
 * The parts every service of a platform shares: the gateway (one REST API), the authorization
 * server, the breaker table, configuration, the registry and its health control loop, the admin
 * API. Services (`Microservice`) attach to it, in its stack or in stacks of their own: it
 * publishes what they need under `/{platform}/{stage}/_platform/` in SSM, where
 * `MicroservicePlatform.fromLookup` finds it from another stack or another app.
 */
export class MicroservicePlatform extends Construct implements IMicroservicePlatform {
  /**
   * A platform deployed by another stack or app, found by name and stage: its attributes are
   * read from SSM when the stack using it deploys (the platform must be deployed first).
   */
  static fromLookup(
    scope: Construct,
    id: string,
    options: MicroservicePlatformLookupOptions,
  ): IMicroservicePlatform {
    return lookupPlatform(scope, id, options);
  }

  /** A platform known by its attributes (IDs and names given directly). */
  static fromPlatformAttributes(
    scope: Construct,
    id: string,
    attributes: MicroservicePlatformAttributes,
  ): IMicroservicePlatform {
    return importPlatform(scope, id, attributes);
  }

  readonly platformName: string;
  readonly stage: string;
  readonly target: PlatformTarget;
  readonly gateway: PlatformGateway;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  readonly logLevel: string;
  /** The CloudWatch namespace every service's metrics are published to. */
  readonly metricsNamespace: string;
  /** Per-source limits on the sign-in endpoints; undefined without them. */
  readonly tokenEndpointFirewall?: TokenEndpointFirewall;
  /** The OAuth2 server and authorizer; undefined when built with `authorization: false`. */
  readonly authorizationServer?: AuthorizationServer;
  /** Central configuration: SSM hierarchy and AppConfig. */
  readonly configuration: PlatformConfiguration;
  /** Circuit state and injected faults, shared by every service. */
  readonly resilience: ResilienceStore;
  /** The event bus between services, its archive and schema registry. */
  readonly messaging: PlatformEventBus;
  /** The operators' API under /admin; undefined without an authorization server. */
  readonly adminApi?: AdminApi;
  /** The operator console at `/console`; undefined without an authorization server. */
  readonly console?: OperatorConsole;
  /** Environment every service function gets (breaker settings). */
  readonly serviceEnvironment: Record<string, string>;
  /** Alert topic, central logs, the platform's dashboard. */
  readonly observability: PlatformObservability;
  private readonly serviceRegistry?: ServiceRegistry;

  constructor(scope: Construct, id: string, props: MicroservicePlatformProps) {
    super(scope, id);
    if (!PLATFORM_NAME.test(props.platformName)) {
      throw new Error(
        `platformName must be 2-31 lower-case letters, digits or hyphens, starting with a letter; got '${props.platformName}'`,
      );
    }
    this.platformName = props.platformName;
    this.stage = props.stage ?? 'prod';
    this.target = platformTargetOf(this, props.target);
    const onAws = this.target === PlatformTarget.AWS;
    if (!onAws && props.observability?.centralLogs) {
      throw new Error(
        'Central logs need an OpenSearch domain, which LocalStack cannot create: leave observability.centralLogs unset (or false) on a LocalStack target',
      );
    }
    this.logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    this.removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.logLevel = props.logLevel ?? 'INFO';
    this.metricsNamespace = metricsNamespaceOf(props.platformName);
    // First: every function built below (the platform's, and services') subscribes to its shipper.
    this.observability = new PlatformObservability(this, 'Observability', {
      ...props.observability,
      ...(onAws ? {} : { centralLogs: false }),
      platform: this,
    });
    // LocalStack's community tier has no WAF.
    const withFirewall =
      props.authorization !== false && props.tokenEndpointFirewall !== false && onAws;
    this.gateway = new PlatformGateway(this, 'Gateway', {
      restApiName: `${props.platformName}-${this.stage}`,
      stageName: this.stage,
      throttlingRateLimit: props.throttlingRateLimit,
      throttlingBurstLimit: props.throttlingBurstLimit,
      accessLogRetention: this.logRetention,
      removalPolicy: this.removalPolicy,
      tracing: onAws,
      // Per-client quotas: the authorizer names each client's usage-plan key.
      apiKeySourceType:
        props.authorization === false ? undefined : apigw.ApiKeySourceType.AUTHORIZER,
      methodThrottling:
        props.authorization === false
          ? undefined
          : {
              // A shared bucket: no API key exists before a token, so a usage plan cannot
              // split it per client. With the firewall blocking any one source past its
              // limit, the bucket is sized for load, not as the guard junk could drain.
              '/oauth2/token/POST':
                props.tokenEndpointThrottle ??
                (withFirewall
                  ? { rateLimit: 100, burstLimit: 200 }
                  : { rateLimit: 10, burstLimit: 20 }),
            },
    });
    if (withFirewall) {
      this.tokenEndpointFirewall = new TokenEndpointFirewall(this, 'TokenEndpointFirewall', {
        ...props.tokenEndpointFirewall,
        stage: this.gateway.restApi.deploymentStage,
      });
    }
    this.resilience = new ResilienceStore(this, 'Resilience', {
      removalPolicy: this.removalPolicy,
    });
    // Before the admin API, which lists and redrives the consumers' dead letters.
    this.messaging = new PlatformEventBus(this, { platform: this });
    this.serviceEnvironment = {
      ...circuitBreakerEnvironment(props.circuitBreaker ?? {}),
      [CONFIG_ENV.maxAgeSeconds]: String(
        props.configMaxAge?.toSeconds() ?? CONFIG_MAX_AGE_SECONDS_DEFAULT,
      ),
    };
    this.configuration = new PlatformConfiguration(this, 'Config', {
      platformName: this.platformName,
      stage: this.stage,
      appConfig: onAws,
    });
    if (onAws) {
      this.serviceRegistry = new ServiceRegistry(this, 'Registry', {
        platform: this,
        probeInterval: props.healthProbeInterval,
      });
    }
    if (props.authorization !== false) {
      this.authorizationServer = new AuthorizationServer(this, 'Auth', {
        ...props.authorization,
        platform: this,
        gateway: this.gateway,
      });
      this.adminApi = new AdminApi(this, 'Admin', {
        platform: this,
        gateway: this.gateway,
        authorizationServer: this.authorizationServer,
        resilience: this.resilience,
        registry: this.serviceRegistry,
      });
      this.console = new OperatorConsole(this, 'Console', {
        platform: this,
        gateway: this.gateway,
      });
    }
    if (!this.authorizationServer) {
      // Services mount their routes from their own scopes; a deployment needs at least one method
      // of the API's own, so the platform answers `GET /` itself (a liveness probe of the edge).
      const liveness = this.gateway.restApi.root.addMethod(
        'GET',
        new apigw.MockIntegration({
          requestTemplates: { 'application/json': '{"statusCode": 200}' },
          integrationResponses: [
            { statusCode: '200', responseTemplates: { 'application/json': '{"status":"UP"}' } },
          ],
        }),
        { methodResponses: [{ statusCode: '200' }] },
      );
      Validations.of(liveness).acknowledge(
        { id: 'AwsSolutions-APIG4', reason: 'The edge liveness probe is public by design.' },
        { id: 'AwsSolutions-COG4', reason: 'The edge liveness probe is public by design.' },
      );
    }
    this.observability.monitor(this, this.gateway.restApi);
    publishPlatformAttributes(this, this);
  }

  /** Service discovery (Cloud Map) and the health control loop; not on a LocalStack target. */
  get registry(): ServiceRegistry {
    if (!this.serviceRegistry) {
      throw new Error(
        `The ${this.platformName} platform targets LocalStack: it has no service registry (Cloud Map)`,
      );
    }
    return this.serviceRegistry;
  }

  get logShipperArn(): string | undefined {
    return this.observability?.centralLogs?.logShipperArn;
  }

  get alertTopicArn(): string {
    return this.observability.alertTopic.topic.topicArn;
  }

  get restApiId(): string {
    return this.gateway.restApi.restApiId;
  }

  get restApiRootResourceId(): string {
    return this.gateway.restApi.restApiRootResourceId;
  }

  get authorizerId(): string | undefined {
    return this.authorizationServer?.authorizer.authorizerId;
  }

  get resilienceTableName(): string {
    return this.resilience.tableName;
  }

  get resilienceTableArn(): string {
    return this.resilience.table.tableArn;
  }

  get namespaceName(): string {
    return namespaceNameOf(this.platformName, this.stage);
  }

  get namespaceId(): string | undefined {
    return this.serviceRegistry?.namespace.namespaceId;
  }

  get namespaceArn(): string | undefined {
    return this.serviceRegistry?.namespace.namespaceArn;
  }

  get appConfigApplicationId(): string | undefined {
    return this.configuration.appConfig?.application.applicationId;
  }

  get appConfigEnvironmentId(): string | undefined {
    return this.configuration.appConfig?.environment.environmentId;
  }

  get controlLoopRoleArn(): string | undefined {
    return this.serviceRegistry?.controlLoop.role.roleArn;
  }

  get restApi(): apigw.RestApi {
    return this.gateway.restApi;
  }

  /** The invoke URL of the gateway's stage. */
  get url(): string {
    return this.gateway.restApi.url;
  }
}
