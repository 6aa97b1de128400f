import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLocalJWKSet, jwtVerify } from 'jose';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { createTokenService } from '../../../../functions/auth/token/token-service';
import { InMemoryClientsRepository } from '../../../../functions/auth/token/clients';
import { InMemoryReplayStore } from '../../../../functions/auth/token/replay';
import { DynamoDbGrantStore } from '../../../../functions/auth/token/grant-store';
import { DynamoDbUsersRepository } from '../../../../functions/auth/users/users';
import { CachedKeyDocument, InMemoryKeyStore } from '../../../../functions/runtime/auth/key-store';
import { captureOutput, keyDocument, powertools, proxyEvent, T0 } from '../fixtures';
import {
  authorizeEvent,
  CALLBACK,
  ISSUER,
  loginEvent,
  loginForm,
  startPeopleTables,
  VERIFIER,
} from '../people-fixtures';

const PASSWORD = 'correct horse battery staple';
let tables: Awaited<ReturnType<typeof startPeopleTables>>;
let service: ReturnType<typeof createTokenService>;
let now = T0.getTime();
let users: DynamoDbUsersRepository;
const output = captureOutput();
const secrets: string[] = [PASSWORD];

beforeAll(async () => {
  tables = await startPeopleTables();
  users = new DynamoDbUsersRepository(tables.usersTable, tables.client);
  await users.create({
    username: 'operator',
    password: PASSWORD,
    scopes: ['platform/read', 'platform/admin'],
  });
  await users.create({ username: 'viewer', password: PASSWORD, scopes: ['platform/read'] });
  await users.create({ username: 'outsider', password: PASSWORD, scopes: ['reading-list/read'] });
  service = createTokenService({
    clients: new InMemoryClientsRepository(),
    keys: new CachedKeyDocument(new InMemoryKeyStore(await keyDocument())),
    replay: new InMemoryReplayStore(),
    powertools: powertools(),
    clock: () => new Date(now),
    people: {
      clients: new Map([
        [
          'console',
          {
            clientId: 'console',
            redirectUris: [CALLBACK],
            scopes: ['platform/read', 'platform/admin'],
            name: 'Operator console',
          },
        ],
      ]),
      users,
      grants: new DynamoDbGrantStore(tables.grantsTable, tables.client),
    },
  });
});

afterAll(async () => {
  output.restore();
  await tables?.close();
  // Nothing a caller could present ever reaches a log line.
  const logged = output.lines.join('\n');
  expect(logged.length).toBeGreaterThan(0);
  for (const secret of secrets) expect(logged).not.toContain(secret);
});

beforeEach(() => {
  now += 2 * 3_600_000; // every test two hours later: counts and codes of earlier ones are gone
});

