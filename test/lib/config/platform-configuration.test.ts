import { App, type CfnElement, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as appconfig from 'aws-cdk-lib/aws-appconfig';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import {
  PlatformConfiguration,
  type PlatformConfigurationProps,
} from '../../../lib/config/platform-configuration';

type Resource = { Type: string; Properties: Record<string, unknown> };
type Statement = { Action: string | string[]; Effect: string; Resource: unknown };

function setup(props: Partial<PlatformConfigurationProps> = {}) {
  // Bundling disabled: construct tests check the template, not the bundle.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'ConfigStack', {
    env: { account: '123456789012', region: 'eu-west-1' },
  });
  const config = new PlatformConfiguration(stack, 'Config', {
    platformName: 'shop',
    stage: 'dev',
    ...props,
  });
  const role = (id: string) =>
    new iam.Role(stack, id, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  return { app, stack, config, role };
}

const logicalId = (stack: Stack, construct: IConstruct) =>
  stack.getLogicalId(construct.node.defaultChild as CfnElement);

const resourcesOf = (template: Template, type: string) =>
  Object.values(template.findResources(type)) as Resource[];

/** The one resource of `type`, which the test expects to be alone. */
function only(template: Template, type: string): Resource {
  const found = resourcesOf(template, type);
  expect(found, type).toHaveLength(1);
  return found[0];
}

/** Every Allow statement of the policies attached to `role`. */
function statementsOf(template: Template, stack: Stack, role: iam.Role): Statement[] {
  const roleId = logicalId(stack, role);
  return resourcesOf(template, 'AWS::IAM::Policy')
    .filter((policy) =>
      (policy.Properties.Roles as { Ref: string }[]).some((entry) => entry.Ref === roleId),
    )
    .flatMap(
      (policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement,
    );
}

/** A resolved ARN as text: the partition is `aws`, other references `<LogicalId>`. */
function render(value: unknown): string {
  if (typeof value === 'string') return value;
  const object = value as Record<string, unknown>;
  if ('Ref' in object) return object.Ref === 'AWS::Partition' ? 'aws' : `<${String(object.Ref)}>`;
  if ('Fn::Join' in object) {
    const [delimiter, parts] = object['Fn::Join'] as [string, unknown[]];
    return parts.map(render).join(delimiter);
  }
  throw new Error(`cannot render ${JSON.stringify(value)}`);
}

/** Whether an IAM resource pattern (with `*` and `?` wildcards) covers `arn`. */
function covers(pattern: string, arn: string): boolean {
  const regex = pattern
    .split('')
    .map((char) =>
      char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[.+^${}()|[\]\\/]/g, '\\$&'),
    )
    .join('');
  return new RegExp(`^${regex}$`).test(arn);
}

/** Whether the role's statements allow `action` on `arn`. */
function allows(statements: Statement[], action: string, arn: string): boolean {
  return statements.some(
    (statement) =>
      statement.Effect === 'Allow' &&
      [statement.Action].flat().includes(action) &&
      [statement.Resource].flat().some((resource) => covers(render(resource), arn)),
  );
}

const PARAMETER = 'arn:aws:ssm:eu-west-1:123456789012:parameter';

