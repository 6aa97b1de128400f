import { Duration, Stack } from 'aws-cdk-lib';
import * as appconfig from 'aws-cdk-lib/aws-appconfig';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { acknowledgeWildcardResource } from '../service/nag-findings';
import { CONFIG_ENV } from '../../functions/runtime/contract';

export interface PlatformConfigurationProps {
  readonly platformName: string;
  readonly stage: string;
  /**
   * How AppConfig rolls a new configuration out.
   * @default - all at once, no bake time (quick feedback; use a linear or canary strategy in production)
   */
  readonly deploymentStrategy?: appconfig.RolloutStrategy;
  /**
   * Create the AppConfig application, environment and strategy. Without them (a LocalStack
   * target, whose community tier has no AppConfig) configuration is SSM only: profiles are not
   * created and the runtime reads every feature flag as off unless the caller gives a default.
   * @default true
   */
  readonly appConfig?: boolean;
}

/** The platform's AppConfig parts (none on a LocalStack target). */
export interface PlatformAppConfig {
  readonly application: appconfig.Application;
  readonly environment: appconfig.Environment;
  readonly deploymentStrategy: appconfig.DeploymentStrategy;
}

/** One feature flag of an `AWS.AppConfig.FeatureFlags` profile. */
export interface FeatureFlag {
  readonly enabled: boolean;
  /**
   * What the flag is for.
   * @default - none
   */
  readonly description?: string;
}

/**
 * Central configuration (the Spring Cloud Config role): an SSM Parameter Store hierarchy
 * `/{platform}/{stage}/{service}/…` plus `/{platform}/{stage}/shared/…`, and AppConfig (one
 * application per platform, one environment per stage, feature-flag and JSON profiles with
 * JSON-schema validators, a deployment strategy). Each service may read its own subtree and the
 * shared one, nothing else.
 */
export class PlatformConfiguration extends Construct {
  /** Application, environment and strategy; undefined when built with `appConfig: false`. */
  readonly appConfig?: PlatformAppConfig;
  /** `/{platform}/{stage}` */
  readonly rootPath: string;
  private readonly profiles: appconfig.HostedConfiguration[] = [];

  constructor(scope: Construct, id: string, props: PlatformConfigurationProps) {
    super(scope, id);
    this.rootPath = `/${props.platformName}/${props.stage}`;
    if (props.appConfig === false) return;
    const application = new appconfig.Application(this, 'Application', {
      applicationName: props.platformName,
      description: `Configuration of the ${props.platformName} platform`,
    });
    const environment = new appconfig.Environment(this, 'Environment', {
      application,
      environmentName: props.stage,
    });
    const deploymentStrategy = new appconfig.DeploymentStrategy(this, 'DeploymentStrategy', {
      rolloutStrategy:
        props.deploymentStrategy ??
        appconfig.RolloutStrategy.linear({
          growthFactor: 100,
          deploymentDuration: Duration.minutes(0),
          finalBakeTime: Duration.minutes(0),
        }),
    });
    this.appConfig = { application, environment, deploymentStrategy };
  }

  get application(): appconfig.Application {
    return this.requireAppConfig().application;
  }

  get environment(): appconfig.Environment {
    return this.requireAppConfig().environment;
  }

  get deploymentStrategy(): appconfig.DeploymentStrategy {
    return this.requireAppConfig().deploymentStrategy;
  }

  /** Where a service's own parameters live. */
  servicePath(serviceName: string): string {
    return `${this.rootPath}/${serviceName}`;
  }

  /** Where parameters every service may read live. */
  get sharedPath(): string {
    return `${this.rootPath}/shared`;
  }

  /**
   * A plain parameter of one service (or shared, without `service`). Secrets belong in
   * SecureString parameters, which CloudFormation cannot create: put them with the CLI under the
   * same path.
   */
  addParameter(
    name: string,
    value: string,
    options: { service?: string; description?: string } = {},
  ): ssm.StringParameter {
    const path = `${options.service ? this.servicePath(options.service) : this.sharedPath}/${name}`;
    return new ssm.StringParameter(this, `Parameter${path.replace(/[^A-Za-z0-9]/g, '')}`, {
      parameterName: path,
      stringValue: value,
      description: options.description,
    });
  }

