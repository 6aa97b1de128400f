import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatformProcess, type PlatformProcess } from './platform-process';

/**
 * People's sign-in over HTTP against `npm start`, without a browser: the login page's form is
 * parsed and posted as a browser would (its hidden fields and CSRF cookie), the redirect read,
 * the code exchanged with its verifier, and the access token used on the admin API.
 */
let platform: PlatformProcess;
let operator: { username: string; password: string };
let callback: string;
const secrets: string[] = [];

beforeAll(async () => {
  platform = await startPlatformProcess({}, mkdtempSync(path.join(tmpdir(), 'msa-e2e-people-')));
  const document = platform.document as unknown as {
    consoleUrl: string;
    operators: { username: string; password: string }[];
  };
  expect(document.consoleUrl).toBe(`${platform.baseUrl}/console`);
  operator = document.operators[0];
  callback = `${platform.baseUrl}/console/callback`;
  secrets.push(operator.password);
});

afterAll(async () => {
  await platform?.stop();
});

const b64url = (bytes: Buffer) => bytes.toString('base64url');
const s256 = (verifier: string) => b64url(createHash('sha256').update(verifier).digest());

interface LoginForm {
  action: string;
  hidden: Record<string, string>;
  cookie: string;
}

async function loginPage(params: Record<string, string>): Promise<Response> {
  const url = new URL(`${platform.baseUrl}/oauth2/authorize`);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return fetch(url, { redirect: 'manual', headers: { accept: 'text/html' } });
}

async function formOf(page: Response): Promise<LoginForm> {
  const html = await page.text();
  expect(page.status, html.slice(0, 300)).toBe(200);
  const action = /<form method="post" action="([^"]+)"/.exec(html)![1];
  const hidden: Record<string, string> = {};
  for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g))
    hidden[match[1]] = match[2];
  const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0];
  return { action, hidden, cookie };
}

function postForm(form: LoginForm, fields: Record<string, string>, cookie = form.cookie) {
  return fetch(form.action, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'text/html',
      ...(cookie ? { cookie } : {}),
    },
    body: new URLSearchParams({ ...form.hidden, ...fields }).toString(),
  });
}

function consoleRequest(verifier: string, state = b64url(randomBytes(12))) {
  return {
    response_type: 'code',
    client_id: 'console',
    redirect_uri: callback,
    code_challenge: s256(verifier),
    code_challenge_method: 'S256',
    state,
    scope: 'platform/read platform/admin',
  };
}

/** Signs the operator in; answers the code and the redirect. */
async function signIn(verifier: string) {
  const request = consoleRequest(verifier);
  const form = await formOf(await loginPage(request));
  const answer = await postForm(form, operator);
  expect(answer.status, await answer.clone().text()).toBe(302);
  const location = new URL(answer.headers.get('location')!);
  expect(`${location.origin}${location.pathname}`).toBe(callback);
  expect(location.searchParams.get('state')).toBe(request.state);
  const code = location.searchParams.get('code')!;
  secrets.push(code);
  return code;
}

