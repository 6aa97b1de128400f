import { RemovalPolicy } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct, type IConstruct } from 'constructs';
import {
  metricsNamespaceOf,
  platformParameterRoot,
  routeScopesPath,
  serviceEnvironmentDefaults,
} from '../../functions/runtime/contract';
import { PlatformTarget, platformTargetOf } from './platform-target';

// Defined by the contract (the runtime reads the same paths and namespace); exported from here too.
export { metricsNamespaceOf, platformParameterRoot, routeScopesPath };

/**
 * What a service needs from the platform it attaches to, as plain attributes: names and IDs, no
 * constructs. A `Microservice` builds everything it owns in its own scope from these, so it can
 * live in the platform's stack, in a stack of its own, or in another CDK app (through
 * `MicroservicePlatform.fromLookup`).
 */
export interface IMicroservicePlatform extends IConstruct {
  /** Short name of the platform. */
  readonly platformName: string;
  /** Deployment stage; also the REST API stage name. */
  readonly stage: string;
  /** Where it is deployed: on LocalStack there is no Cloud Map, AppConfig or X-Ray. */
  readonly target: PlatformTarget;
  /** The CloudWatch namespace every function's metrics go to. */
  readonly metricsNamespace: string;
  /** Retention of the log groups a service creates. */
  readonly logRetention: logs.RetentionDays;
  /** What happens to a service's stateful resources when its stack is deleted. */
  readonly removalPolicy: RemovalPolicy;
  /** Log level of every function. */
  readonly logLevel: string;
  /** The shared REST API services mount their routes on. */
  readonly restApiId: string;
  /** Its root resource (`/`). */
  readonly restApiRootResourceId: string;
  /** The REQUEST authorizer protected routes use; undefined when the platform has none. */
  readonly authorizerId?: string;
  /** The circuit-breaker and fault table shared by every service. */
  readonly resilienceTableName: string;
  readonly resilienceTableArn: string;
  /** The Cloud Map HTTP namespace services register in (its name, whatever the target). */
  readonly namespaceName: string;
  /** Undefined on LocalStack (no Cloud Map). */
  readonly namespaceId?: string;
  readonly namespaceArn?: string;
  /** AppConfig application and environment (feature flags, JSON profiles); undefined on LocalStack. */
  readonly appConfigApplicationId?: string;
  readonly appConfigEnvironmentId?: string;
  /**
   * The health control loop's role, which must be allowed to invoke every service; undefined on
   * LocalStack (no registry to probe).
   */
  readonly controlLoopRoleArn?: string;
  /** Environment every service function gets (breaker settings, config cache). */
  readonly serviceEnvironment: Record<string, string>;
  /**
   * The log shipper every function log group subscribes to (central logs); undefined when the
   * platform keeps none.
   */
  readonly logShipperArn?: string;
  /** The SNS topic every alarm of the platform and its services goes to. */
  readonly alertTopicArn?: string;
}

/** The attributes of a platform, for `MicroservicePlatform.fromPlatformAttributes`. */
export interface MicroservicePlatformAttributes {
  readonly platformName: string;
  readonly stage: string;
  readonly restApiId: string;
  readonly restApiRootResourceId: string;
  /**
   * The REQUEST authorizer's ID.
   * @default - no authorizer: every route of the service is public
   */
  readonly authorizerId?: string;
  readonly resilienceTableName: string;
  readonly resilienceTableArn: string;
  /**
   * Where the platform is deployed.
   * @default - the context's `serverless-msa:target`, else PlatformTarget.AWS
   */
  readonly target?: PlatformTarget;
  /** Cloud Map namespace; required on AWS, not used on LocalStack. */
  readonly namespaceId?: string;
  readonly namespaceArn?: string;
  /** AppConfig application and environment; required on AWS, not used on LocalStack. */
  readonly appConfigApplicationId?: string;
  readonly appConfigEnvironmentId?: string;
  /** The health control loop's role; required on AWS, not used on LocalStack. */
  readonly controlLoopRoleArn?: string;
  /**
   * Environment every service function gets.
   * @default - none (the runtime's defaults)
   */
  readonly serviceEnvironment?: Record<string, string>;
  /**
   * Retention of the service's log groups.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the service's stateful resources when its stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Log level of the service's functions.
   * @default 'INFO'
   */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /**
   * The log shipper the service's log groups subscribe to.
   * @default - the service's logs are not shipped
   */
  readonly logShipperArn?: string;
  /**
   * The topic the service's alarms go to.
   * @default - the service's alarms notify nobody
   */
  readonly alertTopicArn?: string;
}

