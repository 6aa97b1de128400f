import { describe, expect, it } from 'vitest';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { buildPolicy, parseMethodArn } from '../../../../functions/auth/authorizer/policy';
import { SsmUsageKeyResolver } from '../../../../functions/auth/authorizer/usage-keys';
import { authorizerSettingsFromEnv } from '../../../../functions/auth/authorizer/config';
import { bearerToken } from '../../../../functions/auth/authorizer/authorizer';
import { parseRouteScopes } from '../../../../functions/runtime/auth/route-scopes';

const ARN = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/GET/items/42';

describe('policy builder', () => {
  it('parses method ARNs', () => {
    expect(parseMethodArn(ARN)).toEqual({
      base: 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod',
      method: 'GET',
      path: '/items/42',
    });
    expect(
      parseMethodArn('arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/GET/')?.path,
    ).toBe('/');
    expect(parseMethodArn('nonsense')).toBeUndefined();
  });

  it('explicitly denies a stricter route that an allowed wildcard would also match', () => {
    const rules = parseRouteScopes(
      JSON.stringify([
        { method: 'GET', resource: '/items/{id}', scopes: ['items/read'] },
        { method: 'GET', resource: '/items/{id}/secret', scopes: ['items/secret'] },
      ]),
    );
    const policy = buildPolicy(ARN, rules, ['items/read'], true);
    const base = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod';
    expect(policy.Statement).toEqual([
      { Effect: 'Allow', Action: 'execute-api:Invoke', Resource: [`${base}/GET/items/*`] },
      { Effect: 'Deny', Action: 'execute-api:Invoke', Resource: [`${base}/GET/items/*/secret`] },
    ]);
  });

  it('denies everything on an unparseable method ARN', () => {
    const policy = buildPolicy('bad', [], [], true);
    expect(policy.Statement).toEqual([
      { Effect: 'Deny', Action: 'execute-api:Invoke', Resource: ['bad'] },
    ]);
  });
});

describe('bearer parsing', () => {
  it('follows RFC 6750 / 7235', () => {
    expect(bearerToken('Bearer a.b.c')).toBe('a.b.c');
    expect(bearerToken('bEaReR   a.b.c')).toBe('a.b.c');
    expect(bearerToken('Bearera.b.c')).toBeUndefined();
    expect(bearerToken('Bearer a b')).toBeUndefined();
    expect(bearerToken('Basic a.b.c')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});

describe('config', () => {
  it('rejects a trusted issuer with neither audience nor clientIds', () => {
    expect(() =>
      authorizerSettingsFromEnv({
        TRUSTED_ISSUERS: JSON.stringify([
          { issuer: 'https://x.example', jwksUri: 'https://x.example/jwks' },
        ]),
      }),
    ).toThrow();
    expect(() => authorizerSettingsFromEnv({ ALLOWED_ALGORITHMS: 'HS256' })).toThrow();
    expect(authorizerSettingsFromEnv({}).algorithms).toEqual(['ES256', 'RS256']);
  });
});

describe('usage keys from SSM', () => {
  it('reads the map once per TTL', async () => {
    const ssm = mockClient(SSMClient);
    ssm
      .on(GetParameterCommand)
      .resolves({ Parameter: { Value: JSON.stringify({ reader: 'k'.repeat(30) }) } });
    let now = 0;
    const resolver = new SsmUsageKeyResolver(
      new SSMClient({ region: 'eu-west-1' }),
      '/keys',
      300_000,
      () => now,
    );
    expect(await resolver.keyFor('reader')).toBe('k'.repeat(30));
    expect(await resolver.keyFor('other')).toBeUndefined();
    expect(await resolver.keyFor('constructor')).toBeUndefined();
    now = 100_000;
    await resolver.keyFor('reader');
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(1);
    now = 400_000;
    await resolver.keyFor('reader');
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(2);
    ssm.restore();
  });
});