describe('PlatformConfiguration', () => {
  describe('AppConfig', () => {
    it('creates one application named after the platform and one environment named after the stage', () => {
      const { stack, config } = setup();
      const template = Template.fromStack(stack);
      expect(only(template, 'AWS::AppConfig::Application').Properties).toMatchObject({
        Name: 'shop',
      });
      expect(only(template, 'AWS::AppConfig::Environment').Properties).toEqual({
        ApplicationId: { Ref: logicalId(stack, config.application) },
        Name: 'dev',
      });
    });

    it('rolls out all at once without bake time by default', () => {
      const { stack } = setup();
      const template = Template.fromStack(stack);
      expect(only(template, 'AWS::AppConfig::DeploymentStrategy').Properties).toMatchObject({
        GrowthType: 'LINEAR',
        GrowthFactor: 100,
        DeploymentDurationInMinutes: 0,
        FinalBakeTimeInMinutes: 0,
        ReplicateTo: 'NONE',
      });
    });

    it('uses the deployment strategy given', () => {
      const { stack } = setup({
        deploymentStrategy: appconfig.RolloutStrategy.linear({
          growthFactor: 20,
          deploymentDuration: Duration.minutes(10),
          finalBakeTime: Duration.minutes(5),
        }),
      });
      const template = Template.fromStack(stack);
      expect(only(template, 'AWS::AppConfig::DeploymentStrategy').Properties).toMatchObject({
        GrowthType: 'LINEAR',
        GrowthFactor: 20,
        DeploymentDurationInMinutes: 10,
        FinalBakeTimeInMinutes: 5,
      });
    });

    it('creates no profile until one is added', () => {
      const template = Template.fromStack(setup().stack);
      template.resourceCountIs('AWS::AppConfig::ConfigurationProfile', 0);
      template.resourceCountIs('AWS::AppConfig::Deployment', 0);
    });
  });

  describe('paths', () => {
    it('roots the hierarchy at /{platform}/{stage}, with a subtree per service and a shared one', () => {
      const { config } = setup();
      expect(config.rootPath).toBe('/shop/dev');
      expect(config.servicePath('orders')).toBe('/shop/dev/orders');
      expect(config.sharedPath).toBe('/shop/dev/shared');
    });

    it("gives a service's functions its paths and the AppConfig identifiers", () => {
      const { stack, config } = setup();
      expect(stack.resolve(config.environmentFor('orders'))).toEqual({
        CONFIG_SERVICE_PATH: '/shop/dev/orders',
        CONFIG_SHARED_PATH: '/shop/dev/shared',
        APPCONFIG_APPLICATION: { Ref: logicalId(stack, config.application) },
        APPCONFIG_ENVIRONMENT: { Ref: logicalId(stack, config.environment) },
      });
    });
  });

  describe('addParameter', () => {
    it("creates a String parameter under the service's path", () => {
      const { stack, config } = setup();
      config.addParameter('page-size', '20', { service: 'orders', description: 'Page size' });
      expect(only(Template.fromStack(stack), 'AWS::SSM::Parameter').Properties).toEqual({
        Name: '/shop/dev/orders/page-size',
        Type: 'String',
        Value: '20',
        Description: 'Page size',
      });
    });

    it('creates a shared parameter without a service', () => {
      const { stack, config } = setup();
      config.addParameter('currency', 'EUR');
      expect(only(Template.fromStack(stack), 'AWS::SSM::Parameter').Properties).toEqual({
        Name: '/shop/dev/shared/currency',
        Type: 'String',
        Value: 'EUR',
      });
    });

    it('keeps parameters of the same name apart per service', () => {
      const { stack, config } = setup();
      config.addParameter('timeout', '1', { service: 'orders' });
      config.addParameter('timeout', '2', { service: 'billing' });
      config.addParameter('timeout', '3');
      const names = resourcesOf(Template.fromStack(stack), 'AWS::SSM::Parameter')
        .map(
          (parameter) =>
            `${parameter.Properties.Name as string}=${parameter.Properties.Value as string}`,
        )
        .sort();
      expect(names).toEqual([
        '/shop/dev/billing/timeout=2',
        '/shop/dev/orders/timeout=1',
        '/shop/dev/shared/timeout=3',
      ]);
    });
  });

  describe('addFeatureFlags', () => {
    function withFlags() {
      const { stack, config } = setup();
      const profile = config.addFeatureFlags('features', {
        recommendations: { enabled: true, description: 'Enrich answers' },
        'dark-mode': { enabled: false },
      });
      return { stack, config, profile, template: Template.fromStack(stack) };
    }

    it('creates an AWS.AppConfig.FeatureFlags profile of the application', () => {
      const { stack, config, template } = withFlags();
      expect(only(template, 'AWS::AppConfig::ConfigurationProfile').Properties).toEqual({
        ApplicationId: { Ref: logicalId(stack, config.application) },
        LocationUri: 'hosted',
        Name: 'features',
        Type: 'AWS.AppConfig.FeatureFlags',
      });
    });

    it('writes the flags in the feature-flag document format {version:"1",flags,values}', () => {
      const { template } = withFlags();
      const version = only(template, 'AWS::AppConfig::HostedConfigurationVersion');
      expect(version.Properties.ContentType).toBe('application/json');
      expect(JSON.parse(version.Properties.Content as string)).toEqual({
        version: '1',
        flags: {
          recommendations: { name: 'recommendations', description: 'Enrich answers' },
          'dark-mode': { name: 'dark-mode' },
        },
        values: {
          recommendations: { enabled: true },
          'dark-mode': { enabled: false },
        },
      });
    });

    it("deploys the profile to the stage's environment with the platform's strategy", () => {
      const { stack, config, template } = withFlags();
      const idOf = (type: string) => {
        const ids = Object.keys(template.findResources(type));
        expect(ids, type).toHaveLength(1);
        return ids[0];
      };
      expect(only(template, 'AWS::AppConfig::Deployment').Properties).toEqual({
        ApplicationId: { Ref: logicalId(stack, config.application) },
        ConfigurationProfileId: { Ref: idOf('AWS::AppConfig::ConfigurationProfile') },
        ConfigurationVersion: { Ref: idOf('AWS::AppConfig::HostedConfigurationVersion') },
        DeploymentStrategyId: { Ref: logicalId(stack, config.deploymentStrategy) },
        EnvironmentId: { Ref: logicalId(stack, config.environment) },
      });
    });
  });

  describe('addJsonProfile', () => {
    const schema = {
      type: 'object',
      properties: { maxItems: { type: 'integer', minimum: 1 } },
      required: ['maxItems'],
    };

    function withProfile() {
      const { stack, config } = setup();
      config.addJsonProfile('limits', { maxItems: 5 }, schema);
      return { stack, config, template: Template.fromStack(stack) };
    }

    it('creates a freeform profile checked by a JSON_SCHEMA validator', () => {
      const { template } = withProfile();
      const profile = only(template, 'AWS::AppConfig::ConfigurationProfile');
      expect(profile.Properties).toMatchObject({
        Name: 'limits',
        Type: 'AWS.Freeform',
        LocationUri: 'hosted',
      });
      const validators = profile.Properties.Validators as { Type: string; Content: string }[];
      expect(validators).toHaveLength(1);
      expect(validators[0].Type).toBe('JSON_SCHEMA');
      expect(JSON.parse(validators[0].Content)).toEqual(schema);
    });

    it('stores the content as JSON and deploys it to the environment', () => {
      const { stack, config, template } = withProfile();
      const version = only(template, 'AWS::AppConfig::HostedConfigurationVersion');
      expect(JSON.parse(version.Properties.Content as string)).toEqual({ maxItems: 5 });
      expect(version.Properties.ContentType).toBe('application/json');
      expect(only(template, 'AWS::AppConfig::Deployment').Properties).toMatchObject({
        EnvironmentId: { Ref: logicalId(stack, config.environment) },
        DeploymentStrategyId: { Ref: logicalId(stack, config.deploymentStrategy) },
      });
    });

    it('keeps several profiles apart, each with its own deployment', () => {
      const { stack, config } = setup();
      config.addFeatureFlags('features', { a: { enabled: true } });
      config.addJsonProfile('limits', { maxItems: 5 }, schema);
      const template = Template.fromStack(stack);
      expect(
        resourcesOf(template, 'AWS::AppConfig::ConfigurationProfile')
          .map(
            (profile) =>
              `${profile.Properties.Name as string}:${profile.Properties.Type as string}`,
          )
          .sort(),
      ).toEqual(['features:AWS.AppConfig.FeatureFlags', 'limits:AWS.Freeform']);
      template.resourceCountIs('AWS::AppConfig::HostedConfigurationVersion', 2);
      template.resourceCountIs('AWS::AppConfig::Deployment', 2);
    });
  });

  describe('grantServiceRead', () => {
    function granted() {
      const { app, stack, config, role } = setup();
      const orders = role('OrdersRole');
      const billing = role('BillingRole');
      config.grantServiceRead(orders, 'orders');
      config.grantServiceRead(billing, 'billing');
      const template = Template.fromStack(stack);
      return {
        app,
        stack,
        config,
        template,
        orders: statementsOf(template, stack, orders),
        billing: statementsOf(template, stack, billing),
      };
    }

    it('lets a service read its own parameters, by name and by path', () => {
      const { orders } = granted();
      for (const action of ['ssm:GetParameter', 'ssm:GetParameters', 'ssm:GetParametersByPath']) {
        expect(allows(orders, action, `${PARAMETER}/shop/dev/orders/page-size`), action).toBe(true);
        expect(allows(orders, action, `${PARAMETER}/shop/dev/orders/db/host`), action).toBe(true);
        // GetParametersByPath names the path itself.
        expect(allows(orders, action, `${PARAMETER}/shop/dev/orders`), action).toBe(true);
      }
    });

    it('lets a service read the shared parameters', () => {
      const { orders, billing } = granted();
      for (const statements of [orders, billing]) {
        expect(
          allows(statements, 'ssm:GetParameter', `${PARAMETER}/shop/dev/shared/currency`),
        ).toBe(true);
        expect(allows(statements, 'ssm:GetParametersByPath', `${PARAMETER}/shop/dev/shared`)).toBe(
          true,
        );
      }
    });

    it("does not let a service read another service's parameters, nor the rest of the hierarchy", () => {
      const { orders, billing } = granted();
      const denied = [
        `${PARAMETER}/shop/dev/billing/secret`,
        `${PARAMETER}/shop/dev/billing`,
        // A service whose name starts with the other's is a different subtree.
        `${PARAMETER}/shop/dev/orders-archive/secret`,
        `${PARAMETER}/shop/dev/ordersx`,
        `${PARAMETER}/shop/dev/shared-secrets/key`,
        `${PARAMETER}/shop/dev`,
        `${PARAMETER}/shop/prod/orders/page-size`,
        `${PARAMETER}/shop/dev/auth/signing-keys`,
        `${PARAMETER}/other/dev/orders/page-size`,
      ];
      for (const arn of denied) {
        expect(allows(orders, 'ssm:GetParameter', arn), arn).toBe(false);
        expect(allows(orders, 'ssm:GetParametersByPath', arn), arn).toBe(false);
      }
      expect(allows(billing, 'ssm:GetParameter', `${PARAMETER}/shop/dev/orders/page-size`)).toBe(
        false,
      );
      expect(allows(billing, 'ssm:GetParameter', `${PARAMETER}/shop/dev/billing/x`)).toBe(true);
    });

    it('grants only reads: exactly the three SSM read actions and the two AppConfig data actions', () => {
      const { orders } = granted();
      expect(orders.flatMap((statement) => [statement.Action].flat())).toEqual([
        'ssm:GetParameter',
        'ssm:GetParameters',
        'ssm:GetParametersByPath',
        'appconfig:StartConfigurationSession',
        'appconfig:GetLatestConfiguration',
      ]);
      expect(orders.every((statement) => statement.Effect === 'Allow')).toBe(true);
      expect(orders.some((statement) => [statement.Resource].flat().includes('*'))).toBe(false);
    });

    it("allows the AppConfig actions on the platform's application and environment only", () => {
      const { stack, config, orders } = granted();
      const app = logicalId(stack, config.application);
      const env = logicalId(stack, config.environment);
      const appconfigStatements = orders.filter((statement) =>
        [statement.Action].flat().some((action) => action.startsWith('appconfig:')),
      );
      expect(appconfigStatements).toHaveLength(1);
      expect([appconfigStatements[0].Resource].flat().map(render)).toEqual([
        `arn:aws:appconfig:eu-west-1:123456789012:application/<${app}>/environment/<${env}>/configuration/*`,
      ]);
      const base = 'arn:aws:appconfig:eu-west-1:123456789012:application';
      for (const action of [
        'appconfig:StartConfigurationSession',
        'appconfig:GetLatestConfiguration',
      ]) {
        expect(
          allows(orders, action, `${base}/<${app}>/environment/<${env}>/configuration/p1`),
        ).toBe(true);
        expect(allows(orders, action, `${base}/<${app}>/environment/other/configuration/p1`)).toBe(
          false,
        );
        expect(allows(orders, action, `${base}/other/environment/<${env}>/configuration/p1`)).toBe(
          false,
        );
      }
    });

    it('acknowledges exactly its wildcard resources for cdk-nag, leaving no violation', () => {
      const { app } = granted();
      const report = new AwsSolutionsChecks().validateScope(app);
      const described = report.violations.map(
        (violation) =>
          `${violation.ruleName}: ${violation.violatingResources
            .map((resource) => resource.constructPath ?? resource.resourceLogicalId)
            .join(', ')}`,
      );
      expect(described).toEqual([]);
    });

    it('reports only a wildcard granted without acknowledgement (acknowledgements are precise)', () => {
      const { app, config, role } = setup();
      const orders = role('OrdersRole');
      config.grantServiceRead(orders, 'orders');
      orders.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['ssm:GetParameter'],
          resources: ['arn:aws:ssm:eu-west-1:123456789012:parameter/shop/dev/*'],
        }),
      );
      const report = new AwsSolutionsChecks().validateScope(app);
      expect(report.violations.map((violation) => violation.ruleName)).toEqual([
        'AwsSolutions-IAM5[Resource::arn:aws:ssm:eu-west-1:123456789012:parameter/shop/dev/*]',
      ]);
    });
  });
});
