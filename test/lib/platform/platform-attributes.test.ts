import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { BREAKER_SETTING_NAMES, BREAKER_SETTINGS } from '../../../functions/runtime/contract';
import { breakerSettingsFromEnv } from '../../../functions/runtime/resilience/breaker-settings';
import { resolveOptions } from '../../../functions/runtime/resilience/options';
import { MemoryStateStore } from '../../../functions/runtime/resilience/memory-state-store';
import { Microservice, MicroservicePlatform } from '../../../lib';
import { SERVICE_ENVIRONMENT_DEFAULTS } from '../../../lib/platform/platform-attributes';

const ENTRY = path.join(
  __dirname,
  '..',
  '..',
  '..',
  'functions',
  'services',
  'recommendations',
  'handler.ts',
);
const ENV = { account: '123456789012', region: 'eu-west-1' };

function stack() {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  return new Stack(app, 'Orders', { env: ENV });
}

const ATTRIBUTES = {
  platformName: 'shop',
  stage: 'dev',
  restApiId: 'api123',
  restApiRootResourceId: 'root456',
  authorizerId: 'auth789',
  resilienceTableName: 'shop-resilience',
  resilienceTableArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/shop-resilience',
  namespaceId: 'ns-abc',
  namespaceArn: 'arn:aws:servicediscovery:eu-west-1:123456789012:namespace/ns-abc',
  appConfigApplicationId: 'app1',
  appConfigEnvironmentId: 'env1',
  controlLoopRoleArn: 'arn:aws:iam::123456789012:role/control-loop',
  serviceEnvironment: { CIRCUIT_MINIMUM_CALLS: '7' },
};

describe('a platform known by its attributes', () => {
  it("publishes, for every unset breaker setting, exactly the runtime's default", () => {
    const runtime = resolveOptions({ name: 'x', store: new MemoryStateStore() });
    const published = breakerSettingsFromEnv(SERVICE_ENVIRONMENT_DEFAULTS);
    for (const name of BREAKER_SETTING_NAMES) expect(published[name], name).toBe(runtime[name]);
    expect(Object.keys(SERVICE_ENVIRONMENT_DEFAULTS).sort()).toEqual(
      [
        ...BREAKER_SETTING_NAMES.map((name) => BREAKER_SETTINGS[name].variable),
        'CONFIG_MAX_AGE_SECONDS',
      ].sort(),
    );
    expect(SERVICE_ENVIRONMENT_DEFAULTS.CONFIG_MAX_AGE_SECONDS).toBe('30');
  });

  it('builds a service on the given API, authorizer, tables, namespace and environment', () => {
    const scope = stack();
    const platform = MicroservicePlatform.fromPlatformAttributes(scope, 'Platform', ATTRIBUTES);
    new Microservice(scope, 'Orders', {
      platform,
      serviceName: 'orders',
      entry: ENTRY,
      routes: [{ method: 'GET', scopes: ['orders/read'] }],
    });
    const template = Template.fromStack(scope);
    template.hasResourceProperties('AWS::ApiGateway::Resource', {
      RestApiId: 'api123',
      ParentId: 'root456',
      PathPart: 'orders',
    });
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'GET',
      AuthorizationType: 'CUSTOM',
      AuthorizerId: 'auth789',
      ApiKeyRequired: true,
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          RESILIENCE_TABLE_NAME: 'shop-resilience',
          SERVICE_DISCOVERY_NAMESPACE: 'shop-dev',
          APPCONFIG_APPLICATION: 'app1',
          CIRCUIT_MINIMUM_CALLS: '7',
        },
      },
    });
    template.hasResourceProperties('AWS::ServiceDiscovery::Service', {
      NamespaceId: 'ns-abc',
      Name: 'orders',
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'arn:aws:iam::123456789012:role/control-loop',
    });
  });

  it('reads a looked-up platform from its SSM path only for what the service uses', () => {
    const scope = stack();
    const platform = MicroservicePlatform.fromLookup(scope, 'Platform', {
      platformName: 'shop',
      stage: 'dev',
      authorization: false,
    });
    new Microservice(scope, 'Orders', { platform, serviceName: 'orders', entry: ENTRY });
    const parameters = Template.fromStack(scope).toJSON().Parameters as Record<
      string,
      { Type: string; Default: string }
    >;
    const names = Object.values(parameters)
      .map((parameter) => parameter.Default)
      .filter((name) => name.startsWith('/shop/'));
    expect(names).not.toContain('/shop/dev/_platform/rest-api/authorizer-id');
    expect(names).not.toContain('/shop/dev/_platform/discovery/namespace-arn');
    expect(names).toEqual(
      expect.arrayContaining([
        '/shop/dev/_platform/rest-api/id',
        '/shop/dev/_platform/health/control-loop-role-arn',
      ]),
    );
    for (const parameter of Object.values(parameters)) {
      expect(parameter.Type).toBe('AWS::SSM::Parameter::Value<String>');
    }
  });
});

