import { beforeAll, describe, expect, it } from 'vitest';
import { AppLinks, orderStacks, readAppRestApi } from '../../../localstack/platform/app-stacks';
import type { StackArtifact, Template } from '../../../localstack/platform/cloud-assembly';
import { resolveValue } from '../../../localstack/platform/intrinsics';
import { nameResources } from '../../../localstack/platform/physical-names';
import { linkedDemo, type LinkedStack } from '../../support/linked-demo';

let demo: LinkedStack[];
const ENV = { region: 'us-east-1', accountId: '123456789012' };

beforeAll(async () => {
  demo = await linkedDemo();
}, 60_000);

const byName = (name: string) => demo.find(({ stack }) => stack.stackName === name)!;
const variables = ({ stack, context }: LinkedStack, service: string) => {
  const fn = Object.values(stack.template.Resources).find(
    (resource) =>
      resource.Type === 'AWS::Lambda::Function' &&
      JSON.stringify(resource.Properties?.Environment).includes(`"SERVICE_NAME":"${service}"`),
  )!;
  return resolveValue(
    (fn.Properties!.Environment as { Variables: unknown }).Variables,
    context,
  ) as Record<string, string>;
};

function stack(
  stackName: string,
  template: Partial<Template>,
  dependencies: string[] = [],
): StackArtifact {
  return {
    stackName,
    template: { Resources: {}, ...template },
    assemblyDir: '/nowhere',
    dependencies,
  };
}

describe('the app’s stacks, in deployment order', () => {
  it('puts the platform first, then each service after what it looks up', () => {
    expect(demo.map(({ stack }) => stack.stackName)).toEqual([
      'ServerlessMsaDemo',
      'ServerlessMsaDemoRecommendations',
      'ServerlessMsaDemoReadingList',
    ]);
    const reversed = orderStacks(
      [...demo.map(({ stack }) => ({ ...stack, dependencies: [] }))].reverse(),
    );
    expect(reversed.map((s) => s.stackName)).toEqual([
      'ServerlessMsaDemo',
      'ServerlessMsaDemoRecommendations',
      'ServerlessMsaDemoReadingList',
    ]);
  });

  it('orders by exports too, and refuses a cycle by naming it', () => {
    const producer = stack('Producer', {
      Resources: { Table: { Type: 'AWS::DynamoDB::Table' } },
      Outputs: { Name: { Value: { Ref: 'Table' }, Export: { Name: 'producer-table' } } },
    });
    const consumer = stack('Consumer', {
      Resources: {
        Fn: {
          Type: 'AWS::Lambda::Function',
          Properties: {
            Environment: { Variables: { T: { 'Fn::ImportValue': 'producer-table' } } },
          },
        },
      },
    });
    expect(orderStacks([consumer, producer]).map((s) => s.stackName)).toEqual([
      'Producer',
      'Consumer',
    ]);
    expect(() => orderStacks([stack('A', {}, ['B']), stack('B', {}, ['A'])])).toThrow(
      /cycle: A → B → A/,
    );
  });
});

