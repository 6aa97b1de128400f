import { App, Duration, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { defaultGatewayProblems, problemTemplate } from '../../../lib/gateway/problem-responses';
import { PlatformGateway } from '../../../lib/gateway/platform-gateway';
import {
  TokenEndpointFirewall,
  type TokenEndpointFirewallOptions,
} from '../../../lib/gateway/token-endpoint-firewall';
import type { Template } from '../../../localstack/platform/cloud-assembly';
import {
  type FirewallRequest,
  LocalFirewall,
  readFirewallRules,
} from '../../../localstack/platform/gateway-firewall';
import type { InvocationResult, LocalFunction } from '../../../localstack/platform/lambda-runtime';
import { LocalGateway } from '../../../localstack/platform/local-gateway';
import { tokenRequestFrom } from '../../support/raw-http';
import type {
  GatewayResponseDefinition,
  RestApiModel,
} from '../../../localstack/platform/rest-api-model';

/** The template the platform's own construct synthesizes: what `npm start` reads. */
function firewallTemplate(options: TokenEndpointFirewallOptions = {}): Template {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'GatewayStack', {
    env: { account: '123456789012', region: 'eu-west-1' },
  });
  const gateway = new PlatformGateway(stack, 'Gateway', { restApiName: 'shop-prod' });
  gateway.resourceAt('/oauth2/token').addMethod('POST', new apigw.MockIntegration());
  new TokenEndpointFirewall(stack, 'Firewall', {
    ...options,
    stage: gateway.restApi.deploymentStage,
  });
  return app.synth().getStackByName('GatewayStack').template as Template;
}

