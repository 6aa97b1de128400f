import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { addDemoStacks } from '../../../examples/demo/demo-app';
import { Microservice, MicroservicePlatform, PlatformTarget, platformTargetOf } from '../../../lib';

const SERVICES_ROOT = path.join(__dirname, '..', '..', '..', 'functions', 'services');
const ENV = { account: '123456789012', region: 'eu-west-1' };

/** Resource types LocalStack's community tier reports created without creating anything. */
const AWS_ONLY = [
  /^AWS::ServiceDiscovery::/,
  /^AWS::AppConfig::/,
  /^Custom::/,
  /^AWS::CloudFormation::CustomResource$/,
  /^AWS::OpenSearchService::Domain$/,
];

interface Synthesized {
  readonly app: App;
  readonly templates: Record<string, Template>;
}

function synthDemo(context: Record<string, unknown>): Synthesized {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } });
  const stacks = addDemoStacks(app, { servicesRoot: SERVICES_ROOT, env: ENV });
  return {
    app,
    templates: {
      platform: Template.fromStack(stacks.platform),
      recommendations: Template.fromStack(stacks.recommendations),
      readingList: Template.fromStack(stacks.readingList),
    },
  };
}

type Resource = { Type: string; Properties?: Record<string, unknown> };

function resources(template: Template): Resource[] {
  return Object.values(template.toJSON().Resources as Record<string, Resource>);
}

function awsOnlyTypes(template: Template): string[] {
  const types = resources(template).map((resource) => resource.Type);
  return [...new Set(types.filter((type) => AWS_ONLY.some((pattern) => pattern.test(type))))];
}

function activeTracing(template: Template): number {
  return resources(template).filter(
    (resource) =>
      (resource.Properties?.TracingConfig as { Mode?: string } | undefined)?.Mode === 'Active' ||
      resource.Properties?.TracingEnabled === true,
  ).length;
}

function functionEnvironments(template: Template): Record<string, unknown>[] {
  return resources(template)
    .filter((resource) => resource.Type === 'AWS::Lambda::Function')
    .map(
      (resource) =>
        ((resource.Properties?.Environment as { Variables?: Record<string, unknown> })?.Variables ??
          {}) as Record<string, unknown>,
    );
}

let localstack: Synthesized;
let aws: Synthesized;

beforeAll(() => {
  localstack = synthDemo({ 'serverless-msa:target': 'localstack' });
  aws = synthDemo({});
}, 120_000); // two syntheses of the example app, the first loading all of aws-cdk-lib

describe('platformTargetOf', () => {
  const scope = (context: Record<string, unknown>) => new Stack(new App({ context }), 'S');

  it('takes the target given over the context, the context over the default, AWS by default', () => {
    const onLocalStack = scope({ 'serverless-msa:target': 'localstack' });
    expect(platformTargetOf(onLocalStack)).toBe(PlatformTarget.LOCALSTACK);
    expect(platformTargetOf(onLocalStack, PlatformTarget.AWS)).toBe(PlatformTarget.AWS);
    expect(platformTargetOf(scope({}))).toBe(PlatformTarget.AWS);
    expect(platformTargetOf(scope({ 'serverless-msa:target': 'aws' }))).toBe(PlatformTarget.AWS);
  });

  it('fails on an unknown context value instead of deploying AWS-only resources', () => {
    expect(() => platformTargetOf(scope({ 'serverless-msa:target': 'LocalStack ' }))).toThrow(
      "Context serverless-msa:target must be one of aws, localstack; got 'LocalStack '",
    );
  });
});

describe('the example app for LocalStack (-c serverless-msa:target=localstack)', () => {
  it.each(['platform', 'recommendations', 'readingList'])(
    '%s stack: no Cloud Map, AppConfig, custom resource or OpenSearch domain',
    (stack) => {
      expect(awsOnlyTypes(localstack.templates[stack])).toEqual([]);
    },
  );

  it.each(['platform', 'recommendations', 'readingList'])(
    '%s stack: no active tracing, and every function has the Tracer off',
    (stack) => {
      expect(activeTracing(localstack.templates[stack])).toBe(0);
      const environments = functionEnvironments(localstack.templates[stack]);
      expect(environments.length).toBeGreaterThan(0);
      for (const variables of environments) {
        expect(variables.POWERTOOLS_TRACE_DISABLED).toBe('true');
      }
    },
  );

  it('gives services neither a discovery namespace nor AppConfig, and reading-list the function name of recommendations', () => {
    for (const stack of ['recommendations', 'readingList']) {
      for (const variables of functionEnvironments(localstack.templates[stack])) {
        expect(Object.keys(variables)).not.toContain('SERVICE_DISCOVERY_NAMESPACE');
        expect(Object.keys(variables)).not.toContain('APPCONFIG_APPLICATION');
        expect(Object.keys(variables)).not.toContain('APPCONFIG_ENVIRONMENT');
      }
    }
    const readingList = functionEnvironments(localstack.templates.readingList).find(
      (variables) => variables.SERVICE_NAME === 'reading-list',
    );
    expect(readingList?.SERVICE_RECOMMENDATIONS_FUNCTION_NAME).toBeDefined();
    expect(readingList?.CONFIG_SERVICE_PATH).toBe('/msa-demo/dev/reading-list');
  });

  it("puts a service's routes on the stage with a retained plain deployment after its methods", () => {
    for (const stack of ['recommendations', 'readingList']) {
      const deployments = localstack.templates[stack].findResources('AWS::ApiGateway::Deployment');
      const [deployment] = Object.values(deployments) as {
        Properties: Record<string, unknown>;
        DeletionPolicy?: string;
        DependsOn?: string[];
      }[];
      expect(Object.keys(deployments)).toHaveLength(1);
      expect(deployment.Properties.StageName).toBe('dev');
      // LocalStack deletes the stage along with a deployment it deletes.
      expect(deployment.DeletionPolicy).toBe('Retain');
      const methods = Object.keys(
        localstack.templates[stack].findResources('AWS::ApiGateway::Method'),
      );
      expect(methods.length).toBeGreaterThan(0);
      expect(deployment.DependsOn).toEqual(expect.arrayContaining(methods));
    }
  });

  it('keeps the rotation function name as an output in place of the key-bootstrap trigger', () => {
    const outputs = localstack.templates.platform.findOutputs('*');
    expect(Object.keys(outputs).some((name) => name.includes('KeyRotationFunctionName'))).toBe(
      true,
    );
    expect(Object.keys(aws.templates.platform.findOutputs('*'))).not.toEqual(
      expect.arrayContaining([expect.stringContaining('KeyRotationFunctionName')]),
    );
  });

  it('passes the AwsSolutions cdk-nag pack with no unacknowledged violation', () => {
    const report = new AwsSolutionsChecks().validateScope(localstack.app);
    expect(report.violations.map((violation) => violation.ruleName)).toEqual([]);
  });
});