function token(fields: Record<string, string>) {
  return service(
    proxyEvent({
      method: 'POST',
      resource: '/oauth2/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    }),
  );
}

const body = (result: APIGatewayProxyResult) => JSON.parse(result.body) as Record<string, string>;

function expectOAuthError(result: APIGatewayProxyResult, error: string, status = 400) {
  expect(result.statusCode, result.body).toBe(status);
  expect(body(result).error).toBe(error);
}

/** Shows the login page and posts `credentials` with the page's own hidden fields and cookie. */
async function signIn(
  credentials: { username?: string; password?: string } = {
    username: 'operator',
    password: PASSWORD,
  },
  request: Record<string, string | undefined> = {},
  tamper: (form: ReturnType<typeof loginForm>) => ReturnType<typeof loginForm> = (f) => f,
) {
  const page = await service(authorizeEvent(request));
  expect(page.statusCode, page.body).toBe(200);
  const form = tamper(loginForm(page));
  return service(loginEvent({ ...credentials, ...form.hidden }, form.cookie || undefined));
}

async function codeFromSignIn(request: Record<string, string | undefined> = {}) {
  const answer = await signIn(undefined, request);
  expect(answer.statusCode, answer.body).toBe(302);
  const location = new URL(String(answer.headers?.location));
  const code = location.searchParams.get('code')!;
  secrets.push(code);
  return { location, code };
}

async function exchange(code: string, overrides: Record<string, string> = {}) {
  const result = await token({
    grant_type: 'authorization_code',
    code,
    redirect_uri: CALLBACK,
    client_id: 'console',
    code_verifier: VERIFIER,
    ...overrides,
  });
  if (result.statusCode === 200) {
    secrets.push(body(result).access_token, body(result).refresh_token);
  }
  return result;
}

describe('the login page', () => {
  it('shows a form with the signed request, a CSRF token and cookie, under a strict CSP', async () => {
    const page = await service(authorizeEvent());
    expect(page.statusCode).toBe(200);
    expect(page.headers?.['content-type']).toBe('text/html; charset=utf-8');
    const csp = String(page.headers?.['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("form-action 'self' https://console.example.com");
    expect(csp).not.toMatch(/script-src|unsafe-inline/);
    expect(page.headers?.['x-frame-options']).toBe('DENY');
    expect(page.headers?.['cache-control']).toBe('no-store');
    expect(page.body).not.toMatch(/<script|\son\w+=/i);
    const form = loginForm(page);
    expect(form.action).toBe(`${ISSUER}/oauth2/authorize`);
    expect(Object.keys(form.hidden).sort()).toEqual(['csrf_token', 'request_token']);
    expect(form.cookie).toBe(`__Host-oauth_csrf=${form.hidden.csrf_token}`);
    expect(String(page.headers?.['set-cookie'])).toMatch(
      /; Path=\/; Max-Age=600; HttpOnly; SameSite=Strict; Secure$/,
    );
    expect(page.body).toContain('Operator console');
  });

  it('refuses an unknown client or an unregistered redirect URI with a page, never a redirect', async () => {
    for (const overrides of [
      { client_id: 'nobody' },
      { client_id: undefined },
      { redirect_uri: 'https://evil.example/callback' },
      { redirect_uri: `${CALLBACK}/../../evil` },
      { redirect_uri: `${CALLBACK}?x=1` },
      { redirect_uri: CALLBACK.toUpperCase() },
      { redirect_uri: undefined },
    ]) {
      const page = await service(authorizeEvent(overrides));
      expect(page.statusCode, JSON.stringify(overrides)).toBe(400);
      expect(page.headers?.location).toBeUndefined();
      expect(page.headers?.['content-type']).toBe('text/html; charset=utf-8');
      expect(page.body).not.toContain('evil.example');
    }
    // Without Accept: text/html the same refusal is a problem document.
    const problem = await service(authorizeEvent({ client_id: 'nobody' }, {}));
    expect(problem.statusCode).toBe(400);
    expect(problem.headers?.['content-type']).toBe('application/problem+json');
    expect(JSON.parse(problem.body)).toMatchObject({ status: 400, title: 'Bad Request' });
  });

  it('refuses a repeated parameter without redirecting', async () => {
    const event = authorizeEvent();
    const repeated = {
      ...event,
      multiValueQueryStringParameters: {
        ...event.multiValueQueryStringParameters,
        redirect_uri: [CALLBACK, 'https://evil.example/cb'],
      },
    };
    const page = await service(repeated);
    expect(page.statusCode).toBe(400);
    expect(page.headers?.location).toBeUndefined();
  });

  it('sends errors after the redirect URI is known back to the client with its state', async () => {
    for (const [overrides, error] of [
      [{ code_challenge: undefined }, 'invalid_request'],
      [{ code_challenge: 'too-short' }, 'invalid_request'],
      [{ code_challenge_method: 'plain', code_challenge: VERIFIER }, 'invalid_request'],
      [{ code_challenge_method: undefined }, 'invalid_request'],
      [{ response_type: 'token' }, 'unsupported_response_type'],
      [{ response_type: undefined }, 'invalid_request'],
      [{ scope: 'platform/read reading-list/write' }, 'invalid_scope'],
    ] as const) {
      const answer = await service(authorizeEvent(overrides));
      expect(answer.statusCode, JSON.stringify(overrides)).toBe(302);
      const location = new URL(String(answer.headers?.location));
      expect(`${location.origin}${location.pathname}`).toBe(CALLBACK);
      expect(location.searchParams.get('error')).toBe(error);
      expect(location.searchParams.get('state')).toBe('state-123');
      expect(location.searchParams.get('iss')).toBe(ISSUER);
      expect(location.searchParams.get('code')).toBeNull();
    }
  });
});

describe('signing in and the code exchange', () => {
  it('redirects with a code and state; the code, its verifier and redirect URI give tokens', async () => {
    const { location, code } = await codeFromSignIn();
    expect(`${location.origin}${location.pathname}`).toBe(CALLBACK);
    expect(location.searchParams.get('state')).toBe('state-123');
    expect(location.searchParams.get('iss')).toBe(ISSUER);
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const result = await exchange(code);
    expect(result.statusCode, result.body).toBe(200);
    expect(result.headers?.['cache-control']).toBe('no-store');
    const tokens = body(result);
    expect(tokens).toMatchObject({
      token_type: 'Bearer',
      expires_in: 900,
      scope: 'platform/read platform/admin',
    });
    expect(tokens.refresh_token).toMatch(/^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);
    const jwks = JSON.parse(
      (await service(proxyEvent({ resource: '/.well-known/jwks.json' }))).body,
    );
    const { payload, protectedHeader } = await jwtVerify(
      tokens.access_token,
      createLocalJWKSet(jwks),
      { issuer: ISSUER, audience: ISSUER, currentDate: new Date(now) },
    );
    expect(protectedHeader.typ).toBe('at+jwt');
    expect(payload).toMatchObject({
      sub: 'operator',
      client_id: 'console',
      scope: 'platform/read platform/admin',
    });
  });

  it('grants the intersection of the request and the user’s scopes; none in common is access_denied', async () => {
    const viewer = await signIn({ username: 'viewer', password: PASSWORD });
    const code = new URL(String(viewer.headers?.location)).searchParams.get('code')!;
    expect(body(await exchange(code)).scope).toBe('platform/read');

    const outsider = await signIn({ username: 'outsider', password: PASSWORD });
    expect(outsider.statusCode).toBe(302);
    const location = new URL(String(outsider.headers?.location));
    expect(location.searchParams.get('error')).toBe('access_denied');
    expect(location.searchParams.get('state')).toBe('state-123');
    expect(location.searchParams.get('code')).toBeNull();

    const narrowed = await codeFromSignIn({ scope: 'platform/read' });
    expect(body(await exchange(narrowed.code)).scope).toBe('platform/read');
  });

  it('refuses a wrong or missing verifier, and the code is spent by the attempt', async () => {
    const { code } = await codeFromSignIn();
    expectOAuthError(await exchange(code, { code_verifier: `${VERIFIER}x` }), 'invalid_grant');
    expectOAuthError(await exchange(code), 'invalid_grant');
    const second = await codeFromSignIn();
    expectOAuthError(
      await token({
        grant_type: 'authorization_code',
        code: second.code,
        redirect_uri: CALLBACK,
        client_id: 'console',
      }),
      'invalid_request',
    );
    expectOAuthError(await exchange(second.code, { code_verifier: 'short' }), 'invalid_grant');
  });

  it('refuses a redirect URI that differs from the authorization request', async () => {
    const { code } = await codeFromSignIn();
    expectOAuthError(
      await exchange(code, { redirect_uri: 'https://console.example.com/console/other' }),
      'invalid_grant',
    );
  });

  it('a code used twice fails the second time and revokes the refresh token of the first', async () => {
    const { code } = await codeFromSignIn();
    const first = await exchange(code);
    expect(first.statusCode).toBe(200);
    expectOAuthError(await exchange(code), 'invalid_grant');
    expectOAuthError(
      await token({
        grant_type: 'refresh_token',
        refresh_token: body(first).refresh_token,
        client_id: 'console',
      }),
      'invalid_grant',
    );
  });

  it('a code lives 60 seconds', async () => {
    const { code } = await codeFromSignIn();
    now += 61_000;
    expectOAuthError(await exchange(code), 'invalid_grant');
  });

  it('refuses unknown codes, unknown public clients and client authentication on this grant', async () => {
    expectOAuthError(await exchange('not-a-code'), 'invalid_grant');
    const { code } = await codeFromSignIn();
    expectOAuthError(await exchange(code, { client_id: 'other' }), 'invalid_client', 401);
    expectOAuthError(await exchange(code, { client_secret: 'x' }), 'unauthorized_client');
  });
});

describe('refresh tokens', () => {
  it('rotate on every use; an old one presented again revokes the whole family', async () => {
    const { code } = await codeFromSignIn();
    const first = body(await exchange(code));
    const refresh = (value: string, extra: Record<string, string> = {}) =>
      token({ grant_type: 'refresh_token', refresh_token: value, client_id: 'console', ...extra });

    const second = await refresh(first.refresh_token);
    expect(second.statusCode, second.body).toBe(200);
    const rotated = body(second);
    secrets.push(rotated.access_token, rotated.refresh_token);
    expect(rotated.refresh_token).not.toBe(first.refresh_token);
    expect(rotated.scope).toBe('platform/read platform/admin');

    const narrowed = await refresh(rotated.refresh_token, { scope: 'platform/read' });
    expect(body(narrowed).scope).toBe('platform/read');
    const third = body(narrowed).refresh_token;
    secrets.push(third, body(narrowed).access_token);

    // The first token again: reuse, so the current one (third) dies with it.
    expectOAuthError(await refresh(first.refresh_token), 'invalid_grant');
    expectOAuthError(await refresh(third), 'invalid_grant');
  });

  it('refuses a token of another client, a forged one, a wider scope, and one past the session', async () => {
    const { code } = await codeFromSignIn();
    const tokens = body(await exchange(code));
    const refresh = (value: string, extra: Record<string, string> = {}) =>
      token({ grant_type: 'refresh_token', refresh_token: value, client_id: 'console', ...extra });
    const [family] = tokens.refresh_token.split('.');
    expectOAuthError(await refresh(`${family}.${'A'.repeat(43)}`), 'invalid_grant');
    expectOAuthError(await refresh('garbage'), 'invalid_grant');
    expectOAuthError(
      await refresh(tokens.refresh_token, { scope: 'reading-list/read' }),
      'invalid_scope',
    );
    const { code: later } = await codeFromSignIn();
    const session = body(await exchange(later));
    now += 8 * 3_600_000 + 1;
    expectOAuthError(await refresh(session.refresh_token), 'invalid_grant');
  });
});

describe('the login form against CSRF and markup', () => {
  it('refuses a post without the CSRF token, with another cookie, or with an altered request', async () => {
    const cases: [string, (f: ReturnType<typeof loginForm>) => ReturnType<typeof loginForm>][] = [
      ['no csrf_token', (f) => ({ ...f, hidden: { ...f.hidden, csrf_token: '' } })],
      ['no cookie', (f) => ({ ...f, cookie: '' })],
      ['another cookie', (f) => ({ ...f, cookie: `__Host-oauth_csrf=${'B'.repeat(43)}` })],
      [
        'token and cookie both replaced',
        (f) => ({
          ...f,
          hidden: { ...f.hidden, csrf_token: 'C'.repeat(43) },
          cookie: `__Host-oauth_csrf=${'C'.repeat(43)}`,
        }),
      ],
    ];
    for (const [label, tamper] of cases) {
      const answer = await signIn(undefined, {}, tamper);
      expect(answer.statusCode, label).toBe(403);
      expect(answer.headers?.location, label).toBeUndefined();
    }
    const altered = await signIn(undefined, {}, (f) => ({
      ...f,
      hidden: { ...f.hidden, request_token: `${f.hidden.request_token.slice(0, -4)}AAAA` },
    }));
    expect(altered.statusCode).toBe(400);
    expect(altered.headers?.location).toBeUndefined();
    const missing = await signIn(undefined, {}, (f) => ({
      ...f,
      hidden: { csrf_token: f.hidden.csrf_token },
    }));
    expect(missing.statusCode).toBe(400);
  });

  it('refuses a form older than ten minutes', async () => {
    const page = await service(authorizeEvent());
    const form = loginForm(page);
    now += 601_000;
    const answer = await service(
      loginEvent({ username: 'operator', password: PASSWORD, ...form.hidden }, form.cookie),
    );
    expect(answer.statusCode).toBe(400);
  });

  it('shows markup typed into the username as text', async () => {
    const answer = await signIn({ username: '<script>alert(1)</script>', password: 'nope' });
    expect(answer.statusCode).toBe(400);
    expect(answer.body).not.toContain('<script>');
    expect(answer.body).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
    expect(answer.body).toContain('Wrong username or password.');
  });
});

describe('back-off after failed sign-ins', () => {
  it('locks a username after five failures, with Retry-After, even for the right password, then lets it in', async () => {
    for (let attempt = 1; attempt <= 4; attempt++) {
      const failed = await signIn({ username: 'operator', password: `wrong-${attempt}` });
      expect(failed.statusCode, `attempt ${attempt}`).toBe(400);
    }
    const fifth = await signIn({ username: 'operator', password: 'wrong-5' });
    expect(fifth.statusCode).toBe(429);
    expect(fifth.headers?.['retry-after']).toBe('2');
    const locked = await signIn();
    expect(locked.statusCode).toBe(429);
    expect(locked.body).toContain('Too many failed sign-in attempts');
    const sixth = await signIn({ username: 'operator', password: 'wrong-6' });
    expect(sixth.statusCode).toBe(429);
    now += 2_001;
    const again = await signIn({ username: 'operator', password: 'wrong-7' });
    expect(again.statusCode).toBe(429);
    expect(again.headers?.['retry-after']).toBe('4'); // doubled
    now += 4_001;
    const success = await signIn();
    expect(success.statusCode).toBe(302);
    // A success clears the username's count.
    expect((await signIn({ username: 'operator', password: 'wrong-8' })).statusCode).toBe(400);
  });

  it('locks unknown usernames the same way, so the lock tells nothing about who exists', async () => {
    for (let attempt = 1; attempt <= 4; attempt++) {
      expect((await signIn({ username: 'ghost', password: 'whatever' })).statusCode).toBe(400);
    }
    expect((await signIn({ username: 'ghost', password: 'whatever' })).statusCode).toBe(429);
  });

  it('locks a client IP after twenty failures across usernames', async () => {
    for (let attempt = 1; attempt <= 19; attempt++) {
      const answer = await signIn({ username: `user-${attempt}`, password: 'whatever' });
      expect(answer.statusCode, `attempt ${attempt}`).toBe(400);
    }
    expect((await signIn({ username: 'user-20', password: 'whatever' })).statusCode).toBe(429);
    expect((await signIn()).statusCode).toBe(429);
  });
});

describe('metadata with people’s sign-in', () => {
  it('lists the authorization endpoint, the grants, S256 and public clients', async () => {
    for (const resource of [
      '/.well-known/oauth-authorization-server',
      '/.well-known/openid-configuration',
    ]) {
      const metadata = body(await service(proxyEvent({ resource })));
      expect(metadata).toMatchObject({
        authorization_endpoint: `${ISSUER}/oauth2/authorize`,
        grant_types_supported: ['client_credentials', 'authorization_code', 'refresh_token'],
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['S256'],
        authorization_response_iss_parameter_supported: true,
      });
      expect(metadata.token_endpoint_auth_methods_supported).toContain('none');
    }
  });
});
