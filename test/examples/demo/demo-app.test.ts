import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { addDemoStacks, type DemoStacks } from '../../../examples/demo/demo-app';

const SERVICES_ROOT = path.join(__dirname, '..', '..', '..', 'functions', 'services');

let app: App;
let stacks: DemoStacks;
let platform: Template;
let recommendations: Template;
let readingList: Template;

beforeAll(() => {
  app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  stacks = addDemoStacks(app, {
    servicesRoot: SERVICES_ROOT,
    env: { account: '123456789012', region: 'eu-west-1' },
  });
  platform = Template.fromStack(stacks.platform);
  recommendations = Template.fromStack(stacks.recommendations);
  readingList = Template.fromStack(stacks.readingList);
}, 60_000); // the first synthesis of a process loads all of aws-cdk-lib

function resourceCount(template: Template): number {
  return Object.keys(template.toJSON().Resources as object).length;
}

describe('the example app: a platform stack and one stack per service', () => {
  it('passes the AwsSolutions cdk-nag pack with no unacknowledged violation, in every stack', () => {
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

  it('keeps every service resource out of the platform stack', () => {
    const authFunctions = 3; // token service, key rotation, authorizer
    const triggerProviderFunctions = 1; // the CDK's singleton provider behind Custom::Trigger
    const adminFunctions = 1;
    const controlLoopFunctions = 1;
    const consoleFunctions = 1;
    const logShipperFunctions = 1;
    // The CDK's AwsCustomResource provider behind the log domain's access policy.
    const sdkCallProviderFunctions = 1;
    platform.resourceCountIs(
      'AWS::Lambda::Function',
      authFunctions +
        triggerProviderFunctions +
        adminFunctions +
        controlLoopFunctions +
        consoleFunctions +
        logShipperFunctions +
        sdkCallProviderFunctions,
    );
    // Clients, assertion replay, resilience, people's users and grants: no service table.
    platform.resourceCountIs('AWS::DynamoDB::Table', 5);
    platform.resourceCountIs('AWS::ApiGateway::RestApi', 1);
    platform.resourceCountIs('AWS::ApiGateway::Stage', 1);
    platform.resourceCountIs('AWS::ApiGateway::Authorizer', 1);
    // Public: POST /oauth2/token, GET and POST /oauth2/authorize, four GET /.well-known routes
    // and the console's four; protected: the admin routes (the platform's only protected ones).
    const adminRoutes = stacks.platform.platform.authorizationServer!.protectedRoutes;
    expect(adminRoutes.every((route) => route.resource.startsWith('/admin/'))).toBe(true);
    platform.resourceCountIs('AWS::ApiGateway::Method', 7 + 4 + adminRoutes.length);
    platform.resourceCountIs('AWS::ServiceDiscovery::HttpNamespace', 1);
    platform.resourceCountIs('AWS::ServiceDiscovery::Service', 0);
    // The platform's own alarms (gateway, its functions and tables, central logs); none of a service's.
    const alarmNames = Object.values(platform.findResources('AWS::CloudWatch::Alarm')).map(
      (alarm) =>
        JSON.stringify((alarm as { Properties: { AlarmName: unknown } }).Properties.AlarmName),
    );
    expect(alarmNames.length).toBeGreaterThan(0);
    expect(alarmNames.filter((name) => /reading-list|recommendations/.test(name))).toEqual([]);
    platform.resourceCountIs('AWS::AppConfig::ConfigurationProfile', 1);
    const text = JSON.stringify(platform.toJSON());
    expect(text.includes('"PathPart":"reading-list"'), 'a service route in the platform').toBe(
      false,
    );
    expect(text.includes('recommendations/read'), 'a service scope in the platform').toBe(false);
  });

  it('gives each service its own function, table, routes, registration and alarm in its stack', () => {
    // recommendations consumes BookAdded: its queue and dead-letter queue, the mapping, the
    // dead-letter alarm and the resume check's invoke permission; reading-list publishes it.
    for (const [template, methods, consumer, callees] of [
      [recommendations, 2, 1, 0], // health, GET
      [readingList, 3, 0, 1], // health, GET, POST; calls recommendations
    ] as const) {
      template.resourceCountIs('AWS::SQS::Queue', 2 * consumer);
      template.resourceCountIs('AWS::Lambda::EventSourceMapping', consumer);
      template.resourceCountIs('AWS::EventSchemas::Schema', 1 - consumer);
      template.resourceCountIs('AWS::Lambda::Function', 2); // the service, the CDK's SDK-call provider
      template.resourceCountIs('AWS::DynamoDB::Table', 1);
      template.resourceCountIs('AWS::ApiGateway::Method', methods);
      template.resourceCountIs('AWS::ApiGateway::RestApi', 0);
      template.resourceCountIs('AWS::ApiGateway::Deployment', 0);
      template.resourceCountIs('Custom::RouteDeployment', 1);
      template.resourceCountIs('Custom::RouteRetirement', 1);
      template.resourceCountIs('AWS::ServiceDiscovery::Service', 1);
      template.resourceCountIs('AWS::ServiceDiscovery::Instance', 1);
      // No healthy instance, a consumer's dead letters, and the service dashboard's: fault rate,
      // ERROR lines per minute, table system errors, and short-circuits per callee.
      template.resourceCountIs('AWS::CloudWatch::Alarm', 1 + consumer + 3 + callees);
      // One API-scoped permission for every route, one for the platform's health control loop.
      template.resourceCountIs('AWS::Lambda::Permission', 2 + consumer);
    }
  });

  it('links the stacks through SSM look-ups only: no export, no import', () => {
    for (const template of [platform, recommendations, readingList]) {
      const text = JSON.stringify(template.toJSON());
      expect(text).not.toContain('Fn::ImportValue');
      const outputs = Object.values((template.toJSON().Outputs ?? {}) as Record<string, object>);
      expect(outputs.filter((output) => 'Export' in output)).toEqual([]);
    }
    const lookups = (template: Template) =>
      Object.values(
        (template.toJSON().Parameters ?? {}) as Record<string, { Type: string; Default?: string }>,
      )
        .filter((parameter) => parameter.Type === 'AWS::SSM::Parameter::Value<String>')
        .map((parameter) => parameter.Default ?? '')
        .filter((name) => name.startsWith('/msa-demo/'));
    expect(lookups(recommendations)).toEqual(
      expect.arrayContaining([
        '/msa-demo/dev/_platform/rest-api/id',
        '/msa-demo/dev/_platform/rest-api/root-resource-id',
        '/msa-demo/dev/_platform/rest-api/authorizer-id',
        '/msa-demo/dev/_platform/service-environment/CIRCUIT_OPEN_DURATION_MS',
      ]),
    );
    expect(lookups(readingList)).toContain(
      '/msa-demo/dev/_platform/services/recommendations/function-arn',
    );
    // Every parameter a service stack reads is one the platform or another service publishes.
    const published = new Set(
      [platform, recommendations, readingList].flatMap((template) =>
        Object.values(template.findResources('AWS::SSM::Parameter')).map(
          (resource) => (resource as { Properties: { Name: string } }).Properties.Name,
        ),
      ),
    );
    for (const name of [...lookups(recommendations), ...lookups(readingList)]) {
      expect(published, name).toContain(name);
    }
  });

  it("publishes the demo's breaker settings, and the runtime defaults for the rest", () => {
    const published = (name: string) =>
      Object.values(platform.findResources('AWS::SSM::Parameter')).find(
        (resource) =>
          (resource as { Properties: { Name: string } }).Properties.Name ===
          `/msa-demo/dev/_platform/service-environment/${name}`,
      ) as { Properties: { Value: string } } | undefined;
    expect(published('CIRCUIT_OPEN_DURATION_MS')?.Properties.Value).toBe('5000');
    expect(published('CONFIG_MAX_AGE_SECONDS')?.Properties.Value).toBe('2');
    expect(published('CIRCUIT_WINDOW_MS')?.Properties.Value).toBe('60000');
  });

  it('wires reading-list to call recommendations (found by name), and not the other way round', () => {
    const environment = (template: Template) =>
      JSON.stringify(
        Object.values(template.findResources('AWS::Lambda::Function')).map(
          (fn) => (fn as { Properties: { Environment?: unknown } }).Properties.Environment,
        ),
      );
    expect(environment(readingList)).toContain('SERVICE_RECOMMENDATIONS_FUNCTION_NAME');
    expect(environment(recommendations)).not.toContain('SERVICE_READING_LIST_FUNCTION_NAME');
    // Deployment order for a first `cdk deploy --all`: platform, recommendations, reading-list.
    expect(stacks.readingList.dependencies).toEqual(
      expect.arrayContaining([stacks.platform, stacks.recommendations]),
    );
    expect(stacks.recommendations.dependencies).toEqual([stacks.platform]);
  });

  it('writes each service’s route scopes in its own stack, where the authorizer reads them', () => {
    readingList.hasResourceProperties('AWS::SSM::Parameter', {
      Name: '/msa-demo/dev/_platform/route-scopes/reading-list/0',
      Value: JSON.stringify([
        { method: 'GET', resource: '/reading-list', scopes: ['reading-list/read'] },
        { method: 'POST', resource: '/reading-list', scopes: ['reading-list/write'] },
      ]),
    });
    platform.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: { ROUTE_SCOPES_PATH: '/msa-demo/dev/_platform/route-scopes' },
      },
    });
  });

  it('destroys its stateful resources with the stacks (a demo)', () => {
    for (const template of [platform, recommendations, readingList]) {
      for (const table of Object.values(template.findResources('AWS::DynamoDB::Table'))) {
        expect(table.DeletionPolicy).toBe('Delete');
      }
      for (const logGroup of Object.values(template.findResources('AWS::Logs::LogGroup'))) {
        expect(logGroup.DeletionPolicy).toBe('Delete');
      }
    }
  });

  it('has a features flag profile and reading-list max-recommendations in its own stack', () => {
    platform.hasResourceProperties('AWS::AppConfig::ConfigurationProfile', {
      Name: 'features',
      Type: 'AWS.AppConfig.FeatureFlags',
    });
    readingList.hasResourceProperties('AWS::SSM::Parameter', {
      Name: '/msa-demo/dev/reading-list/max-recommendations',
      Type: 'String',
      Value: '3',
    });
    platform.hasResourceProperties('AWS::ServiceDiscovery::HttpNamespace', {
      Name: 'msa-demo-dev',
    });
    expect(stacks.platform.platform.serviceEnvironment.CONFIG_MAX_AGE_SECONDS).toBe('2');
  });

  it('uses the msa-demo platform on the dev stage, well below 500 resources per stack', () => {
    platform.hasResourceProperties('AWS::ApiGateway::RestApi', { Name: 'msa-demo-dev' });
    platform.hasResourceProperties('AWS::ApiGateway::Stage', { StageName: 'dev' });
    for (const template of [platform, recommendations, readingList]) {
      expect(resourceCount(template)).toBeLessThan(400);
    }
  });
});
