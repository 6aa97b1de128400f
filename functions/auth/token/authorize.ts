import { timingSafeEqual } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { isScopeToken, parseScope } from '../../runtime/auth/scopes';
import { problemResponse } from '../../runtime/http/problem';
import { findHeader } from '../../runtime/observability/correlation';
import type { Powertools } from '../../runtime/observability/powertools';
import { checkPassword, type UsersRepository } from '../users/users';
import { parseTokenForm } from './form';
import type { FormTokens, LoginRequest } from './form-token';
import { randomToken, sha256, type GrantStore } from './grant-store';
import { errorPageResponse, loginPageResponse } from './login-page';
import { OAuthError } from './oauth-error';
import { isS256Challenge } from './pkce';
import type { PublicClient } from './public-clients';

export interface LoginBackoff {
  /** Failures per username before each further one locks it. @default 5 */
  readonly freeFailuresPerUser?: number;
  /** Failures per client IP before each further one locks it. @default 20 */
  readonly freeFailuresPerIp?: number;
  /** The first lock; each further failure doubles it. @default 2000 */
  readonly baseLockMs?: number;
  /** @default 900000 (15 minutes) */
  readonly maxLockMs?: number;
  /** Failures are forgotten this long after the last one (TTL). @default 3600000 */
  readonly forgetAfterMs?: number;
}

export interface AuthorizationEndpointDeps {
  readonly clients: ReadonlyMap<string, PublicClient>;
  readonly users: UsersRepository;
  readonly grants: GrantStore;
  readonly formTokens: FormTokens;
  readonly powertools: Powertools;
  readonly clock: () => Date;
  /** Lifetime of authorization codes. @default 60 */
  readonly codeTtlSeconds?: number;
  readonly backoff?: LoginBackoff;
}

/** RFC 6749 §A.5: state is VSCHAR; a bound keeps it out of oversized redirects. */
const STATE = /^[\x20-\x7E]{1,1024}$/;

/**
 * The authorization endpoint (RFC 6749 §3.1, §4.1) for people: `GET` checks the authorization
 * request and shows the login page; `POST` (the page's form) checks the credentials and redirects
 * to the client with a code. Until the client and its exact redirect URI are known, errors are a
 * page (HTML for browsers, problem+json otherwise) and never a redirect: no open redirector.
 * After that, errors go back to the client as `error=` (RFC 6749 §4.1.2.1).
 */
