import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { DemoPlatformStack } from '../../../lib/demo/demo-platform-stack';

const FUNCTIONS_ROOT = path.join(__dirname, '..', '..', '..', 'functions');

let app: App;
let stack: DemoPlatformStack;
let template: Template;

beforeAll(() => {
  app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  stack = new DemoPlatformStack(app, 'ServerlessMsaDemo', {
    functionsRoot: FUNCTIONS_ROOT,
    env: { account: '123456789012', region: 'eu-west-1' },
  });
  template = Template.fromStack(stack);
}, 60_000); // the first synthesis of a process loads all of aws-cdk-lib

describe('DemoPlatformStack', () => {
  it('passes the AwsSolutions cdk-nag pack with no unacknowledged violation', () => {
    const report = new AwsSolutionsChecks().validateScope(app);
    const described = report.violations.map(
      (violation) =>
        `${violation.ruleName}: ${violation.description}\n    ${violation.violatingResources
          .map((resource) => `${resource.resourceLogicalId} (${resource.templatePath})`)
          .join('\n    ')}`,
    );
    expect(described, `cdk-nag violations:\n${described.join('\n')}`).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('the nag check is live: an unprotected table is reported (AwsSolutions-DDB3)', () => {
    const other = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    new dynamodb.Table(new Stack(other, 'Bare'), 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    });
    const report = new AwsSolutionsChecks().validateScope(other);
    expect(report.success).toBe(false);
    expect(report.violations.map((violation) => violation.ruleName)).toContain('AwsSolutions-DDB3');
  });

  it('has the expected resource counts', () => {
    const services = 2; // reading-list, recommendations
    const authFunctions = 3; // token service, key rotation, authorizer
    const triggerProviderFunctions = 1; // the CDK's singleton provider behind Custom::Trigger
    const adminFunctions = 1; // the admin API
    const controlLoopFunctions = 1; // the registry's health control loop
    template.resourceCountIs(
      'AWS::Lambda::Function',
      services + authFunctions + triggerProviderFunctions + adminFunctions + controlLoopFunctions,
    );
    const clientsTables = 1;
    const assertionReplayTables = 1; // private_key_jwt assertions are single-use fleet-wide
    const resilienceTables = 1; // circuit-breaker state and injected faults
    template.resourceCountIs(
      'AWS::DynamoDB::Table',
      services + clientsTables + assertionReplayTables + resilienceTables,
    );
    template.resourceCountIs('AWS::ApiGateway::RestApi', 1);
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 0);
    template.resourceCountIs('AWS::ApiGateway::Stage', 1);
    // One API-scoped permission per function behind the gateway (the services, the token
    // service and the admin API), one for the authorizer, one per schedule (key rotation,
    // health probes).
    const gatewayBackedFunctions = services + 1 + adminFunctions;
    const authorizerPermissions = 1;
    const schedulePermissions = 2;
    template.resourceCountIs(
      'AWS::Lambda::Permission',
      gatewayBackedFunctions + authorizerPermissions + schedulePermissions,
    );
    // health + GET for recommendations; health + GET + POST for reading-list.
    const serviceMethods = 5;
    // POST /oauth2/token and four GET /.well-known/... metadata and JWKS routes.
    const authMethods = 5;
    // GET circuits, POST force-open / force-closed / reset, GET faults, PUT faults/{service},
    // GET services.
    const adminMethods = 7;
    template.resourceCountIs(
      'AWS::ApiGateway::Method',
      serviceMethods + authMethods + adminMethods,
    );
    template.resourceCountIs('AWS::ApiGateway::Authorizer', 1);
    template.resourceCountIs('AWS::ApiGateway::UsagePlan', 1);
    const rotationSchedules = 1;
    const probeSchedules = 1;
    template.resourceCountIs('AWS::Events::Rule', rotationSchedules + probeSchedules);
    template.resourceCountIs('Custom::Trigger', 1);
    // Service discovery: one namespace, one Cloud Map service and instance per service, and one
    // "no healthy instance" alarm per service.
    template.resourceCountIs('AWS::ServiceDiscovery::HttpNamespace', 1);
    template.resourceCountIs('AWS::ServiceDiscovery::Service', services);
    template.resourceCountIs('AWS::ServiceDiscovery::Instance', services);
    template.resourceCountIs('AWS::CloudWatch::Alarm', services);
    // Central configuration: one application and environment, one deployment strategy, the
    // `features` flag profile with its version and deployment, and reading-list's
    // max-recommendations parameter.
    template.resourceCountIs('AWS::AppConfig::Application', 1);
    template.resourceCountIs('AWS::AppConfig::Environment', 1);
    template.resourceCountIs('AWS::AppConfig::DeploymentStrategy', 1);
    const profiles = 1;
    template.resourceCountIs('AWS::AppConfig::ConfigurationProfile', profiles);
    template.resourceCountIs('AWS::AppConfig::HostedConfigurationVersion', profiles);
    template.resourceCountIs('AWS::AppConfig::Deployment', profiles);
    template.resourceCountIs('AWS::SSM::Parameter', 1);
  });

  it('stays well below the CloudFormation limit of 500 resources', () => {
    const count = Object.keys(template.toJSON().Resources as object).length;
    console.info(`DemoPlatformStack: ${count} resources`);
    expect(count, `the demo stack has ${count} resources`).toBeLessThan(500);
    expect(count).toBeGreaterThan(0);
  });

  it('wires reading-list to call recommendations directly, and not the other way round', () => {
    expect(stack.readingList.serviceName).toBe('reading-list');
    expect(stack.recommendations.serviceName).toBe('recommendations');
    const fns = template.findResources('AWS::Lambda::Function');
    const envOf = (svc: typeof stack.readingList) =>
      JSON.stringify(
        fns[stack.getLogicalId(svc.function.node.defaultChild as never)].Properties.Environment,
      );
    expect(envOf(stack.readingList)).toContain('SERVICE_RECOMMENDATIONS_FUNCTION_NAME');
    expect(envOf(stack.recommendations)).not.toContain('SERVICE_READING_LIST_FUNCTION_NAME');
  });

  it('destroys its stateful resources with the stack (a demo)', () => {
    for (const table of Object.values(template.findResources('AWS::DynamoDB::Table'))) {
      expect(table.DeletionPolicy).toBe('Delete');
    }
    for (const logGroup of Object.values(template.findResources('AWS::Logs::LogGroup'))) {
      expect(logGroup.DeletionPolicy).toBe('Delete');
    }
  });

  it('has a features flag profile and reading-list max-recommendations, with a 2 s config cache', () => {
    template.hasResourceProperties('AWS::AppConfig::ConfigurationProfile', {
      Name: 'features',
      Type: 'AWS.AppConfig.FeatureFlags',
    });
    template.hasResourceProperties('AWS::SSM::Parameter', {
      Name: '/msa-demo/dev/reading-list/max-recommendations',
      Type: 'String',
      Value: '3',
    });
    template.hasResourceProperties('AWS::ServiceDiscovery::HttpNamespace', {
      Name: 'msa-demo-dev',
    });
    expect(stack.platform.serviceEnvironment.CONFIG_MAX_AGE_SECONDS).toBe('2');
  });

  it('uses the msa-demo platform on the dev stage', () => {
    expect(stack.platform.platformName).toBe('msa-demo');
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { Name: 'msa-demo-dev' });
    template.hasResourceProperties('AWS::ApiGateway::Stage', { StageName: 'dev' });
  });
});