describe('IMicroservice', () => {
  it('calls a service of another app by its attributes: an identity grant, no foreign permission', () => {
    const scope = stack();
    const platform = MicroservicePlatform.fromPlatformAttributes(scope, 'Platform', ATTRIBUTES);
    const orders = new Microservice(scope, 'Orders', {
      platform,
      serviceName: 'orders',
      entry: ENTRY,
    });
    const billing = Microservice.fromServiceAttributes(scope, 'Billing', {
      platformName: 'shop',
      serviceName: 'billing',
      functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:billing',
      roleArn: 'arn:aws:iam::123456789012:role/billing',
    });
    const grant = orders.addServiceDependency(billing);
    expect(grant.success).toBe(true);
    const template = Template.fromStack(scope);
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (policy) =>
        (policy as { Properties: { PolicyDocument: { Statement: unknown[] } } }).Properties
          .PolicyDocument.Statement,
    );
    expect(statements).toContainEqual({
      Action: 'lambda:InvokeFunction',
      Effect: 'Allow',
      Resource: [
        'arn:aws:lambda:eu-west-1:123456789012:function:billing',
        'arn:aws:lambda:eu-west-1:123456789012:function:billing:*',
      ],
    });
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission'));
    expect(JSON.stringify(permissions)).not.toContain('function:billing');
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { SERVICE_BILLING_FUNCTION_NAME: 'billing' } },
    });
  });

  it('is a grantable: a grant to an imported service goes to its role', () => {
    const scope = stack();
    const billing = Microservice.fromServiceAttributes(scope, 'Billing', {
      platformName: 'shop',
      serviceName: 'billing',
      functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:billing',
      roleArn: 'arn:aws:iam::123456789012:role/billing',
    });
    const grant = billing.grantInvoke(billing);
    expect(grant.success).toBe(true);
    Template.fromStack(scope).hasResourceProperties('AWS::IAM::Policy', {
      Roles: ['billing'],
    });
  });

  it('offers the circuit metrics the runtime emits, per callee', () => {
    const scope = stack();
    const platform = MicroservicePlatform.fromPlatformAttributes(scope, 'Platform', ATTRIBUTES);
    const orders = new Microservice(scope, 'Orders', {
      platform,
      serviceName: 'orders',
      entry: ENTRY,
    });
    const cases = [
      [orders.metricCircuitShortCircuits('billing'), 'CircuitShortCircuits'],
      [orders.metricCircuitFallbacks('billing'), 'CircuitFallbacks'],
      [orders.metricCircuitFailures('billing'), 'CircuitFailures'],
      [orders.metricCircuitTimeouts('billing'), 'CircuitTimeouts'],
      [orders.metricCircuitCalls('billing'), 'CircuitCalls'],
      [orders.metricCircuitTransitions('billing'), 'CircuitTransitions'],
    ] as const;
    for (const [metric, name] of cases) {
      expect(metric.metricName).toBe(name);
      expect(metric.namespace).toBe('ServerlessMsa/shop');
      expect(metric.dimensions).toEqual({ service: 'orders', circuit: 'billing' });
      expect(metric.statistic).toBe('Sum');
    }
  });
});