  /**
   * A feature-flag profile (`AWS.AppConfig.FeatureFlags`), deployed to the stage's environment.
   * Without AppConfig nothing is created (undefined): the flags read as off, or as the caller's
   * default.
   */
  addFeatureFlags(
    name: string,
    flags: Record<string, FeatureFlag>,
  ): appconfig.HostedConfiguration | undefined {
    const document = {
      version: '1',
      flags: Object.fromEntries(
        Object.entries(flags).map(([flag, { description }]) => [
          flag,
          { name: flag, ...(description ? { description } : {}) },
        ]),
      ),
      values: Object.fromEntries(
        Object.entries(flags).map(([flag, { enabled }]) => [flag, { enabled }]),
      ),
    };
    return this.addProfile(name, {
      content: appconfig.ConfigurationContent.fromInlineJson(JSON.stringify(document)),
      type: appconfig.ConfigurationType.FEATURE_FLAGS,
    });
  }

  /**
   * A free-form JSON profile, checked by a JSON-schema validator before any deployment. Without
   * AppConfig nothing is created (undefined), and reading the profile fails with a ConfigError.
   */
  addJsonProfile(
    name: string,
    content: unknown,
    schema: Record<string, unknown>,
  ): appconfig.HostedConfiguration | undefined {
    return this.addProfile(name, {
      content: appconfig.ConfigurationContent.fromInlineJson(JSON.stringify(content)),
      type: appconfig.ConfigurationType.FREEFORM,
      validators: [appconfig.JsonSchemaValidator.fromInline(JSON.stringify(schema))],
    });
  }

  /**
   * Read access for one service: its own subtree, the shared one, and the AppConfig environment
   * (when there is one).
   */
  grantServiceRead(grantee: iam.IGrantable, serviceName: string): void {
    const stack = Stack.of(this);
    const parameterArns = [this.servicePath(serviceName), this.sharedPath].flatMap((path) => {
      const arn = stack.formatArn({
        service: 'ssm',
        resource: 'parameter',
        resourceName: path.slice(1),
      });
      return [arn, `${arn}/*`];
    });
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['ssm:GetParameter', 'ssm:GetParameters', 'ssm:GetParametersByPath'],
      resourceArns: parameterArns,
    });
    const role = grantee.grantPrincipal as unknown as Construct;
    for (const arn of parameterArns.filter((candidate) => candidate.endsWith('/*'))) {
      acknowledgeWildcardResource(
        role,
        arn,
        "Parameters under the service's own (or the shared) configuration path, which operators extend at run time.",
      );
    }
    if (!this.appConfig) return;
    const profiles = stack.formatArn({
      service: 'appconfig',
      resource: 'application',
      resourceName: `${this.appConfig.application.applicationId}/environment/${this.appConfig.environment.environmentId}/configuration/*`,
    });
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['appconfig:StartConfigurationSession', 'appconfig:GetLatestConfiguration'],
      resourceArns: [profiles],
    });
    acknowledgeWildcardResource(
      role,
      profiles,
      "Every configuration profile of the platform's AppConfig environment, and no other application.",
    );
  }

  /** The environment variables the runtime's config reader needs for one service. */
  environmentFor(serviceName: string): Record<string, string> {
    return {
      [CONFIG_ENV.servicePath]: this.servicePath(serviceName),
      [CONFIG_ENV.sharedPath]: this.sharedPath,
      // Without AppConfig the reader is SSM only (both variables unset, as the runtime expects).
      ...(this.appConfig
        ? {
            [CONFIG_ENV.application]: this.appConfig.application.applicationId,
            [CONFIG_ENV.environment]: this.appConfig.environment.environmentId,
          }
        : {}),
    };
  }

  private addProfile(
    name: string,
    props: Pick<appconfig.HostedConfigurationProps, 'content' | 'type' | 'validators'>,
  ): appconfig.HostedConfiguration | undefined {
    if (!this.appConfig) return undefined;
    const profile = new appconfig.HostedConfiguration(
      this,
      `Profile${name.replace(/[^A-Za-z0-9]/g, '')}`,
      {
        application: this.appConfig.application,
        name,
        deploymentStrategy: this.appConfig.deploymentStrategy,
        deployTo: [this.appConfig.environment],
        ...props,
      },
    );
    this.profiles.push(profile);
    return profile;
  }

  private requireAppConfig(): PlatformAppConfig {
    if (!this.appConfig) {
      throw new Error(
        `The configuration of ${this.rootPath} has no AppConfig (built with appConfig: false, e.g. for LocalStack)`,
      );
    }
    return this.appConfig;
  }
}