function fakeClock() {
  let now = 0;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

const from = (sourceAddress: string, method: string, rawPath: string): FirewallRequest => ({
  sourceAddress,
  method,
  rawPath,
});

describe('readFirewallRules', () => {
  it("reads the construct's limit, window and one rule per endpoint", () => {
    const { rules, skipped } = readFirewallRules(
      firewallTemplate({ limit: 25, evaluationWindow: Duration.minutes(2) }),
    );
    expect(skipped).toEqual([]);
    expect(rules.map(({ name, limit, windowSeconds }) => ({ name, limit, windowSeconds }))).toEqual(
      [
        {
          name: expect.stringMatching(/\/per-source-oauth2-token$/),
          limit: 25,
          windowSeconds: 120,
        },
        {
          name: expect.stringMatching(/\/per-source-POST-oauth2-authorize$/),
          limit: 25,
          windowSeconds: 120,
        },
      ],
    );
  });

  it('counts the token endpoint however its path is spelled, the login form only on POST', () => {
    const [token, form] = readFirewallRules(firewallTemplate()).rules;
    for (const path of [
      '/oauth2/token',
      '/prod/oauth2/token',
      '/oauth2/token/',
      '//oauth2//token',
      '/oauth2/./token',
      '/oauth2/%74oken',
      '/x/../oauth2/token',
    ]) {
      expect(token.matches(from('a', 'POST', path)), path).toBe(true);
    }
    for (const path of ['/oauth2/tok', '/books', '/oauth2/authorize'])
      expect(token.matches(from('a', 'POST', path)), path).toBe(false);
    expect(form.matches(from('a', 'POST', '/oauth2/authorize'))).toBe(true);
    expect(form.matches(from('a', 'GET', '/oauth2/authorize'))).toBe(false);
    expect(form.matches(from('a', 'POST', '/oauth2/token'))).toBe(false);
  });

  it('leaves out rules it cannot evaluate and says why; ignores a web ACL on nothing', () => {
    const template = firewallTemplate();
    const [aclId, acl] = Object.entries(template.Resources).find(
      ([, resource]) => resource.Type === 'AWS::WAFv2::WebACL',
    )!;
    const rules = acl.Properties!.Rules as Record<string, unknown>[];
    const rate = (rules[0].Statement as { RateBasedStatement: Record<string, unknown> })
      .RateBasedStatement;
    const withRules = (extra: Record<string, unknown>[]): Template => ({
      Resources: {
        ...template.Resources,
        [aclId]: { ...acl, Properties: { ...acl.Properties, Rules: extra } },
        Unattached: { ...acl },
      },
    });
    const { rules: read, skipped } = readFirewallRules(
      withRules([
        {
          ...rules[0],
          Name: 'by-header',
          Statement: {
            RateBasedStatement: { ...rate, CustomKeys: [{ Header: { Name: 'authorization' } }] },
          },
        },
        {
          ...rules[0],
          Name: 'forwarded',
          Statement: { RateBasedStatement: { ...rate, AggregateKeyType: 'FORWARDED_IP' } },
        },
        {
          ...rules[0],
          Name: 'geo',
          Statement: {
            RateBasedStatement: {
              ...rate,
              ScopeDownStatement: { GeoMatchStatement: { CountryCodes: ['NL'] } },
            },
          },
        },
        { ...rules[0], Name: 'managed', Statement: { ManagedRuleGroupStatement: { Name: 'x' } } },
        { ...rules[0], Name: 'counting', Action: { Count: {} } },
        rules[1],
      ]),
    );
    expect(read.map((rule) => rule.name)).toEqual([`${aclId}/per-source-POST-oauth2-authorize`]);
    expect(skipped).toEqual([
      `${aclId}/by-header: only rules keyed by source IP are enforced locally`,
      `${aclId}/forwarded: only rules keyed by source IP are enforced locally`,
      `${aclId}/geo: statement GeoMatchStatement is not supported`,
      `${aclId}/managed: only rate-based rules that block are enforced locally`,
      `${aclId}/counting: only rate-based rules that block are enforced locally`,
    ]);
  });

  it('finds nothing in a template without a web ACL', () => {
    expect(readFirewallRules({ Resources: {} })).toEqual({ rules: [], skipped: [] });
  });
});

describe('LocalFirewall', () => {
  it('counts each endpoint apart and each source apart', () => {
    const clock = fakeClock();
    const firewall = new LocalFirewall(
      readFirewallRules(firewallTemplate({ limit: 10 })).rules,
      clock.now,
    );
    for (let index = 0; index < 10; index++)
      expect(firewall.check(from('127.0.0.2', 'POST', '/oauth2/token')).allowed).toBe(true);
    expect(firewall.check(from('127.0.0.2', 'POST', '/oauth2/token'))).toEqual({
      allowed: false,
      rule: expect.stringMatching(/per-source-oauth2-token$/),
      retryAfterSeconds: 6,
    });
    // The same source's login form and another source's token request are still allowed.
    expect(firewall.check(from('127.0.0.2', 'POST', '/oauth2/authorize')).allowed).toBe(true);
    expect(firewall.check(from('127.0.0.1', 'POST', '/oauth2/token')).allowed).toBe(true);
    // Other routes are not limited at all.
    for (let index = 0; index < 50; index++)
      expect(firewall.check(from('127.0.0.2', 'GET', '/books')).allowed).toBe(true);
  });
});

describe('local gateway with the firewall: junk from one address, a client from another', () => {
  const invocations: string[] = [];
  const tokenFunction = {
    invoke: async (event: { headers?: Record<string, string> }): Promise<InvocationResult> => {
      const legit = event.headers?.authorization === 'Basic bGVnaXQ6c2VjcmV0';
      invocations.push(legit ? 'legit' : 'junk');
      return {
        payload: legit
          ? { statusCode: 200, headers: {}, body: '{"access_token":"t","token_type":"Bearer"}' }
          : { statusCode: 401, headers: {}, body: '{"error":"invalid_client"}' },
      };
    },
  } as unknown as LocalFunction;
  const api: RestApiModel = {
    logicalId: 'Api',
    stageName: 'prod',
    routes: [
      {
        method: 'POST',
        resourcePath: '/oauth2/token',
        resourceLogicalId: 'Token',
        functionLogicalId: 'Fn',
        authorizationType: 'NONE',
      },
    ],
    authorizers: new Map(),
    gatewayResponses: new Map<string, GatewayResponseDefinition>(
      defaultGatewayProblems('demo').map((problem) => [
        problem.type.responseType,
        {
          responseType: problem.type.responseType,
          statusCode: problem.status,
          headers: { 'Content-Type': 'application/problem+json', ...problem.headers },
          template: problemTemplate(problem),
        },
      ]),
    ),
  };
  const gateway = new LocalGateway();
  let port: number;

  beforeAll(async () => {
    port = Number(new URL(await gateway.listen(0)).port);
    gateway.serve({
      api,
      apiContext: { apiId: 'api1', stage: 'prod', accountId: '123456789012' },
      region: 'us-east-1',
      functions: new Map([['Fn', tokenFunction]]),
      authorizers: new Map(),
      // Frozen time: nothing refills, so every count below is exact.
      firewall: new LocalFirewall(
        readFirewallRules(firewallTemplate({ limit: 10 })).rules,
        () => 0,
      ),
    });
  });
  afterAll(() => gateway.close());
  beforeEach(() => void (invocations.length = 0));

  /** A token request sent from `localAddress` (any 127/8 address is the loopback on Linux). */
  const tokenRequest = (
    localAddress: string,
    authorization: string,
    headers: Record<string, string> = {},
  ) => tokenRequestFrom(`http://127.0.0.1:${port}`, localAddress, authorization, headers);

  it('answers the junk source 429 past its limit and the client from another address 200', async () => {
    const junk = [];
    for (let index = 0; index < 30; index++)
      junk.push(
        await tokenRequest('127.0.0.2', 'Basic anVuazp4', { 'x-forwarded-for': '127.0.0.1' }),
      );
    expect(junk.map((response) => response.status)).toEqual([
      ...Array(10).fill(401),
      ...Array(20).fill(429),
    ]);
    // The 20 refused never reached the function.
    expect(invocations).toEqual(Array(10).fill('junk'));

    const refused = junk[29];
    expect(refused.headers['content-type']).toBe('application/problem+json');
    expect(refused.headers['retry-after']).toBe('6');
    expect(refused.headers['x-amzn-errortype']).toBe('THROTTLED');
    expect(JSON.parse(refused.body)).toMatchObject({
      type: 'about:blank',
      title: 'Too Many Requests',
      status: 429,
      detail: 'Too many requests from this address; retry later.',
    });

    const legit = await tokenRequest('127.0.0.1', 'Basic bGVnaXQ6c2VjcmV0');
    expect(legit.status).toBe(200);
    expect(JSON.parse(legit.body)).toMatchObject({ access_token: 't' });
    expect(invocations.at(-1)).toBe('legit');
  });
});