/** How to find a platform deployed elsewhere, for `MicroservicePlatform.fromLookup`. */
export interface MicroservicePlatformLookupOptions {
  readonly platformName: string;
  /**
   * @default 'prod'
   */
  readonly stage?: string;
  /**
   * Where the platform was deployed: on LocalStack it published no Cloud Map, AppConfig or
   * control-loop attributes, and central logs are off unless `centralLogs` says otherwise.
   * @default - the context's `serverless-msa:target`, else PlatformTarget.AWS
   */
  readonly target?: PlatformTarget;
  /**
   * Whether the platform was built with an authorization server (`authorization` not `false`):
   * then protected routes use its authorizer.
   * @default true
   */
  readonly authorization?: boolean;
  /**
   * Retention of the service's log groups.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the service's stateful resources when its stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Log level of the service's functions.
   * @default 'INFO'
   */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /**
   * Whether the platform keeps central logs (built without `centralLogs: false`): then the
   * service's log groups subscribe to its log shipper.
   * @default - true on AWS, false on LocalStack
   */
  readonly centralLogs?: boolean;
}

/**
 * The runtime's defaults of the variables every service function gets from its platform (breaker
 * settings, configuration cache age), from the contract. The platform publishes each one (its own
 * value, or this default: an SSM parameter cannot be empty), so a service in another stack reads
 * them all.
 */
export const SERVICE_ENVIRONMENT_DEFAULTS: Readonly<Record<string, string>> =
  serviceEnvironmentDefaults();

/** The variables every service function gets from its platform. */
export const SERVICE_ENVIRONMENT_VARIABLES: readonly string[] = Object.keys(
  SERVICE_ENVIRONMENT_DEFAULTS,
);

/** Attributes published as one SSM parameter each, by key below the platform's path. */
const PUBLISHED = {
  restApiId: 'rest-api/id',
  restApiRootResourceId: 'rest-api/root-resource-id',
  authorizerId: 'rest-api/authorizer-id',
  resilienceTableName: 'resilience/table-name',
  resilienceTableArn: 'resilience/table-arn',
  namespaceId: 'discovery/namespace-id',
  namespaceArn: 'discovery/namespace-arn',
  appConfigApplicationId: 'config/appconfig-application-id',
  appConfigEnvironmentId: 'config/appconfig-environment-id',
  controlLoopRoleArn: 'health/control-loop-role-arn',
  logShipperArn: 'observability/log-shipper-arn',
  alertTopicArn: 'observability/alert-topic-arn',
} as const satisfies Partial<Record<keyof MicroservicePlatformAttributes, string>>;

/** Where a service publishes its own attributes, so others can call it by name. */
export function servicePublicationPath(
  platformName: string,
  stage: string,
  serviceName: string,
): string {
  return `${platformParameterRoot(platformName, stage)}/services/${serviceName}`;
}

/** The namespace name of a platform's Cloud Map registry. */
export function namespaceNameOf(platformName: string, stage: string): string {
  return `${platformName}-${stage}`;
}

/**
 * Writes a platform's attributes as SSM parameters under its well-known path (one resource each,
 * in the platform's stack), so services in other stacks or apps find it by name and stage.
 */
