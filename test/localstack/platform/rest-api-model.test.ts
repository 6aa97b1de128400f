import { beforeAll, describe, expect, it } from 'vitest';
import { readCloudAssembly, type StackArtifact } from '../../../localstack/platform/cloud-assembly';
import { readRestApis } from '../../../localstack/platform/rest-api-model';
import { synthDemoAssembly } from '../../support/demo-assembly';

let stack: StackArtifact;

beforeAll(() => {
  // The platform's own stack: its REST API, stage, authorizer and own routes. (Routes other
  // stacks mount on it are read by app-stacks; see app-stacks.test.ts.)
  [stack] = readCloudAssembly(synthDemoAssembly()).filter(
    (candidate) => candidate.stackName === 'ServerlessMsaDemo',
  );
}, 60_000); // a synthesis of the example app's three stacks

describe('reading the REST API back from the synthesized template', () => {
  it('finds one API with its stage and every route of its stack, each bound to its function', () => {
    const apis = readRestApis(stack.template);
    expect(apis).toHaveLength(1);
    const [api] = apis;
    expect(api.stageName).toBe('dev');
    // The admin API's routes are checked below (guarded); here OAuth2's.
    const routes = api.routes
      .filter((r) => !r.resourcePath.startsWith('/admin'))
      .map((r) => `${r.method} ${r.resourcePath}`)
      .sort();
    expect(routes).toEqual(
      expect.arrayContaining([
        'GET /.well-known/jwks.json',
        'GET /.well-known/oauth-authorization-server',
        'GET /.well-known/oauth-authorization-server/{path+}',
        'GET /.well-known/openid-configuration',
        'POST /oauth2/token',
      ]),
    );
    // The services' routes are in their own stacks' templates, not here.
    expect(routes.filter((route) => /(reading-list|recommendations)/.test(route))).toEqual([]);
    const functionOf = (path: string) =>
      api.routes.find((r) => r.resourcePath === path)?.functionLogicalId;
    expect(functionOf('/oauth2/token')).toBe(functionOf('/.well-known/jwks.json'));
    expect(functionOf('/oauth2/token')).not.toBe(functionOf('/admin/circuits'));
    expect(stack.template.Resources[functionOf('/oauth2/token')!].Type).toBe(
      'AWS::Lambda::Function',
    );
  });

  it('reads which routes an authorizer guards, and the REQUEST authorizer itself', () => {
    const [api] = readRestApis(stack.template);
    const guarded = api.routes.filter((r) => r.authorizerLogicalId !== undefined);
    expect(
      guarded
        .filter((r) => !r.resourcePath.startsWith('/admin'))
        .map((r) => `${r.method} ${r.resourcePath}`)
        .sort(),
    ).toEqual([]);
    // Every admin route is guarded.
    const admin = api.routes.filter((r) => r.resourcePath.startsWith('/admin'));
    expect(admin.every((r) => r.authorizerLogicalId !== undefined)).toBe(true);
    const authorizerIds = new Set(guarded.map((r) => r.authorizerLogicalId));
    expect(authorizerIds.size).toBe(1);
    for (const route of guarded) expect(route.authorizationType).toBe('CUSTOM');
    for (const route of api.routes.filter((r) => r.authorizerLogicalId === undefined)) {
      expect(route.authorizationType, `${route.method} ${route.resourcePath}`).toBe('NONE');
    }

    expect([...api.authorizers.keys()]).toEqual([...authorizerIds]);
    const authorizer = api.authorizers.get([...authorizerIds][0]!)!;
    expect(authorizer).toMatchObject({
      type: 'REQUEST',
      identitySource: 'method.request.header.Authorization',
      resultTtlSeconds: 60,
    });
    const fn = stack.template.Resources[authorizer.functionLogicalId!];
    expect(fn.Type).toBe('AWS::Lambda::Function');
    expect(
      (fn.Properties?.Environment as { Variables: Record<string, unknown> }).Variables
        .POWERTOOLS_SERVICE_NAME,
    ).toBe('authorizer');
  });

  it('reads the problem+json gateway responses with their statuses and static headers', () => {
    const [api] = readRestApis(stack.template);
    expect(api.gatewayResponses.get('MISSING_AUTHENTICATION_TOKEN')).toMatchObject({
      statusCode: 404,
      headers: { 'Content-Type': 'application/problem+json' },
    });
    expect(api.gatewayResponses.get('UNAUTHORIZED')?.headers['WWW-Authenticate']).toContain(
      'error="invalid_token"',
    );
  });
});
