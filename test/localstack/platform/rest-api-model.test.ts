import { beforeAll, describe, expect, it } from 'vitest';
import { readCloudAssembly, type StackArtifact } from '../../../localstack/platform/cloud-assembly';
import { readRestApis } from '../../../localstack/platform/rest-api-model';
import { synthDemoAssembly } from '../../support/demo-assembly';

let stack: StackArtifact;

beforeAll(() => {
  [stack] = readCloudAssembly(synthDemoAssembly());
});

describe('reading the REST API back from the synthesized template', () => {
  it('finds one API with its stage and every route, each bound to its service function', () => {
    const apis = readRestApis(stack.template);
    expect(apis).toHaveLength(1);
    const [api] = apis;
    expect(api.stageName).toBe('dev');
    const routes = api.routes.map((r) => `${r.method} ${r.resourcePath}`).sort();
    expect(routes).toEqual([
      'GET /reading-list',
      'GET /reading-list/health',
      'GET /recommendations',
      'GET /recommendations/health',
      'POST /reading-list',
    ]);
    const functionOf = (path: string) =>
      api.routes.find((r) => r.resourcePath === path)?.functionLogicalId;
    expect(functionOf('/reading-list')).toBe(functionOf('/reading-list/health'));
    expect(functionOf('/reading-list')).not.toBe(functionOf('/recommendations'));
    expect(stack.template.Resources[functionOf('/reading-list')!].Type).toBe(
      'AWS::Lambda::Function',
    );
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