export function publishPlatformAttributes(scope: Construct, platform: IMicroservicePlatform): void {
  const root = platformParameterRoot(platform.platformName, platform.stage);
  const published = new Construct(scope, 'Published');
  for (const [attribute, key] of Object.entries(PUBLISHED)) {
    const value = platform[attribute as keyof typeof PUBLISHED];
    if (value === undefined) continue;
    new ssm.StringParameter(published, key.replace(/[^A-Za-z0-9]/g, ''), {
      parameterName: `${root}/${key}`,
      stringValue: value,
      description: `${attribute} of the ${platform.platformName} platform (${platform.stage})`,
    });
  }
  for (const variable of SERVICE_ENVIRONMENT_VARIABLES) {
    const value = platform.serviceEnvironment[variable] ?? SERVICE_ENVIRONMENT_DEFAULTS[variable];
    new ssm.StringParameter(published, `Env${variable.replace(/_/g, '')}`, {
      parameterName: `${root}/service-environment/${variable}`,
      stringValue: value,
      description: `${variable} of every service of ${platform.platformName} (${platform.stage})`,
    });
  }
}

/** A platform known by its attributes (given, or read from SSM at deploy time). */
class ImportedMicroservicePlatform extends Construct implements IMicroservicePlatform {
  readonly platformName: string;
  readonly stage: string;
  readonly target: PlatformTarget;
  readonly metricsNamespace: string;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  readonly logLevel: string;
  readonly restApiId: string;
  readonly restApiRootResourceId: string;
  readonly authorizerId?: string;
  readonly resilienceTableName: string;
  readonly resilienceTableArn: string;
  readonly namespaceName: string;
  readonly namespaceId?: string;
  readonly namespaceArn?: string;
  readonly appConfigApplicationId?: string;
  readonly appConfigEnvironmentId?: string;
  readonly controlLoopRoleArn?: string;
  readonly serviceEnvironment: Record<string, string>;
  readonly logShipperArn?: string;
  readonly alertTopicArn?: string;

  constructor(scope: Construct, id: string, attributes: MicroservicePlatformAttributes) {
    super(scope, id);
    this.platformName = attributes.platformName;
    this.stage = attributes.stage;
    this.target = platformTargetOf(this, attributes.target);
    if (this.target === PlatformTarget.AWS) {
      const missing = AWS_ONLY_ATTRIBUTES.filter((name) => attributes[name] === undefined);
      if (missing.length) {
        throw new Error(
          `A platform on AWS needs ${missing.join(', ')} (only a LocalStack target has none)`,
        );
      }
    }
    this.metricsNamespace = metricsNamespaceOf(attributes.platformName);
    this.logRetention = attributes.logRetention ?? logs.RetentionDays.ONE_MONTH;
    this.removalPolicy = attributes.removalPolicy ?? RemovalPolicy.RETAIN;
    this.logLevel = attributes.logLevel ?? 'INFO';
    this.restApiId = attributes.restApiId;
    this.restApiRootResourceId = attributes.restApiRootResourceId;
    this.authorizerId = attributes.authorizerId;
    this.resilienceTableName = attributes.resilienceTableName;
    this.resilienceTableArn = attributes.resilienceTableArn;
    this.namespaceName = namespaceNameOf(attributes.platformName, attributes.stage);
    this.namespaceId = attributes.namespaceId;
    this.namespaceArn = attributes.namespaceArn;
    this.appConfigApplicationId = attributes.appConfigApplicationId;
    this.appConfigEnvironmentId = attributes.appConfigEnvironmentId;
    this.controlLoopRoleArn = attributes.controlLoopRoleArn;
    this.serviceEnvironment = { ...attributes.serviceEnvironment };
    this.logShipperArn = attributes.logShipperArn;
    this.alertTopicArn = attributes.alertTopicArn;
  }
}

/** What a platform has on AWS and not on LocalStack. */
const AWS_ONLY_ATTRIBUTES = [
  'namespaceId',
  'namespaceArn',
  'appConfigApplicationId',
  'appConfigEnvironmentId',
  'controlLoopRoleArn',
] as const satisfies readonly (keyof MicroservicePlatformAttributes)[];

export function importPlatform(
  scope: Construct,
  id: string,
  attributes: MicroservicePlatformAttributes,
): IMicroservicePlatform {
  return new ImportedMicroservicePlatform(scope, id, attributes);
}