export function createAuthorizationEndpoint(deps: AuthorizationEndpointDeps) {
  const { logger, metrics } = deps.powertools;
  const codeTtlMs = 1000 * (deps.codeTtlSeconds ?? 60);
  const backoff = {
    freeFailuresPerUser: 5,
    freeFailuresPerIp: 20,
    baseLockMs: 2000,
    maxLockMs: 900_000,
    forgetAfterMs: 3_600_000,
    ...deps.backoff,
  };

  return async (event: APIGatewayProxyEvent, issuer: string): Promise<APIGatewayProxyResult> => {
    const html = /\btext\/html\b/i.test(findHeader(event.headers, 'accept') ?? '');
    const fail = (status: number, title: string, detail: string, headers = {}) => {
      logger.info('Authorization request refused', { status, reason: detail });
      metrics.addMetric('AuthorizeRefused', 'Count', 1);
      return html
        ? errorPageResponse(status, title, detail, headers)
        : problemResponse({ title, status, detail }, { 'cache-control': 'no-store', ...headers });
    };
    if (event.httpMethod === 'GET') return showLoginPage(event, issuer, fail);
    if (event.httpMethod === 'POST') return signIn(event, issuer, html, fail);
    return fail(405, 'Method Not Allowed', 'Use GET or POST.', { allow: 'GET, POST' });
  };

  type Fail = (
    status: number,
    title: string,
    detail: string,
    headers?: Record<string, string>,
  ) => APIGatewayProxyResult;

  async function showLoginPage(
    event: APIGatewayProxyEvent,
    issuer: string,
    fail: Fail,
  ): Promise<APIGatewayProxyResult> {
    const multi = event.multiValueQueryStringParameters ?? {};
    if (Object.values(multi).some((values) => (values?.length ?? 0) > 1)) {
      return fail(400, 'Bad Request', 'A parameter of the authorization request is repeated.');
    }
    const query = new Map(
      Object.entries(event.queryStringParameters ?? {}).filter(
        (entry): entry is [string, string] => typeof entry[1] === 'string' && entry[1] !== '',
      ),
    );
    const clientId = query.get('client_id');
    const client = clientId !== undefined ? deps.clients.get(clientId) : undefined;
    if (!client) return fail(400, 'Bad Request', 'Unknown or missing client_id.');
    const redirectUri = query.get('redirect_uri');
    if (!redirectUri || !client.redirectUris.includes(redirectUri)) {
      return fail(
        400,
        'Bad Request',
        'The redirect_uri is missing or is not registered for this client.',
      );
    }
    // From here on, errors go back to the client.
    const rawState = query.get('state');
    const state = rawState !== undefined && STATE.test(rawState) ? rawState : undefined;
    const back = (error: string, description: string) =>
      redirectWithError(issuer, redirectUri, error, description, state);
    if (rawState !== undefined && state === undefined)
      return back('invalid_request', 'The state parameter is malformed.');
    const responseType = query.get('response_type');
    if (!responseType) return back('invalid_request', 'response_type is required.');
    if (responseType !== 'code')
      return back('unsupported_response_type', 'Only response_type=code is supported.');
    if (query.get('code_challenge_method') !== 'S256')
      return back('invalid_request', 'PKCE is required, with code_challenge_method=S256.');
    const challenge = query.get('code_challenge');
    if (!challenge || !isS256Challenge(challenge))
      return back('invalid_request', 'code_challenge must be a base64url SHA-256 (43 characters).');
    const requested = query.has('scope') ? parseScope(query.get('scope')) : [...client.scopes];
    if (requested.length === 0 || !requested.every(isScopeToken))
      return back('invalid_scope', 'The scope parameter is malformed.');
    if (!requested.every((scope) => client.scopes.includes(scope)))
      return back('invalid_scope', 'The requested scope exceeds what the client may ask for.');

    const csrf = randomToken();
    const request: LoginRequest = {
      clientId: client.clientId,
      redirectUri,
      state,
      codeChallenge: challenge,
      scope: requested.join(' '),
      csrfHash: sha256(csrf),
    };
    const requestToken = await deps.formTokens.sign(request, issuer, deps.clock());
    metrics.addMetric('LoginPageShown', 'Count', 1);
    return loginPageResponse({
      action: `${issuer}/oauth2/authorize`,
      clientName: client.name ?? client.clientId,
      scopes: requested,
      hidden: { request_token: requestToken, csrf_token: csrf },
      formTargets: [new URL(redirectUri).origin],
      headers: { 'set-cookie': csrfCookie(issuer, csrf, deps.formTokens.ttlSeconds) },
    });
  }

  async function signIn(
    event: APIGatewayProxyEvent,
    issuer: string,
    html: boolean,
    fail: Fail,
  ): Promise<APIGatewayProxyResult> {
    let form: Map<string, string>;
    try {
      form = parseTokenForm(event);
    } catch (error) {
      if (error instanceof OAuthError) return fail(400, 'Bad Request', error.description);
      throw error;
    }
    const restart = 'Start again from the app you were signing in to.';
    const requestToken = form.get('request_token');
    if (!requestToken)
      return fail(400, 'Bad Request', `The sign-in form lacks its request. ${restart}`);
    const request = await deps.formTokens.verify(requestToken, issuer, deps.clock());
    if (!request)
      return fail(400, 'Bad Request', `The sign-in form expired or is not valid. ${restart}`);
    // CSRF: the form's token, the browser's cookie and the signed request must all agree.
    const csrf = form.get('csrf_token');
    const cookies = cookieValues(findHeader(event.headers, 'cookie'), csrfCookieName(issuer));
    if (
      !csrf ||
      !equal(sha256(csrf), request.csrfHash) ||
      !cookies.some((value) => equal(value, csrf))
    ) {
      return fail(403, 'Forbidden', `The sign-in form failed its CSRF check. ${restart}`);
    }
    const client = deps.clients.get(request.clientId);
    if (!client || !client.redirectUris.includes(request.redirectUri)) {
      return fail(400, 'Bad Request', 'The client or its redirect_uri is no longer registered.');
    }
    const username = (form.get('username') ?? '').trim().toLowerCase();
    const password = form.get('password') ?? '';
    const page = (status: number, error: string, headers: Record<string, string> = {}) => {
      if (!html)
        return fail(status, status === 429 ? 'Too Many Requests' : 'Bad Request', error, headers);
      logger.info('Sign-in refused', { status, reason: error });
      return loginPageResponse({
        action: `${issuer}/oauth2/authorize`,
        clientName: client.name ?? client.clientId,
        scopes: parseScope(request.scope),
        hidden: { request_token: requestToken, csrf_token: csrf },
        formTargets: [new URL(request.redirectUri).origin],
        username: form.get('username')?.slice(0, 64),
        error,
        status,
        headers,
      });
    };
    if (!username || !password) return page(400, 'Enter your username and password.');

    const now = deps.clock().getTime();
    const ip = event.requestContext?.identity?.sourceIp ?? 'unknown';
    const keys = [`user#${sha256(username)}`, `ip#${ip}`];
    const locks = await Promise.all(keys.map((key) => deps.grants.loginFailures(key, now)));
    const lockedUntil = Math.max(...locks.map((lock) => lock.lockedUntil));
    if (lockedUntil > now) {
      metrics.addMetric('LoginLockedOut', 'Count', 1);
      return lockedOut(lockedUntil - now);
    }

    const user = await checkPassword(deps.users, username, password);
    if (!user) {
      const [perUser, perIp] = await Promise.all([
        deps.grants.recordLoginFailure(
          keys[0],
          now,
          (n) => lockFor(n, backoff.freeFailuresPerUser),
          backoff.forgetAfterMs,
        ),
        deps.grants.recordLoginFailure(
          keys[1],
          now,
          (n) => lockFor(n, backoff.freeFailuresPerIp),
          backoff.forgetAfterMs,
        ),
      ]);
      metrics.addMetric('LoginFailed', 'Count', 1);
      logger.info('Sign-in failed', {
        audit: true,
        action: 'user.login',
        outcome: 'wrong_credentials',
        client_id: client.clientId,
        failures: perUser.failures,
      });
      const until = Math.max(perUser.lockedUntil, perIp.lockedUntil);
      if (until > now) return lockedOut(until - now, 'Wrong username or password. ');
      return page(400, 'Wrong username or password.');
    }
    await deps.grants.clearLoginFailures(keys[0]);

    const granted = parseScope(request.scope).filter((scope) => user.scopes.includes(scope));
    if (granted.length === 0) {
      logger.info('Sign-in refused: no requested scope', {
        audit: true,
        action: 'user.login',
        outcome: 'access_denied',
        sub: user.username,
        client_id: client.clientId,
      });
      return redirectWithError(
        issuer,
        request.redirectUri,
        'access_denied',
        'The user holds none of the requested scopes.',
        request.state,
        { 'set-cookie': clearedCsrfCookie(issuer) },
      );
    }
    const code = randomToken();
    await deps.grants.saveCode(code, {
      clientId: client.clientId,
      redirectUri: request.redirectUri,
      codeChallenge: request.codeChallenge,
      scope: granted.join(' '),
      sub: user.username,
      validUntil: now + codeTtlMs,
    });
    logger.info('User signed in', {
      audit: true,
      action: 'user.login',
      outcome: 'success',
      sub: user.username,
      client_id: client.clientId,
      scope: granted.join(' '),
    });
    metrics.addMetric('LoginSucceeded', 'Count', 1);
    const location = new URL(request.redirectUri);
    location.searchParams.append('code', code);
    if (request.state !== undefined) location.searchParams.append('state', request.state);
    location.searchParams.append('iss', issuer);
    return {
      statusCode: 302,
      headers: {
        location: location.toString(),
        'cache-control': 'no-store',
        'referrer-policy': 'no-referrer',
        'set-cookie': clearedCsrfCookie(issuer),
      },
      body: '',
    };

    function lockedOut(waitMs: number, prefix = '') {
      const seconds = Math.max(1, Math.ceil(waitMs / 1000));
      return page(
        429,
        `${prefix}Too many failed sign-in attempts: try again in ${seconds} second${seconds === 1 ? '' : 's'}.`,
        { 'retry-after': String(seconds) },
      );
    }
  }

  function lockFor(failures: number, free: number): number {
    if (failures < free) return 0;
    return Math.min(backoff.baseLockMs * 2 ** Math.min(failures - free, 30), backoff.maxLockMs);
  }
}

