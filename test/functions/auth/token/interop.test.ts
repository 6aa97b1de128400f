import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oauth from 'oauth4webapi';
import { exportJWK, generateKeyPair, type GenerateKeyPairResult } from 'jose';
import { createTokenService } from '../../../../functions/auth/token/token-service';
import {
  hashClientSecret,
  InMemoryClientsRepository,
} from '../../../../functions/auth/token/clients';
import { InMemoryReplayStore } from '../../../../functions/auth/token/replay';
import { CachedKeyDocument, InMemoryKeyStore } from '../../../../functions/runtime/auth/key-store';
import { keyDocument, powertools, proxyEvent } from '../fixtures';

/**
 * oauth4webapi — an independent, certified OAuth 2 client — discovers the token service, runs the
 * client_credentials grant (client_secret_basic, client_secret_post, private_key_jwt) and validates
 * the access token as an RFC 9068 JWT. The handler runs behind a tiny HTTP server that turns each
 * request into an API Gateway REST proxy event, with a stage path when one is configured.
 */
const SECRET = 'interop-secret-5c2e8a1f9d3b7e604a1c8f2d6b9e3a70';
const insecure = { [oauth.allowInsecureRequests]: true } as const;
let server: Server;
let base: string;
let clientKeys: GenerateKeyPairResult;

beforeAll(async () => {
  clientKeys = await generateKeyPair('ES256', { extractable: true });
  const clients = new InMemoryClientsRepository([
    {
      clientId: 'reader',
      secretHash: await hashClientSecret(SECRET),
      scopes: ['reading-list/read', 'recommendations/read'],
    },
    {
      clientId: 'signer',
      scopes: ['reading-list/read'],
      publicJwk: await exportJWK(clientKeys.publicKey),
    },
  ]);
  const keys = new CachedKeyDocument(new InMemoryKeyStore(await keyDocument(new Date())));
  const services = new Map<string, ReturnType<typeof createTokenService>>();
  const serviceFor = (issuer?: string) => {
    const key = issuer ?? '';
    if (!services.has(key)) {
      services.set(
        key,
        createTokenService({
          clients,
          keys,
          replay: new InMemoryReplayStore(),
          powertools: powertools(),
          options: issuer ? { issuer } : {},
        }),
      );
    }
    return services.get(key)!;
  };

  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      let path = url.pathname;
      let stage: string | undefined;
      if (path.startsWith('/prod/')) {
        stage = 'prod';
        path = path.slice('/prod'.length);
      }
      let resource = path;
      let pathParameters: Record<string, string> | undefined;
      const suffixed = /^\/\.well-known\/oauth-authorization-server\/(.+)$/.exec(path);
      if (suffixed) {
        resource = '/.well-known/oauth-authorization-server/{path+}';
        pathParameters = { path: suffixed[1] };
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers))
        if (typeof value === 'string') headers[name] = value;
      const body = Buffer.concat(chunks);
      const event = proxyEvent({
        method: req.method ?? 'GET',
        resource,
        headers,
        body: body.length ? body.toString('base64') : null,
        isBase64Encoded: body.length > 0,
        domainName: headers.host,
        stage,
        pathParameters,
      });
      if (stage === undefined) event.requestContext.stage = undefined as never;
      // a path-suffixed RFC 8414 request arrives at the host root, for the issuer with the /prod path
      const issuer = stage || suffixed ? `http://${headers.host}/prod` : undefined;
      const result = await serviceFor(issuer)(event);
      res.writeHead(result.statusCode, result.headers as Record<string, string>);
      res.end(result.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

async function discover(issuer: URL, algorithm: 'oauth2' | 'oidc') {
  return oauth.processDiscoveryResponse(
    issuer,
    await oauth.discoveryRequest(issuer, { algorithm, ...insecure }),
  );
}

async function grantAndValidate(
  as: oauth.AuthorizationServer,
  client: oauth.Client,
  auth: oauth.ClientAuth,
  scope?: string,
) {
  const response = await oauth.clientCredentialsGrantRequest(
    as,
    client,
    auth,
    new URLSearchParams(scope ? { scope } : {}),
    insecure,
  );
  const tokens = await oauth.processClientCredentialsResponse(as, client, response);
  expect(tokens.token_type).toBe('bearer');
  const request = new Request('https://resource.example/reading-list', {
    headers: { authorization: `Bearer ${tokens.access_token}` },
  });
  return oauth.validateJwtAccessToken(as, request, as.issuer, insecure);
}

describe('interop with oauth4webapi', () => {
  it('RFC 8414 discovery, client_secret_basic grant, RFC 9068 validation', async () => {
    const as = await discover(new URL(base), 'oauth2');
    expect(as.issuer).toBe(base);
    expect(as.grant_types_supported).toEqual(['client_credentials']);
    const claims = await grantAndValidate(
      as,
      { client_id: 'reader' },
      oauth.ClientSecretBasic(SECRET),
      'reading-list/read',
    );
    expect(claims).toMatchObject({
      iss: base,
      sub: 'reader',
      client_id: 'reader',
      scope: 'reading-list/read',
      aud: base,
    });
  });

  it('OIDC-path discovery and client_secret_post', async () => {
    const as = await discover(new URL(base), 'oidc');
    const claims = await grantAndValidate(
      as,
      { client_id: 'reader' },
      oauth.ClientSecretPost(SECRET),
    );
    expect(claims.scope).toBe('reading-list/read recommendations/read');
  });

  it('private_key_jwt client authentication', async () => {
    const as = await discover(new URL(base), 'oauth2');
    const claims = await grantAndValidate(
      as,
      { client_id: 'signer' },
      oauth.PrivateKeyJwt(clientKeys.privateKey),
    );
    expect(claims.client_id).toBe('signer');
  });

  it('an issuer with a path: path-suffixed RFC 8414 metadata and the OIDC form under the stage', async () => {
    const issuer = new URL(`${base}/prod`);
    const viaSuffix = await discover(issuer, 'oauth2');
    expect(viaSuffix.issuer).toBe(`${base}/prod`);
    expect(viaSuffix.token_endpoint).toBe(`${base}/prod/oauth2/token`);
    const viaOidc = await discover(issuer, 'oidc');
    const claims = await grantAndValidate(
      viaOidc,
      { client_id: 'reader' },
      oauth.ClientSecretBasic(SECRET),
      'recommendations/read',
    );
    expect(claims.iss).toBe(`${base}/prod`);
  });

  it('oauth4webapi surfaces our RFC 6749 errors', async () => {
    const as = await discover(new URL(base), 'oauth2');
    const response = await oauth.clientCredentialsGrantRequest(
      as,
      { client_id: 'reader' },
      oauth.ClientSecretBasic('wrong'),
      new URLSearchParams(),
      insecure,
    );
    const body = (await response.clone().json()) as { error?: string };
    expect(body.error).toBe('invalid_client');
    // the Basic challenge (RFC 6749 §5.2) is what oauth4webapi reports first
    const error = await oauth
      .processClientCredentialsResponse(as, { client_id: 'reader' }, response)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(oauth.WWWAuthenticateChallengeError);
    expect((error as oauth.WWWAuthenticateChallengeError).status).toBe(401);
    expect((error as oauth.WWWAuthenticateChallengeError).cause[0].scheme).toBe('basic');
  });
});
