import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { PlatformGateway } from '../../../lib/gateway/platform-gateway';
import {
  TOO_MANY_REQUESTS_BODY,
  TokenEndpointFirewall,
  type TokenEndpointFirewallProps,
} from '../../../lib/gateway/token-endpoint-firewall';

function synth(props: Partial<Omit<TokenEndpointFirewallProps, 'stage'>> = {}) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'GatewayStack', {
    env: { account: '123456789012', region: 'eu-west-1' },
  });
  const gateway = new PlatformGateway(stack, 'Gateway', { restApiName: 'shop-prod' });
  const method = gateway.resourceAt('/oauth2/token').addMethod('POST', new apigw.MockIntegration());
  // The stand-in method is not under test; only the firewall's findings count.
  Validations.of(method).acknowledge(
    { id: 'AwsSolutions-APIG4', reason: 'Test stand-in for the public token endpoint.' },
    { id: 'AwsSolutions-COG4', reason: 'Test stand-in for the public token endpoint.' },
  );
  const firewall = new TokenEndpointFirewall(stack, 'Firewall', {
    ...props,
    stage: gateway.restApi.deploymentStage,
  });
  return { app, stack, firewall, template: Template.fromStack(stack) };
}

type Rule = {
  Name: string;
  Priority: number;
  Action: { Block: { CustomResponse: Record<string, unknown> } };
  Statement: { RateBasedStatement: Record<string, unknown> };
};

function rulesOf(template: Template): Rule[] {
  const acls = Object.values(template.findResources('AWS::WAFv2::WebACL'));
  expect(acls).toHaveLength(1);
  return acls[0].Properties.Rules as Rule[];
}

const pathScope = (path: string) => ({
  ByteMatchStatement: {
    FieldToMatch: { UriPath: {} },
    PositionalConstraint: 'CONTAINS',
    SearchString: path,
    TextTransformations: [
      { Priority: 0, Type: 'URL_DECODE' },
      { Priority: 1, Type: 'NORMALIZE_PATH' },
    ],
  },
});

describe('TokenEndpointFirewall', () => {
  it('is a regional web ACL that allows by default, associated with the stage', () => {
    const { template, firewall, stack } = synth();
    template.hasResourceProperties('AWS::WAFv2::WebACL', {
      Scope: 'REGIONAL',
      DefaultAction: { Allow: {} },
    });
    expect(firewall.webAcl.node.id).toBe('Resource');
    const stageId = Object.keys(template.findResources('AWS::ApiGateway::Stage'))[0];
    template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      WebACLArn: { 'Fn::GetAtt': [stack.getLogicalId(firewall.webAcl), 'Arn'] },
      ResourceArn: {
        'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('/stages/$'), { Ref: stageId }])],
      },
    });
  });

  it('limits each source IP to 100 token requests and 100 login-form posts a minute by default', () => {
    const rules = rulesOf(synth().template);
    expect(rules.map((rule) => [rule.Name, rule.Priority])).toEqual([
      ['per-source-oauth2-token', 0],
      ['per-source-POST-oauth2-authorize', 1],
    ]);
    expect(rules[0].Statement.RateBasedStatement).toEqual({
      Limit: 100,
      EvaluationWindowSec: 60,
      AggregateKeyType: 'IP',
      ScopeDownStatement: pathScope('/oauth2/token'),
    });
    expect(rules[1].Statement.RateBasedStatement).toEqual({
      Limit: 100,
      EvaluationWindowSec: 60,
      AggregateKeyType: 'IP',
      ScopeDownStatement: {
        AndStatement: {
          Statements: [
            {
              ByteMatchStatement: {
                FieldToMatch: { Method: {} },
                PositionalConstraint: 'EXACTLY',
                SearchString: 'POST',
                TextTransformations: [{ Priority: 0, Type: 'NONE' }],
              },
            },
            pathScope('/oauth2/authorize'),
          ],
        },
      },
    });
  });

  it('answers a blocked source 429 with a problem document and Retry-After of the window', () => {
    const { template } = synth({ evaluationWindow: Duration.minutes(2) });
    const acl = Object.values(template.findResources('AWS::WAFv2::WebACL'))[0].Properties;
    const body = acl.CustomResponseBodies[TOO_MANY_REQUESTS_BODY];
    expect(body.ContentType).toBe('APPLICATION_JSON');
    expect(JSON.parse(body.Content)).toEqual({
      type: 'about:blank',
      title: 'Too Many Requests',
      status: 429,
      detail: expect.any(String),
    });
    for (const rule of rulesOf(template)) {
      expect(rule.Action.Block.CustomResponse).toEqual({
        ResponseCode: 429,
        CustomResponseBodyKey: TOO_MANY_REQUESTS_BODY,
        ResponseHeaders: [{ Name: 'Retry-After', Value: '120' }],
      });
    }
  });

  it('follows limit, window and endpoints', () => {
    const rules = rulesOf(
      synth({
        limit: 10,
        evaluationWindow: Duration.minutes(10),
        endpoints: [{ path: '/sign-in', method: 'put' }],
      }).template,
    );
    expect(rules).toHaveLength(1);
    expect(rules[0].Name).toBe('per-source-PUT-sign-in');
    expect(rules[0].Statement.RateBasedStatement).toMatchObject({
      Limit: 10,
      EvaluationWindowSec: 600,
    });
  });

  it('refuses a limit below WAF minimum of 10 or not a whole number', () => {
    expect(() => synth({ limit: 9 })).toThrow(/from 10 .*got 9/);
    expect(() => synth({ limit: 10.5 })).toThrow(/whole number/);
  });

  it('refuses an evaluation window WAF does not offer', () => {
    expect(() => synth({ evaluationWindow: Duration.seconds(90) })).toThrow(
      /1, 2, 5 or 10 minutes; got 90 s/,
    );
  });

  it('refuses an empty endpoint list', () => {
    expect(() => synth({ endpoints: [] })).toThrow(/at least one endpoint/);
  });

  it('is cdk-nag clean', () => {
    const { app } = synth();
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(report.violations.map((violation) => violation.ruleName)).toEqual([]);
  });
});
