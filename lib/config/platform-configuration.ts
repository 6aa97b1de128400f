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
  readonly application: appconfig.Application;
  readonly environment: appconfig.Environment;
  readonly deploymentStrategy: appconfig.DeploymentStrategy;
  /** `/{platform}/{stage}` */
  readonly rootPath: string;
  private readonly profiles: appconfig.HostedConfiguration[] = [];

  constructor(scope: Construct, id: string, props: PlatformConfigurationProps) {
    super(scope, id);
    this.rootPath = `/${props.platformName}/${props.stage}`;
    this.application = new appconfig.Application(this, 'Application', {
      applicationName: props.platformName,
      description: `Configuration of the ${props.platformName} platform`,
    });
    this.environment = new appconfig.Environment(this, 'Environment', {
      application: this.application,
      environmentName: props.stage,
    });
    this.deploymentStrategy = new appconfig.DeploymentStrategy(this, 'DeploymentStrategy', {
      rolloutStrategy:
        props.deploymentStrategy ??
        appconfig.RolloutStrategy.linear({
          growthFactor: 100,
          deploymentDuration: Duration.minutes(0),
          finalBakeTime: Duration.minutes(0),
        }),
    });
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

  /** A feature-flag profile (`AWS.AppConfig.FeatureFlags`), deployed to the stage's environment. */
  addFeatureFlags(name: string, flags: Record<string, FeatureFlag>): appconfig.HostedConfiguration {
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

  /** A free-form JSON profile, checked by a JSON-schema validator before any deployment. */
  addJsonProfile(
    name: string,
    content: unknown,
    schema: Record<string, unknown>,
  ): appconfig.HostedConfiguration {
    return this.addProfile(name, {
      content: appconfig.ConfigurationContent.fromInlineJson(JSON.stringify(content)),
      type: appconfig.ConfigurationType.FREEFORM,
      validators: [appconfig.JsonSchemaValidator.fromInline(JSON.stringify(schema))],
    });
  }

  /** Read access for one service: its own subtree, the shared one, and the AppConfig environment. */
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
    const profiles = stack.formatArn({
      service: 'appconfig',
      resource: 'application',
      resourceName: `${this.application.applicationId}/environment/${this.environment.environmentId}/configuration/*`,
    });
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['appconfig:StartConfigurationSession', 'appconfig:GetLatestConfiguration'],
      resourceArns: [profiles],
    });
    const role = grantee.grantPrincipal as unknown as Construct;
    for (const arn of parameterArns.filter((candidate) => candidate.endsWith('/*'))) {
      acknowledgeWildcardResource(
        role,
        arn,
        "Parameters under the service's own (or the shared) configuration path, which operators extend at run time.",
      );
    }
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
      [CONFIG_ENV.application]: this.application.applicationId,
      [CONFIG_ENV.environment]: this.environment.environmentId,
    };
  }

  private addProfile(
    name: string,
    props: Pick<appconfig.HostedConfigurationProps, 'content' | 'type' | 'validators'>,
  ): appconfig.HostedConfiguration {
    const profile = new appconfig.HostedConfiguration(
      this,
      `Profile${name.replace(/[^A-Za-z0-9]/g, '')}`,
      {
        application: this.application,
        name,
        deploymentStrategy: this.deploymentStrategy,
        deployTo: [this.environment],
        ...props,
      },
    );
    this.profiles.push(profile);
    return profile;
  }
}
