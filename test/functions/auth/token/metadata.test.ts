import { describe, expect, it } from 'vitest';
import { createTokenService } from '../../../../functions/auth/token/token-service';
import { InMemoryClientsRepository } from '../../../../functions/auth/token/clients';
import { InMemoryReplayStore } from '../../../../functions/auth/token/replay';
import { rotateKeys } from '../../../../functions/auth/rotation/rotate';
import { CachedKeyDocument, InMemoryKeyStore } from '../../../../functions/runtime/auth/key-store';
import { resolveIssuer } from '../../../../functions/runtime/auth/issuer';
import { keyDocument, POLICY, powertools, proxyEvent, T0 } from '../fixtures';

async function serviceWith(options = {}, at = T0) {
  const doc = await keyDocument();
  return {
    doc,
    service: createTokenService({
      clients: new InMemoryClientsRepository(),
      keys: new CachedKeyDocument(new InMemoryKeyStore(doc)),
      replay: new InMemoryReplayStore(),
      powertools: powertools(),
      clock: () => at,
      options,
    }),
  };
}

describe('issuer resolution', () => {
  it('uses ISSUER_URL, else the stage path on execute-api, none on custom domains, http on localhost', () => {
    expect(resolveIssuer({}, 'https://auth.example.com/')).toBe('https://auth.example.com');
    expect(
      resolveIssuer({
        requestContext: { domainName: 'abc123.execute-api.eu-west-1.amazonaws.com', stage: 'prod' },
      }),
    ).toBe('https://abc123.execute-api.eu-west-1.amazonaws.com/prod');
    expect(
      resolveIssuer({ requestContext: { domainName: 'api.example.com', stage: 'prod' } }),
    ).toBe('https://api.example.com');
    expect(
      resolveIssuer({ requestContext: { domainName: '127.0.0.1:4010', stage: 'local' } }),
    ).toBe('http://127.0.0.1:4010/local');
    expect(resolveIssuer({ headers: { Host: 'evil.example/../x' } })).toBeUndefined();
  });
});

describe('metadata routes', () => {
  it('serves RFC 8414 metadata with caching headers', async () => {
    const { service } = await serviceWith({ scopesSupported: ['reading-list/read'] });
    const result = await service(
      proxyEvent({ resource: '/.well-known/oauth-authorization-server' }),
    );
    expect(result.statusCode).toBe(200);
    expect(result.headers?.['cache-control']).toMatch(/^public, max-age=\d+$/);
    const issuer = 'https://abc123defg.execute-api.eu-west-1.amazonaws.com/prod';
    expect(JSON.parse(result.body)).toEqual({
      issuer,
      token_endpoint: `${issuer}/oauth2/token`,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      grant_types_supported: ['client_credentials'],
      response_types_supported: [],
      token_endpoint_auth_methods_supported: [
        'client_secret_basic',
        'client_secret_post',
        'private_key_jwt',
      ],
      token_endpoint_auth_signing_alg_values_supported: ['ES256', 'RS256'],
      scopes_supported: ['reading-list/read'],
    });
  });

  it('serves the path-suffixed form for the issuer path only', async () => {
    const { service } = await serviceWith();
    const ok = await service(
      proxyEvent({
        resource: '/.well-known/oauth-authorization-server/{path+}',
        pathParameters: { path: 'prod' },
      }),
    );
    expect(ok.statusCode).toBe(200);
    const wrong = await service(
      proxyEvent({
        resource: '/.well-known/oauth-authorization-server/{path+}',
        pathParameters: { path: 'other' },
      }),
    );
    expect(wrong.statusCode).toBe(404);
    const customDomain = await service(
      proxyEvent({
        resource: '/.well-known/oauth-authorization-server/{path+}',
        pathParameters: { path: 'prod' },
        domainName: 'api.example.com',
      }),
    );
    expect(customDomain.statusCode).toBe(404);
  });

  it('serves openid-configuration without claiming ID tokens', async () => {
    const { service } = await serviceWith({ issuer: 'https://auth.example.com' });
    const body = JSON.parse(
      (await service(proxyEvent({ resource: '/.well-known/openid-configuration' }))).body,
    );
    expect(body.issuer).toBe('https://auth.example.com');
    expect(body.subject_types_supported).toEqual(['public']);
    expect(body.id_token_signing_alg_values_supported).toEqual([]);
    expect(body.response_types_supported).toEqual([]);
    expect(body.authorization_endpoint).toBeUndefined();
  });

  it('JWKS publishes next and current public keys only, never private members', async () => {
    const { service, doc } = await serviceWith();
    const result = await service(proxyEvent({ resource: '/.well-known/jwks.json' }));
    expect(result.headers?.['cache-control']).toMatch(/^public, max-age=/);
    const { keys } = JSON.parse(result.body);
    expect(keys.map((k: { kid: string }) => k.kid).sort()).toEqual(
      doc.keys.map((k) => k.kid).sort(),
    );
    for (const key of keys) {
      expect(key).toMatchObject({ use: 'sig', alg: 'ES256', kty: 'EC' });
      expect(key.d).toBeUndefined();
    }
  });

  it('JWKS drops a retired key after publishUntil even before rotation removes it', async () => {
    const doc = await keyDocument();
    const rotated = (await rotateKeys(doc, new Date(T0.getTime() + 1000_000), POLICY)).document;
    const retired = rotated.keys.find((k) => k.status === 'retired')!;
    const after = new Date(Date.parse(retired.publishUntil!) + 1);
    const service = createTokenService({
      clients: new InMemoryClientsRepository(),
      keys: new CachedKeyDocument(new InMemoryKeyStore(rotated)),
      replay: new InMemoryReplayStore(),
      powertools: powertools(),
      clock: () => after,
    });
    const { keys } = JSON.parse(
      (await service(proxyEvent({ resource: '/.well-known/jwks.json' }))).body,
    );
    expect(keys.map((k: { kid: string }) => k.kid)).not.toContain(retired.kid);
    expect(keys).toHaveLength(2);
  });

  it('unknown routes are 404 problems; writes to metadata are 405', async () => {
    const { service } = await serviceWith();
    expect((await service(proxyEvent({ resource: '/nope' }))).statusCode).toBe(404);
    expect(
      (await service(proxyEvent({ method: 'POST', resource: '/.well-known/jwks.json' })))
        .statusCode,
    ).toBe(405);
  });
});
