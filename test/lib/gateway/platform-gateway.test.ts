import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { PlatformGateway, type PlatformGatewayProps } from '../../../lib/gateway/platform-gateway';
import {
  defaultGatewayProblems,
  problemTemplate,
  type GatewayProblem,
} from '../../../lib/gateway/problem-responses';

function synth(props: Partial<PlatformGatewayProps> = {}): {
  template: Template;
  gateway: PlatformGateway;
  stack: Stack;
} {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'GatewayStack', {
    env: { account: '123456789012', region: 'eu-west-1' },
  });
  const gateway = new PlatformGateway(stack, 'Gateway', { restApiName: 'shop-prod', ...props });
  // A REST API needs at least one method to synthesize.
  gateway.resourceAt('/ping').addMethod('GET', new apigw.MockIntegration());
  return { template: Template.fromStack(stack), gateway, stack };
}

let shared: ReturnType<typeof synth> | undefined;
/** The default gateway, synthesized once for the read-only assertions. */
const defaults = () => (shared ??= synth());

/** Replaces the VTL placeholders the way API Gateway does (messageString is already JSON-quoted). */
function renderTemplate(template: string, message = 'Unauthorized'): string {
  return template
    .replaceAll('$context.error.messageString', JSON.stringify(message))
    .replaceAll('$context.path', '/prod/reading-list')
    .replaceAll('$context.requestId', 'c0ffee-1234');
}

describe('PlatformGateway', () => {
  it('creates exactly one regional REST API and no HTTP API', () => {
    const { template } = defaults();
    template.resourceCountIs('AWS::ApiGateway::RestApi', 1);
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 0);
    template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      Name: 'shop-prod',
      EndpointConfiguration: { Types: ['REGIONAL'] },
    });
  });

  it('enables X-Ray tracing and a JSON access log on the stage', () => {
    const { template } = defaults();
    template.resourceCountIs('AWS::ApiGateway::Stage', 1);
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'prod',
      TracingEnabled: true,
      AccessLogSetting: {
        DestinationArn: Match.anyValue(),
        Format: Match.anyValue(),
      },
    });
    const stage = Object.values(template.findResources('AWS::ApiGateway::Stage'))[0];
    const format = stage.Properties.AccessLogSetting.Format as string;
    const fields = JSON.parse(format) as Record<string, string>;
    expect(fields).toMatchObject({
      requestId: '$context.requestId',
      httpMethod: '$context.httpMethod',
      status: '$context.status',
      resourcePath: '$context.resourcePath',
    });
    // The access log must not carry caller identities.
    expect(format).not.toContain('$context.identity.caller');
    expect(format).not.toContain('$context.identity.user');
  });

  it('sends access logs to its own log group with a one-month retention by default', () => {
    const { template } = defaults();
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    template.hasResource('AWS::Logs::LogGroup', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('honours a custom retention and removal policy of the access log', () => {
    const { template } = synth({
      accessLogRetention: logs.RetentionDays.ONE_WEEK,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
    template.hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Delete' });
  });

  it('throttles the stage at 100 rps / 200 burst by default, logs errors only and never request data', () => {
    const { template } = defaults();
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: Match.arrayWith([
        Match.objectLike({
          HttpMethod: '*',
          ResourcePath: '/*',
          LoggingLevel: 'ERROR',
          DataTraceEnabled: false,
          MetricsEnabled: true,
          ThrottlingRateLimit: 100,
          ThrottlingBurstLimit: 200,
        }),
      ]),
    });
  });

  it('applies throttling overrides and a custom stage name', () => {
    const { template } = synth({
      throttlingRateLimit: 7,
      throttlingBurstLimit: 13,
      stageName: 'dev',
    });
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'dev',
      MethodSettings: Match.arrayWith([
        Match.objectLike({ ThrottlingRateLimit: 7, ThrottlingBurstLimit: 13 }),
      ]),
    });
  });

  it('wires the account-level CloudWatch role for execution logs', () => {
    const { template } = defaults();
    template.resourceCountIs('AWS::ApiGateway::Account', 1);
  });

  describe('gateway responses', () => {
    const problems = defaultGatewayProblems('shop-prod');

    it('renders every default problem type once', () => {
      const { template } = defaults();
      template.resourceCountIs('AWS::ApiGateway::GatewayResponse', problems.length);
    });

    it.each(problems.map((problem) => [problem.type.responseType, problem] as const))(
      '%s answers application/problem+json with its status and body',
      (_name, problem) => {
        const { template } = defaults();
        template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
          ResponseType: problem.type.responseType,
          StatusCode: String(problem.status),
          ResponseParameters: Match.objectLike({
            'gatewayresponse.header.Content-Type': "'application/problem+json'",
          }),
          ResponseTemplates: { 'application/json': problemTemplate(problem) },
        });
      },
    );

    it('UNAUTHORIZED carries a Bearer challenge with error="invalid_token" and the realm', () => {
      const { template } = defaults();
      template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: 'UNAUTHORIZED',
        StatusCode: '401',
        ResponseParameters: Match.objectLike({
          'gatewayresponse.header.WWW-Authenticate': `'Bearer realm="shop-prod", error="invalid_token"'`,
        }),
      });
    });

    it('ACCESS_DENIED carries a Bearer challenge with error="insufficient_scope"', () => {
      const { template } = defaults();
      template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: 'ACCESS_DENIED',
        StatusCode: '403',
        ResponseParameters: Match.objectLike({
          'gatewayresponse.header.WWW-Authenticate': `'Bearer realm="shop-prod", error="insufficient_scope"'`,
        }),
      });
    });

    it('uses a configured realm in the challenges', () => {
      const { template } = synth({ realm: 'books' });
      template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: 'UNAUTHORIZED',
        ResponseParameters: Match.objectLike({
          'gatewayresponse.header.WWW-Authenticate': `'Bearer realm="books", error="invalid_token"'`,
        }),
      });
    });

    it('turns MISSING_AUTHENTICATION_TOKEN (unknown route) into a 404, not a 403', () => {
      const { template } = defaults();
      template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: 'MISSING_AUTHENTICATION_TOKEN',
        StatusCode: '404',
      });
    });

    it('does not put WWW-Authenticate on non-authorization problems', () => {
      const { template } = defaults();
      const responses = Object.values(template.findResources('AWS::ApiGateway::GatewayResponse'));
      const withChallenge = responses
        .filter(
          (resource) =>
            'gatewayresponse.header.WWW-Authenticate' in resource.Properties.ResponseParameters,
        )
        .map((resource) => resource.Properties.ResponseType as string)
        .sort();
      expect(withChallenge).toEqual(['ACCESS_DENIED', 'UNAUTHORIZED']);
    });
  });

  describe('resourceAt', () => {
    it('returns the root for an empty path and nested resources otherwise', () => {
      const { gateway } = synth();
      expect(gateway.resourceAt('/')).toBe(gateway.restApi.root);
      expect(gateway.resourceAt('')).toBe(gateway.restApi.root);
      const nested = gateway.resourceAt('/reading-list/{id}');
      expect(nested.path).toBe('/reading-list/{id}');
      // Asking again yields the same resource rather than a duplicate.
      expect(gateway.resourceAt('reading-list/{id}/')).toBe(nested);
    });
  });
});

