import { GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';
import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SsmRouteScopeSource } from '../../../../functions/auth/authorizer/route-scope-source';
import { parseRouteScopes } from '../../../../functions/runtime/auth/route-scopes';

const PATH = '/shop/dev/_platform/route-scopes';
const ssm = mockClient(SSMClient);

function parameters(values: Record<string, unknown>) {
  ssm.on(GetParametersByPathCommand).resolves({
    Parameters: Object.entries(values).map(([name, value]) => ({
      Name: `${PATH}/${name}`,
      Value: typeof value === 'string' ? value : JSON.stringify(value),
    })),
  });
}

function source(invalid: string[] = []) {
  return new SsmRouteScopeSource({
    // The real Powertools provider (its cache), over a mocked SSM client.
    provider: new SSMProvider({ awsSdkV3Client: new SSMClient({ region: 'eu-west-1' }) }),
    path: PATH,
    maxAgeSeconds: 60,
    missCooldownMs: 5000,
    onInvalid: (name) => invalid.push(name),
  });
}

const readingList = [{ method: 'GET', resource: '/reading-list', scopes: ['reading-list/read'] }];
const recommendations = [
  { method: 'GET', resource: '/recommendations', scopes: ['recommendations/read'] },
];

beforeEach(() => {
  ssm.reset();
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date('2026-01-01T00:00:00Z'));
});

afterEach(() => {
  vi.useRealTimers();
});

describe('route scopes read from SSM', () => {
  it("reads every service's parameters below the path, recursively, in a stable order", async () => {
    parameters({ 'reading-list/0': readingList, 'recommendations/0': recommendations });
    const rules = await source().rules();
    expect(rules.map((rule) => `${rule.method} ${rule.resource}`)).toEqual([
      'GET /reading-list',
      'GET /recommendations',
    ]);
    const call = ssm.commandCalls(GetParametersByPathCommand)[0].args[0].input;
    expect(call).toMatchObject({ Path: PATH, Recursive: true });
  });

  it('reads SSM once per cache period, however many requests', async () => {
    parameters({ 'reading-list/0': readingList });
    const routeScopes = source();
    for (let i = 0; i < 20; i++) await routeScopes.rules();
    expect(ssm.commandCalls(GetParametersByPathCommand)).toHaveLength(1);
    vi.setSystemTime(new Date('2026-01-01T00:01:01Z'));
    await routeScopes.rules();
    expect(ssm.commandCalls(GetParametersByPathCommand)).toHaveLength(2);
  });

  it('reads again on a miss (a newly deployed service), at most once per cool-down', async () => {
    parameters({ 'reading-list/0': readingList });
    const routeScopes = source();
    expect(await routeScopes.rules()).toHaveLength(1);
    parameters({ 'reading-list/0': readingList, 'recommendations/0': recommendations });
    expect(await routeScopes.rulesAfterMiss()).toHaveLength(2);
    expect(ssm.commandCalls(GetParametersByPathCommand)).toHaveLength(2);
    // A flood of unknown routes within the cool-down reads nothing more.
    for (let i = 0; i < 50; i++) await routeScopes.rulesAfterMiss();
    expect(ssm.commandCalls(GetParametersByPathCommand)).toHaveLength(2);
    vi.setSystemTime(new Date('2026-01-01T00:00:06Z'));
    await routeScopes.rulesAfterMiss();
    expect(ssm.commandCalls(GetParametersByPathCommand)).toHaveLength(3);
  });

  it("leaves out an invalid parameter (fail closed) without dropping the other services' rules", async () => {
    parameters({
      'broken/0': '{not json',
      'evil/0': [{ method: 'GET', resource: 'no-slash', scopes: [] }],
      'reading-list/0': readingList,
    });
    const invalid: string[] = [];
    const rules = await source(invalid).rules();
    expect(rules.map((rule) => rule.resource)).toEqual(['/reading-list']);
    expect(invalid.sort()).toEqual(['broken/0', 'evil/0']);
  });

  it('puts rules fixed in the environment first', async () => {
    parameters({ 'reading-list/0': readingList });
    const routeScopes = new SsmRouteScopeSource({
      provider: new SSMProvider({ awsSdkV3Client: new SSMClient({ region: 'eu-west-1' }) }),
      path: PATH,
      maxAgeSeconds: 60,
      missCooldownMs: 5000,
      staticRules: parseRouteScopes(JSON.stringify(recommendations)),
    });
    expect((await routeScopes.rules()).map((rule) => rule.resource)).toEqual([
      '/recommendations',
      '/reading-list',
    ]);
  });
});
