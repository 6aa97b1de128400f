import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatformProcess, type DemoClient, type PlatformProcess } from './platform-process';

let platform: PlatformProcess;
const issuedTokens: string[] = [];

beforeAll(async () => {
  platform = await startPlatformProcess({}, mkdtempSync(path.join(tmpdir(), 'msa-e2e-auth-')));
});

afterAll(async () => {
  await platform?.stop();
});

const clients = () => platform.document.clients as DemoClient[];
const client = (id: string) => clients().find((c) => c.clientId === id)!;
const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const FORM = 'application/x-www-form-urlencoded';

function tokenRequest(body: string, headers: Record<string, string> = {}) {
  return fetch(`${platform.baseUrl}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': FORM, ...headers },
    body,
  });
}

async function tokenFor(id: string): Promise<string> {
  const response = await tokenRequest('grant_type=client_credentials', {
    authorization: basic(id, client(id).clientSecret),
  });
  expect(response.status).toBe(200);
  const token = ((await response.json()) as { access_token: string }).access_token;
  issuedTokens.push(token);
  return token;
}

describe('the gateway checks tokens as deployed (RFC 6750)', () => {
  it('opens GET /reading-list to a token of the full-scope demo client', async () => {
    const response = await fetch(`${platform.baseUrl}/reading-list?userId=ada`, {
      headers: { authorization: `Bearer ${await tokenFor('demo-full')}` },
    });
    expect(response.status).toBe(200);
  });

  it('answers 401 invalid_token with no token and with a bad token', async () => {
    for (const headers of [
      {} as Record<string, string>,
      { authorization: 'Bearer not.a.jwt' },
      { authorization: 'Basic abc' },
    ]) {
      const response = await fetch(`${platform.baseUrl}/reading-list?userId=ada`, { headers });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(
        /^Bearer realm="[^"]+", error="invalid_token"$/,
      );
      expect(response.headers.get('content-type')).toBe('application/problem+json');
    }
  });

  it('answers 403 insufficient_scope to a valid token without the route’s scope', async () => {
    const response = await fetch(`${platform.baseUrl}/reading-list?userId=ada`, {
      headers: { authorization: `Bearer ${await tokenFor('demo-none')}` },
    });
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toMatch(/error="insufficient_scope"/);
  });

  it('keeps public routes public', async () => {
    expect((await fetch(`${platform.baseUrl}/reading-list/health`)).status).toBe(200);
    const jwks = await fetch(`${platform.baseUrl}/.well-known/jwks.json`);
    expect(jwks.status).toBe(200);
    const { keys } = (await jwks.json()) as { keys: { kid: string; d?: string }[] };
    expect(keys.length).toBeGreaterThanOrEqual(2); // current and next: the next key is published before it signs
    expect(keys.every((key) => key.d === undefined)).toBe(true);
  });
});

describe('the token endpoint answers errors per RFC 6749 §5.2', () => {
  const cases: [string, () => Promise<Response>, number, string][] = [
    [
      'a wrong secret',
      () =>
        tokenRequest('grant_type=client_credentials', {
          authorization: basic('demo-full', 'wrong'),
        }),
      401,
      'invalid_client',
    ],
    [
      'an unknown client',
      () => tokenRequest('grant_type=client_credentials', { authorization: basic('nobody', 'x') }),
      401,
      'invalid_client',
    ],
    [
      'a missing grant_type',
      () =>
        tokenRequest('', { authorization: basic('demo-full', client('demo-full').clientSecret) }),
      400,
      'invalid_request',
    ],
    [
      'a duplicated parameter',
      () =>
        tokenRequest('grant_type=client_credentials&grant_type=client_credentials', {
          authorization: basic('demo-full', client('demo-full').clientSecret),
        }),
      400,
      'invalid_request',
    ],
    [
      'an unsupported grant',
      () =>
        tokenRequest('grant_type=password', {
          authorization: basic('demo-full', client('demo-full').clientSecret),
        }),
      400,
      'unsupported_grant_type',
    ],
    [
      'a scope the client may not have',
      () =>
        tokenRequest('grant_type=client_credentials&scope=platform%2Fadmin', {
          authorization: basic('demo-full', client('demo-full').clientSecret),
        }),
      400,
      'invalid_scope',
    ],
    [
      'a wrong content type',
      () =>
        fetch(`${platform.baseUrl}/oauth2/token`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: basic('demo-full', client('demo-full').clientSecret),
          },
          body: '{"grant_type":"client_credentials"}',
        }),
      400,
      'invalid_request',
    ],
    [
      'a huge body',
      () => tokenRequest(`grant_type=client_credentials&pad=${'x'.repeat(64 * 1024)}`),
      400,
      'invalid_request',
    ],
  ];

  it.each(cases)(
    'answers %s with the right error, never 500',
    async (_why, send, status, error) => {
      const response = await send();
      expect(response.status).toBe(status);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(await response.json()).toMatchObject({ error });
      if (status === 401) expect(response.headers.get('www-authenticate')).toMatch(/^Basic/);
    },
  );
});

describe('logs', () => {
  it('never contain a client secret or an access token', async () => {
    await tokenFor('demo-admin');
    const logDir = path.join(platform.stateDir, 'logs');
    const text = readdirSync(logDir)
      .map((file) => readFileSync(path.join(logDir, file), 'utf8'))
      .join('\n');
    expect(text.length).toBeGreaterThan(0);
    for (const secret of clients().map((c) => c.clientSecret)) expect(text).not.toContain(secret);
    expect(issuedTokens.length).toBeGreaterThan(0);
    for (const token of issuedTokens) {
      expect(text).not.toContain(token);
      expect(text).not.toContain(token.split('.')[2]); // not even the signature
    }
  });
});