/**
 * A platform read from its published SSM parameters at deploy time: the stack gets one
 * CloudFormation parameter (`AWS::SSM::Parameter::Value<String>`) per attribute it uses, resolved
 * by CloudFormation when the service's stack deploys. A platform change (say, breaker settings)
 * reaches a service at its next deployment.
 */
class LookedUpMicroservicePlatform extends Construct implements IMicroservicePlatform {
  readonly platformName: string;
  readonly stage: string;
  readonly target: PlatformTarget;
  readonly metricsNamespace: string;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  readonly logLevel: string;
  readonly namespaceName: string;
  private readonly root: string;
  private readonly authorization: boolean;
  private readonly centralLogs: boolean;

  constructor(scope: Construct, id: string, options: MicroservicePlatformLookupOptions) {
    super(scope, id);
    this.platformName = options.platformName;
    this.stage = options.stage ?? 'prod';
    this.target = platformTargetOf(this, options.target);
    this.metricsNamespace = metricsNamespaceOf(options.platformName);
    this.logRetention = options.logRetention ?? logs.RetentionDays.ONE_MONTH;
    this.removalPolicy = options.removalPolicy ?? RemovalPolicy.RETAIN;
    this.logLevel = options.logLevel ?? 'INFO';
    this.namespaceName = namespaceNameOf(options.platformName, this.stage);
    this.root = platformParameterRoot(options.platformName, this.stage);
    this.authorization = options.authorization ?? true;
    this.centralLogs = options.centralLogs ?? this.target === PlatformTarget.AWS;
  }

  get logShipperArn(): string | undefined {
    return this.centralLogs ? this.read(PUBLISHED.logShipperArn) : undefined;
  }

  get alertTopicArn(): string {
    return this.read(PUBLISHED.alertTopicArn);
  }

  get restApiId(): string {
    return this.read(PUBLISHED.restApiId);
  }

  get restApiRootResourceId(): string {
    return this.read(PUBLISHED.restApiRootResourceId);
  }

  get authorizerId(): string | undefined {
    return this.authorization ? this.read(PUBLISHED.authorizerId) : undefined;
  }

  get resilienceTableName(): string {
    return this.read(PUBLISHED.resilienceTableName);
  }

  get resilienceTableArn(): string {
    return this.read(PUBLISHED.resilienceTableArn);
  }

  get namespaceId(): string | undefined {
    return this.onAws ? this.read(PUBLISHED.namespaceId) : undefined;
  }

  get namespaceArn(): string | undefined {
    return this.onAws ? this.read(PUBLISHED.namespaceArn) : undefined;
  }

  get appConfigApplicationId(): string | undefined {
    return this.onAws ? this.read(PUBLISHED.appConfigApplicationId) : undefined;
  }

  get appConfigEnvironmentId(): string | undefined {
    return this.onAws ? this.read(PUBLISHED.appConfigEnvironmentId) : undefined;
  }

  get controlLoopRoleArn(): string | undefined {
    return this.onAws ? this.read(PUBLISHED.controlLoopRoleArn) : undefined;
  }

  get serviceEnvironment(): Record<string, string> {
    return Object.fromEntries(
      SERVICE_ENVIRONMENT_VARIABLES.map((variable) => [
        variable,
        this.read(`service-environment/${variable}`),
      ]),
    );
  }

  /** Cloud Map, AppConfig and the control loop exist (and were published) on AWS only. */
  private get onAws(): boolean {
    return this.target === PlatformTarget.AWS;
  }

  /** One CloudFormation parameter per name and stack, created on first use only. */
  private read(key: string): string {
    return ssm.StringParameter.valueForStringParameter(this, `${this.root}/${key}`);
  }
}

export function lookupPlatform(
  scope: Construct,
  id: string,
  options: MicroservicePlatformLookupOptions,
): IMicroservicePlatform {
  return new LookedUpMicroservicePlatform(scope, id, options);
}