async function token(fields: Record<string, string>) {
  const response = await fetch(`${platform.baseUrl}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  const body = (await response.json()) as Record<string, string>;
  if (body.access_token) secrets.push(body.access_token);
  if (body.refresh_token) secrets.push(body.refresh_token);
  return { status: response.status, body };
}

const exchange = (code: string, verifier: string, extra: Record<string, string> = {}) =>
  token({
    grant_type: 'authorization_code',
    code,
    redirect_uri: callback,
    client_id: 'console',
    code_verifier: verifier,
    ...extra,
  });

describe("people's sign-in on the running platform", () => {
  it('lists the authorization endpoint and PKCE in both metadata documents', async () => {
    for (const document of ['oauth-authorization-server', 'openid-configuration']) {
      const metadata = (await (
        await fetch(`${platform.baseUrl}/.well-known/${document}`)
      ).json()) as Record<string, unknown>;
      expect(metadata).toMatchObject({
        authorization_endpoint: `${platform.baseUrl}/oauth2/authorize`,
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['S256'],
      });
      expect(metadata.grant_types_supported).toEqual([
        'client_credentials',
        'authorization_code',
        'refresh_token',
      ]);
    }
  });

  it('logs the demo operator in: form, redirect, code + verifier → tokens → GET /admin/circuits', async () => {
    const page = await loginPage(consoleRequest('v'.repeat(43)));
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(page.headers.get('content-security-policy')).not.toContain('script-src');
    await page.text();

    const verifier = b64url(randomBytes(32));
    const code = await signIn(verifier);
    const tokens = await exchange(code, verifier);
    expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
    expect(tokens.body).toMatchObject({
      token_type: 'Bearer',
      scope: 'platform/read platform/admin',
    });
    const circuits = await fetch(`${platform.baseUrl}/admin/circuits`, {
      headers: { authorization: `Bearer ${tokens.body.access_token}` },
    });
    expect(circuits.status).toBe(200);
    expect(await circuits.json()).toHaveProperty('circuits');

    // Rotation: a new refresh token each time; the old one again revokes the family.
    const refresh = (value: string) =>
      token({ grant_type: 'refresh_token', refresh_token: value, client_id: 'console' });
    const second = await refresh(tokens.body.refresh_token);
    expect(second.status).toBe(200);
    expect(second.body.refresh_token).not.toBe(tokens.body.refresh_token);
    const reuse = await refresh(tokens.body.refresh_token);
    expect(reuse).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect((await refresh(second.body.refresh_token)).body.error).toBe('invalid_grant');
  });

  it('refuses a wrong verifier, a second use of a code, and another redirect URI', async () => {
    const verifier = b64url(randomBytes(32));
    const wrong = await exchange(await signIn(verifier), b64url(randomBytes(32)));
    expect(wrong).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });

    const code = await signIn(verifier);
    expect((await exchange(code, verifier)).status).toBe(200);
    expect((await exchange(code, verifier)).body.error).toBe('invalid_grant');

    const mismatch = await exchange(await signIn(verifier), verifier, {
      redirect_uri: `${platform.baseUrl}/console/other`,
    });
    expect(mismatch.body.error).toBe('invalid_grant');
  });

  it('never redirects to an unregistered URI, and refuses a form without its CSRF token or cookie', async () => {
    const open = await loginPage({
      ...consoleRequest('v'.repeat(43)),
      redirect_uri: 'https://evil.example/steal',
    });
    expect(open.status).toBe(400);
    expect(open.headers.get('location')).toBeNull();
    expect(await open.text()).not.toContain('evil.example');

    const form = await formOf(await loginPage(consoleRequest('v'.repeat(43))));
    expect((await postForm(form, { ...operator, csrf_token: '' })).status).toBe(403);
    expect((await postForm(form, operator, '')).status).toBe(403);
    expect((await postForm(form, operator, `oauth_csrf=${b64url(randomBytes(32))}`)).status).toBe(
      403,
    );
  });

  it('shows markup typed into the form as text', async () => {
    const form = await formOf(await loginPage(consoleRequest('v'.repeat(43))));
    const answer = await postForm(form, {
      username: '"><img src=x onerror=alert(1)>',
      password: 'wrong-password',
    });
    const html = await answer.text();
    expect(answer.status).toBe(400);
    expect(html).not.toContain('<img');
    expect(html).toContain('&#34;&#62;&#60;img src=x onerror=alert(1)&#62;');
  });

  it('oauth4webapi, an independent client, discovers the server and completes code + PKCE and a refresh', async () => {
    const issuer = new URL(platform.baseUrl);
    const insecure = { [oauth.allowInsecureRequests]: true } as const;
    const as = await oauth.processDiscoveryResponse(
      issuer,
      await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }),
    );
    const client: oauth.Client = { client_id: 'console' };
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const url = new URL(as.authorization_endpoint!);
    url.searchParams.set('client_id', client.client_id);
    url.searchParams.set('redirect_uri', callback);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('scope', 'platform/read');
    url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(verifier));
    url.searchParams.set('code_challenge_method', 'S256');
    url.searchParams.set('state', state);
    const form = await formOf(await fetch(url, { headers: { accept: 'text/html' } }));
    const answer = await postForm(form, operator);
    const params = oauth.validateAuthResponse(
      as,
      client,
      new URL(answer.headers.get('location')!),
      state,
    );
    secrets.push(params.get('code')!);
    const tokens = await oauth.processAuthorizationCodeResponse(
      as,
      client,
      await oauth.authorizationCodeGrantRequest(
        as,
        client,
        oauth.None(),
        params,
        callback,
        verifier,
        insecure,
      ),
    );
    secrets.push(tokens.access_token, tokens.refresh_token!);
    expect(tokens.scope).toBe('platform/read');
    const refreshed = await oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(
        as,
        client,
        oauth.None(),
        tokens.refresh_token!,
        insecure,
      ),
    );
    secrets.push(refreshed.access_token, refreshed.refresh_token!);
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
  });

  it('backs off after failed sign-ins: the fifth failure for a username answers 429 with Retry-After', async () => {
    const form = await formOf(await loginPage(consoleRequest('v'.repeat(43))));
    const attempt = () => postForm(form, { username: 'intruder', password: 'guessing-123' });
    for (let failure = 1; failure <= 4; failure++) expect((await attempt()).status).toBe(400);
    const locked = await attempt();
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await locked.text()).toContain('Too many failed sign-in attempts');
  });

  it('writes no password, code or token of this run into any log', () => {
    const files = (dir: string): string[] =>
      readdirSync(dir).flatMap((name) => {
        const file = path.join(dir, name);
        return statSync(file).isDirectory() ? files(file) : [file];
      });
    const logs = [
      ...files(platform.document.logDir).map((file) => readFileSync(file, 'utf8')),
      platform.output(),
    ].join('\n');
    expect(logs).toContain('User signed in');
    expect(secrets.length).toBeGreaterThan(10);
    for (const secret of secrets) expect(logs.includes(secret), secret.slice(0, 6)).toBe(false);
  });
});