describe('defaultGatewayProblems', () => {
  it('has a unique response type per problem and statuses in the 4xx/5xx range', () => {
    const problems = defaultGatewayProblems('r');
    const types = problems.map((problem) => problem.type.responseType);
    expect(new Set(types).size).toBe(types.length);
    for (const problem of problems) {
      expect(problem.status).toBeGreaterThanOrEqual(400);
      expect(problem.status).toBeLessThan(600);
    }
  });

  it('maps the expected statuses', () => {
    const byType = Object.fromEntries(
      defaultGatewayProblems('r').map((problem) => [problem.type.responseType, problem.status]),
    );
    expect(byType).toMatchObject({
      DEFAULT_4XX: 400,
      DEFAULT_5XX: 502,
      MISSING_AUTHENTICATION_TOKEN: 404,
      RESOURCE_NOT_FOUND: 404,
      THROTTLED: 429,
      QUOTA_EXCEEDED: 429,
      REQUEST_TOO_LARGE: 413,
      INTEGRATION_TIMEOUT: 504,
      UNAUTHORIZED: 401,
      ACCESS_DENIED: 403,
    });
  });
});

describe('problemTemplate', () => {
  it.each(
    defaultGatewayProblems('shop').map((problem) => [problem.type.responseType, problem] as const),
  )(
    '%s renders a valid RFC 9457 JSON document once the placeholders are substituted',
    (_name, problem) => {
      const body = JSON.parse(renderTemplate(problemTemplate(problem))) as Record<string, unknown>;
      expect(body).toEqual({
        type: 'about:blank',
        title: problem.title,
        status: problem.status,
        detail: 'Unauthorized',
        requestId: 'c0ffee-1234',
      });
    },
  );

  it('stays valid JSON when the error message contains quotes and backslashes', () => {
    const problem: GatewayProblem = {
      type: apigw.ResponseType.DEFAULT_4XX,
      status: 400,
      title: 'Bad "Request"',
    };
    const body = JSON.parse(
      renderTemplate(problemTemplate(problem), 'a "quoted" \\ message'),
    ) as Record<string, unknown>;
    expect(body.title).toBe('Bad "Request"');
    expect(body.detail).toBe('a "quoted" \\ message');
  });

  it('references the quoted message and request ID once each, and never the unescapable path', () => {
    for (const problem of defaultGatewayProblems('r')) {
      const template = problemTemplate(problem);
      for (const variable of ['$context.error.messageString', '$context.requestId']) {
        expect(template.split(variable).length - 1).toBe(1);
      }
      expect(template).not.toContain('$context.path');
    }
  });
});
