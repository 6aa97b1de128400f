import { RemovalPolicy } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { AuthorizationServer, type AuthorizationServerOptions } from '../auth/authorization-server';
import { PlatformGateway } from '../gateway/platform-gateway';

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
   * Steady and burst request rate of the token endpoint, stricter than the stage's: it runs
   * scrypt per request and is what credential-stuffing targets.
   * @default - 10 rps, burst 20
   */
  readonly tokenEndpointThrottle?: { readonly rateLimit: number; readonly burstLimit: number };
}

const PLATFORM_NAME = /^[a-z][a-z0-9-]{1,30}$/;

/**
 * The parts every service of a platform shares. Services (`Microservice`) attach to it; later
 * shared parts (authorization server, breaker table, configuration, registry, log shipping)
 * hang off it too, so one object carries the platform's wiring.
 */
export class MicroservicePlatform extends Construct {
  readonly platformName: string;
  readonly stage: string;
  readonly gateway: PlatformGateway;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  readonly logLevel: string;
  /** The CloudWatch namespace every service's metrics are published to. */
  readonly metricsNamespace: string;
  /** The OAuth2 server and authorizer; undefined when built with `authorization: false`. */
  readonly authorizationServer?: AuthorizationServer;

  constructor(scope: Construct, id: string, props: MicroservicePlatformProps) {
    super(scope, id);
    if (!PLATFORM_NAME.test(props.platformName)) {
      throw new Error(
        `platformName must be 2-31 lower-case letters, digits or hyphens, starting with a letter; got '${props.platformName}'`,
      );
    }
    this.platformName = props.platformName;
    this.stage = props.stage ?? 'prod';
    this.logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    this.removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.logLevel = props.logLevel ?? 'INFO';
    this.metricsNamespace = `ServerlessMsa/${props.platformName}`;
    this.gateway = new PlatformGateway(this, 'Gateway', {
      restApiName: `${props.platformName}-${this.stage}`,
      stageName: this.stage,
      throttlingRateLimit: props.throttlingRateLimit,
      throttlingBurstLimit: props.throttlingBurstLimit,
      accessLogRetention: this.logRetention,
      removalPolicy: this.removalPolicy,
      // Per-client quotas: the authorizer names each client's usage-plan key.
      apiKeySourceType:
        props.authorization === false ? undefined : apigw.ApiKeySourceType.AUTHORIZER,
      methodThrottling:
        props.authorization === false
          ? undefined
          : {
              '/oauth2/token/POST': props.tokenEndpointThrottle ?? {
                rateLimit: 10,
                burstLimit: 20,
              },
            },
    });
    if (props.authorization !== false) {
      this.authorizationServer = new AuthorizationServer(this, 'Auth', {
        ...props.authorization,
        platform: this,
        gateway: this.gateway,
      });
    }
  }

  get restApi(): apigw.RestApi {
    return this.gateway.restApi;
  }

  /** The invoke URL of the gateway's stage. */
  get url(): string {
    return this.gateway.restApi.url;
  }
}