describe('the example app for AWS (the default target)', () => {
  it('has Cloud Map, AppConfig, the trigger, the route custom resources and the domain', () => {
    expect(awsOnlyTypes(aws.templates.platform)).toEqual(
      expect.arrayContaining([
        'AWS::ServiceDiscovery::HttpNamespace',
        'AWS::AppConfig::Application',
        'AWS::AppConfig::Deployment',
        'Custom::Trigger',
        'AWS::OpenSearchService::Domain',
      ]),
    );
    for (const stack of ['recommendations', 'readingList']) {
      expect(awsOnlyTypes(aws.templates[stack])).toEqual(
        expect.arrayContaining([
          'AWS::ServiceDiscovery::Service',
          'AWS::ServiceDiscovery::Instance',
          'Custom::RouteDeployment',
          'Custom::RouteRetirement',
        ]),
      );
      aws.templates[stack].resourceCountIs('AWS::ApiGateway::Deployment', 0);
    }
  });

  it("traces every one of the platform's and services' functions, and the stage", () => {
    for (const stack of ['platform', 'recommendations', 'readingList']) {
      // The platform's functions carry the Powertools service name (the CDK's providers do not).
      const platformFunctions = resources(aws.templates[stack]).filter(
        (resource) =>
          resource.Type === 'AWS::Lambda::Function' &&
          (resource.Properties?.Environment as { Variables?: Record<string, unknown> })?.Variables
            ?.POWERTOOLS_SERVICE_NAME !== undefined,
      );
      expect(platformFunctions.length).toBeGreaterThan(0);
      for (const resource of platformFunctions) {
        expect(resource.Properties?.TracingConfig).toEqual({ Mode: 'Active' });
      }
      for (const variables of functionEnvironments(aws.templates[stack])) {
        expect(variables.POWERTOOLS_TRACE_DISABLED).toBeUndefined();
      }
    }
    aws.templates.platform.hasResourceProperties('AWS::ApiGateway::Stage', {
      TracingEnabled: true,
    });
  });
});

describe('MicroservicePlatform on LocalStack', () => {
  const stack = () =>
    new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'S', { env: ENV });

  it('has no registry to hand out, and says why', () => {
    const platform = new MicroservicePlatform(stack(), 'P', {
      platformName: 'shop',
      target: PlatformTarget.LOCALSTACK,
    });
    expect(() => platform.registry).toThrow(
      'The shop platform targets LocalStack: it has no service registry (Cloud Map)',
    );
    expect(platform.namespaceId).toBeUndefined();
    expect(platform.appConfigApplicationId).toBeUndefined();
    expect(platform.configuration.addFeatureFlags('features', { x: { enabled: true } })).toBe(
      undefined,
    );
  });

  it('refuses central logs it cannot create there', () => {
    expect(
      () =>
        new MicroservicePlatform(stack(), 'P', {
          platformName: 'shop',
          target: PlatformTarget.LOCALSTACK,
          observability: { centralLogs: {} },
        }),
    ).toThrow('Central logs need an OpenSearch domain, which LocalStack cannot create');
  });

  it('imports a LocalStack platform without Cloud Map or AppConfig attributes, an AWS one not', () => {
    const attributes = {
      platformName: 'shop',
      stage: 'dev',
      restApiId: 'api1',
      restApiRootResourceId: 'root1',
      resilienceTableName: 'breakers',
      resilienceTableArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/breakers',
    };
    const scope = stack();
    const imported = MicroservicePlatform.fromPlatformAttributes(scope, 'Local', {
      ...attributes,
      target: PlatformTarget.LOCALSTACK,
    });
    const service = new Microservice(scope, 'Orders', {
      platform: imported,
      serviceName: 'orders',
      entry: path.join(SERVICES_ROOT, 'recommendations', 'handler.ts'),
    });
    expect(service.discoveryService).toBeUndefined();
    expect(() => MicroservicePlatform.fromPlatformAttributes(stack(), 'Aws', attributes)).toThrow(
      'A platform on AWS needs namespaceId, namespaceArn, appConfigApplicationId, appConfigEnvironmentId, controlLoopRoleArn',
    );
  });
});
