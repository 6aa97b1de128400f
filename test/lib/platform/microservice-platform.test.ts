import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import {
  MicroservicePlatform,
  type MicroservicePlatformProps,
} from '../../../lib/platform/microservice-platform';

function newStack(): Stack {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  return new Stack(app, 'PlatformStack', { env: { account: '123456789012', region: 'eu-west-1' } });
}

function synth(props: Partial<MicroservicePlatformProps> = {}): {
  template: Template;
  platform: MicroservicePlatform;
} {
  const stack = newStack();
  const platform = new MicroservicePlatform(stack, 'Platform', { platformName: 'shop', ...props });
  platform.restApi.root.addResource('ping').addMethod('GET', new apigw.MockIntegration());
  return { template: Template.fromStack(stack), platform };
}

let shared: ReturnType<typeof synth> | undefined;
const defaults = () => (shared ??= synth());

describe('MicroservicePlatform', () => {
  it('creates one REST API (not an HTTP API) named after the platform and stage', () => {
    const { template } = defaults();
    template.resourceCountIs('AWS::ApiGateway::RestApi', 1);
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 0);
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { Name: 'shop-prod' });
  });

  it('defaults to stage prod with tracing, JSON access logs and ERROR-only execution logs', () => {
    const { template, platform } = defaults();
    expect(platform.stage).toBe('prod');
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'prod',
      TracingEnabled: true,
      AccessLogSetting: {
        DestinationArn: Match.anyValue(),
        Format: Match.stringLikeRegexp('^\\{.*"requestId":"\\$context.requestId".*\\}$'),
      },
      MethodSettings: Match.arrayWith([
        Match.objectLike({
          LoggingLevel: 'ERROR',
          DataTraceEnabled: false,
          ThrottlingRateLimit: 100,
          ThrottlingBurstLimit: 200,
        }),
      ]),
    });
    const stage = Object.values(template.findResources('AWS::ApiGateway::Stage'))[0];
    expect(() => JSON.parse(stage.Properties.AccessLogSetting.Format as string)).not.toThrow();
  });

  it('passes stage and throttling overrides to the gateway', () => {
    const { template, platform } = synth({
      stage: 'dev',
      throttlingRateLimit: 5,
      throttlingBurstLimit: 10,
    });
    expect(platform.stage).toBe('dev');
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { Name: 'shop-dev' });
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'dev',
      MethodSettings: Match.arrayWith([
        Match.objectLike({ ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 }),
      ]),
    });
  });

  it('exposes the defaults services inherit', () => {
    const { platform } = defaults();
    expect(platform.platformName).toBe('shop');
    expect(platform.metricsNamespace).toBe('ServerlessMsa/shop');
    expect(platform.logLevel).toBe('INFO');
    expect(platform.logRetention).toBe(logs.RetentionDays.ONE_MONTH);
    expect(platform.removalPolicy).toBe(RemovalPolicy.RETAIN);
    expect(platform.restApi).toBe(platform.gateway.restApi);
  });

  it('applies log retention and removal policy to the access log group', () => {
    const { template } = synth({
      logRetention: logs.RetentionDays.TWO_WEEKS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: 14 },
      DeletionPolicy: 'Delete',
    });
  });

  it('has the problem+json gateway responses, with 404 for unknown routes', () => {
    const { template } = defaults();
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'MISSING_AUTHENTICATION_TOKEN',
      StatusCode: '404',
      ResponseParameters: Match.objectLike({
        'gatewayresponse.header.Content-Type': "'application/problem+json'",
      }),
    });
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'UNAUTHORIZED',
      StatusCode: '401',
      ResponseParameters: Match.objectLike({
        'gatewayresponse.header.WWW-Authenticate': Match.stringLikeRegexp('error="invalid_token"'),
      }),
    });
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'ACCESS_DENIED',
      StatusCode: '403',
      ResponseParameters: Match.objectLike({
        'gatewayresponse.header.WWW-Authenticate': Match.stringLikeRegexp(
          'error="insufficient_scope"',
        ),
      }),
    });
  });

  it('creates its configuration and its service registry, named after platform and stage', () => {
    const { template, platform } = defaults();
    template.resourceCountIs('AWS::AppConfig::Application', 1);
    template.hasResourceProperties('AWS::AppConfig::Application', { Name: 'shop' });
    template.resourceCountIs('AWS::AppConfig::Environment', 1);
    template.hasResourceProperties('AWS::AppConfig::Environment', { Name: 'prod' });
    template.resourceCountIs('AWS::ServiceDiscovery::HttpNamespace', 1);
    template.hasResourceProperties('AWS::ServiceDiscovery::HttpNamespace', { Name: 'shop-prod' });
    expect(platform.configuration.rootPath).toBe('/shop/prod');
    expect(platform.registry.namespace.namespaceName).toBe('shop-prod');
  });

  it('caches configuration for 30 s by default, configMaxAge otherwise', () => {
    expect(defaults().platform.serviceEnvironment).toEqual({ CONFIG_MAX_AGE_SECONDS: '30' });
    expect(synth({ configMaxAge: Duration.seconds(5) }).platform.serviceEnvironment).toEqual({
      CONFIG_MAX_AGE_SECONDS: '5',
    });
    expect(
      synth({ configMaxAge: Duration.minutes(2) }).platform.serviceEnvironment
        .CONFIG_MAX_AGE_SECONDS,
    ).toBe('120');
  });

  it.each(['', 'a', 'Shop', '1shop', 'shop_prod', 'shop prod', '-shop', 'x'.repeat(32)])(
    'rejects the invalid platformName %j with a clear message',
    (platformName) => {
      expect(() => new MicroservicePlatform(newStack(), 'Platform', { platformName })).toThrow(
        /^platformName must be 2-31 lower-case letters, digits or hyphens, starting with a letter; got '.*'$/,
      );
    },
  );

  it.each(['ab', 'shop-2', 'x'.repeat(31)])('accepts the valid platformName %j', (platformName) => {
    expect(() => new MicroservicePlatform(newStack(), 'Platform', { platformName })).not.toThrow();
  });
});