/** RFC 6749 §4.1.2.1 (with RFC 9207's `iss`), to a redirect URI already checked exactly. */
function redirectWithError(
  issuer: string,
  redirectUri: string,
  error: string,
  description: string,
  state: string | undefined,
  headers: Record<string, string> = {},
): APIGatewayProxyResult {
  const location = new URL(redirectUri);
  location.searchParams.append('error', error);
  location.searchParams.append('error_description', description);
  if (state !== undefined) location.searchParams.append('state', state);
  location.searchParams.append('iss', issuer);
  return {
    statusCode: 302,
    headers: { location: location.toString(), 'cache-control': 'no-store', ...headers },
    body: '',
  };
}

/** `__Host-` (Secure, Path=/, no Domain) wherever the issuer is https. */
export function csrfCookieName(issuer: string): string {
  return issuer.startsWith('https:') ? '__Host-oauth_csrf' : 'oauth_csrf';
}

function csrfCookie(issuer: string, value: string, maxAgeSeconds: number): string {
  const secure = issuer.startsWith('https:') ? '; Secure' : '';
  return `${csrfCookieName(issuer)}=${value}; Path=/; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Strict${secure}`;
}

function clearedCsrfCookie(issuer: string): string {
  const secure = issuer.startsWith('https:') ? '; Secure' : '';
  return `${csrfCookieName(issuer)}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict${secure}`;
}

function cookieValues(header: string | undefined, name: string): string[] {
  if (!header) return [];
  return header
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part.startsWith(`${name}=`))
    .map((part) => part.slice(name.length + 1));
}

function equal(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
