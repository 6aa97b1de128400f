import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { MicroservicePlatform } from '../../../lib/platform/microservice-platform';
import { Microservice, type ServiceRoute } from '../../../lib/service/microservice';

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

type Resource = { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] };

/** A platform stack and, when `services` are given, one stack per service that looks it up. */
function app(services: { name: string; routes: ServiceRoute[] }[]) {
  const cdkApp = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const platformStack = new Stack(cdkApp, 'Platform', { env: ENV });
  new MicroservicePlatform(platformStack, 'Platform', { platformName: 'shop', stage: 'dev' });
  const serviceStacks = services.map(({ name, routes }) => {
    const stack = new Stack(cdkApp, `Service-${name}`, { env: ENV });
    new Microservice(stack, 'Service', {
      platform: MicroservicePlatform.fromLookup(stack, 'Platform', {
        platformName: 'shop',
        stage: 'dev',
      }),
      serviceName: name,
      entry: ENTRY,
      routes,
    });
    return stack;
  });
  return { platformStack, serviceStacks };
}

function resources(stack: Stack, type: string): [string, Resource][] {
  return Object.entries(Template.fromStack(stack).findResources(type)) as [string, Resource][];
}

describe('routes from a service stack reach the live stage', () => {
  const { serviceStacks } = app([
    {
      name: 'orders',
      routes: [
        { method: 'GET', scopes: ['orders/read'] },
        { method: 'POST', path: '/{id}' },
      ],
    },
  ]);
  const [orders] = serviceStacks;
  const methods = resources(orders, 'AWS::ApiGateway::Method').map(([id]) => id);
  const [[deployId, deploy]] = resources(orders, 'Custom::RouteDeployment');
  const [[retireId]] = resources(orders, 'Custom::RouteRetirement');

  it('creates a deployment after every method of the stack exists (it depends on each)', () => {
    expect(methods).toHaveLength(3); // health, GET, POST /{id}
    expect(deploy.DependsOn).toEqual(expect.arrayContaining(methods));
  });

  it('makes every method depend on the retirement, so deleting the stack redeploys after they are gone', () => {
    for (const [id, method] of resources(orders, 'AWS::ApiGateway::Method')) {
      expect(method.DependsOn, id).toContain(retireId);
    }
    expect(deployId).not.toBe(retireId);
  });

  it("calls CreateDeployment on the platform's REST API and stage, found through SSM", () => {
    const template = JSON.stringify(Template.fromStack(orders).toJSON());
    const deployCall = JSON.stringify(deploy.Properties.Create);
    expect(deployCall).toContain('createDeployment');
    expect(deployCall).toContain('\\"stageName\\":\\"dev\\"');
    expect(deployCall).toContain('SsmParameterValueshopdevplatformrestapiid');
    const [[, retire]] = resources(orders, 'Custom::RouteRetirement');
    expect(JSON.stringify(retire.Properties.Delete)).toContain('createDeployment');
    expect(template).not.toContain('AWS::ApiGateway::Deployment');
    expect(template).not.toContain('AWS::ApiGateway::Stage');
  });

  it('changes both custom resources when the routes change (an update redeploys and retires)', () => {
    const before = app([{ name: 'orders', routes: [{ method: 'GET' }] }]).serviceStacks[0];
    const after = app([{ name: 'orders', routes: [{ method: 'GET' }, { method: 'DELETE' }] }])
      .serviceStacks[0];
    const props = (stack: Stack, type: string) =>
      JSON.stringify(resources(stack, type)[0][1].Properties);
    expect(props(before, 'Custom::RouteDeployment')).not.toBe(
      props(after, 'Custom::RouteDeployment'),
    );
    // The retirement's physical ID carries the hash: replaced, so the old one redeploys on clean-up.
    expect(props(before, 'Custom::RouteRetirement')).not.toBe(
      props(after, 'Custom::RouteRetirement'),
    );
    const same = app([{ name: 'orders', routes: [{ method: 'GET' }] }]).serviceStacks[0];
    expect(props(same, 'Custom::RouteDeployment')).toBe(props(before, 'Custom::RouteDeployment'));
  });

  it('may only POST deployments of that one API', () => {
    const statements = resources(orders, 'AWS::IAM::Policy').flatMap(
      ([, policy]) =>
        (
          policy.Properties.PolicyDocument as {
            Statement: { Action: unknown; Resource: unknown }[];
          }
        ).Statement,
    );
    const post = statements.filter((statement) => statement.Action === 'apigateway:POST');
    expect(post.length).toBeGreaterThan(0);
    for (const statement of post) {
      expect(JSON.stringify(statement.Resource)).toMatch(
        /restapis\/".*SsmParameterValueshopdevplatformrestapiid.*\/deployments/,
      );
    }
  });
});

describe('the platform stack never changes for a new service', () => {
  it('synthesizes the same platform template with no, one or three service stacks', () => {
    const bare = Template.fromStack(app([]).platformStack).toJSON();
    const one = Template.fromStack(
      app([{ name: 'orders', routes: [{ method: 'GET' }] }]).platformStack,
    ).toJSON();
    const three = Template.fromStack(
      app([
        { name: 'orders', routes: [{ method: 'GET', scopes: ['orders/read'] }] },
        { name: 'billing', routes: [{ method: 'POST', scopes: ['billing/write'] }] },
        { name: 'stock', routes: [{ method: 'GET' }] },
      ]).platformStack,
    ).toJSON();
    expect(one).toEqual(bare);
    expect(three).toEqual(bare);
  });
});