describe('cross-stack references resolved locally', () => {
  it("gives a service the platform's IDs through its SSM look-ups", () => {
    const platform = byName('ServerlessMsaDemo');
    const resilience = Object.entries(platform.stack.template.Resources).find(
      ([id, resource]) =>
        resource.Type === 'AWS::DynamoDB::Table' && id.startsWith('PlatformResilience'),
    )![0];
    const env = variables(byName('ServerlessMsaDemoReadingList'), 'reading-list');
    expect(env.RESILIENCE_TABLE_NAME).toBe(platform.context.refs.get(resilience));
    expect(env.CIRCUIT_OPEN_DURATION_MS).toBe('5000');
  });

  it("gives reading-list the recommendations function's name, found by name through SSM", () => {
    const recommendations = byName('ServerlessMsaDemoRecommendations');
    const [fnId] = Object.entries(recommendations.stack.template.Resources).find(
      ([id, resource]) =>
        resource.Type === 'AWS::Lambda::Function' && id.startsWith('Recommendations'),
    )!;
    const env = variables(byName('ServerlessMsaDemoReadingList'), 'reading-list');
    expect(env.SERVICE_RECOMMENDATIONS_FUNCTION_NAME).toBe(recommendations.context.refs.get(fnId));
  });

  it('resolves Fn::ImportValue from the exporting stack', async () => {
    const links = new AppLinks();
    const producer = stack('Producer', {
      Resources: { Table: { Type: 'AWS::DynamoDB::Table', Properties: { TableName: 'orders' } } },
      Outputs: { Name: { Value: { Ref: 'Table' }, Export: { Name: 'producer-table' } } },
    });
    links.record(producer, nameResources(producer, ENV));
    const consumer = stack('Consumer', {});
    const context = await links.link(consumer, nameResources(consumer, ENV), async () => undefined);
    expect(resolveValue({ 'Fn::ImportValue': 'producer-table' }, context)).toBe('orders');
  });

  it('fails with the parameter’s name when a look-up has no source', async () => {
    const lonely = stack('Lonely', {
      Parameters: {
        Api: {
          Type: 'AWS::SSM::Parameter::Value<String>',
          Default: '/shop/dev/_platform/rest-api/id',
        },
      },
    });
    await expect(
      new AppLinks().link(lonely, nameResources(lonely, ENV), async () => undefined),
    ).rejects.toThrow(/Lonely looks up the SSM parameter \/shop\/dev\/_platform\/rest-api\/id/);
    const fromEmulator = await new AppLinks().link(
      lonely,
      nameResources(lonely, ENV),
      async (name) =>
        name === '/shop/dev/_platform/rest-api/id' ? 'api-from-emulator' : undefined,
    );
    expect(resolveValue({ Ref: 'Api' }, fromEmulator)).toBe('api-from-emulator');
  });
});

describe('one REST API with the routes of every stack', () => {
  it('serves the platform’s routes and each service’s, each on its own stack’s function', () => {
    const served = readAppRestApi(demo)!;
    expect(served.stackIndex).toBe(0);
    expect(served.api.stageName).toBe('dev');
    const routes = served.api.routes.map((route) => `${route.method} ${route.resourcePath}`);
    // The services' routes (from their own stacks) beside the platform's.
    expect(
      routes.filter((route) => /^\S+ \/(reading-list|recommendations)(\/|$)/.test(route)).sort(),
    ).toEqual([
      'GET /reading-list',
      'GET /reading-list/health',
      'GET /recommendations',
      'GET /recommendations/health',
      'POST /reading-list',
    ]);
    expect(routes).toEqual(expect.arrayContaining(['POST /oauth2/token', 'GET /admin/circuits']));
    const functionOf = (path: string, method = 'GET') =>
      served.api.routes.find((r) => r.resourcePath === path && r.method === method)
        ?.functionLogicalId;
    expect(functionOf('/reading-list')).toMatch(/^ServerlessMsaDemoReadingList\/ReadingList/);
    expect(functionOf('/reading-list/health')).toBe(functionOf('/reading-list'));
    expect(functionOf('/recommendations')).toMatch(/^ServerlessMsaDemoRecommendations\//);
    expect(functionOf('/oauth2/token', 'POST')).toMatch(
      /^ServerlessMsaDemo\/PlatformAuthTokenService/,
    );
  });

  it("guards the services' routes with the platform's authorizer, found through SSM", () => {
    const { api } = readAppRestApi(demo)!;
    const guarded = api.routes.filter((route) => route.authorizerLogicalId !== undefined);
    expect(new Set(guarded.map((route) => route.authorizerLogicalId)).size).toBe(1);
    expect(
      guarded
        .map((route) => `${route.method} ${route.resourcePath}`)
        .filter((route) => /^\S+ \/(reading-list|recommendations)(\/|$)/.test(route))
        .sort(),
    ).toEqual(['GET /reading-list', 'GET /recommendations', 'POST /reading-list']);
    const authorizer = api.authorizers.get(guarded[0].authorizerLogicalId!)!;
    expect(authorizer).toMatchObject({ type: 'REQUEST', resultTtlSeconds: 60 });
    expect(authorizer.functionLogicalId).toMatch(/^ServerlessMsaDemo\/PlatformAuthAuthorizer/);
    for (const route of api.routes.filter((r) => r.authorizerLogicalId === undefined)) {
      expect(route.authorizationType, `${route.method} ${route.resourcePath}`).toBe('NONE');
    }
  });
});
