import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { exportSPKI, importJWK, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import type { APIGatewayAuthorizerResult, PolicyDocument } from 'aws-lambda';
import { createAuthorizer } from '../../../../functions/auth/authorizer/authorizer';
import {
  authorizerSettingsFromEnv,
  type AuthorizerSettings,
} from '../../../../functions/auth/authorizer/config';
import { createTokenVerifier } from '../../../../functions/auth/authorizer/verifier';
import { StaticUsageKeyResolver } from '../../../../functions/auth/authorizer/usage-keys';
import {
  jwksOf,
  type KeyDocument,
  type StoredKey,
} from '../../../../functions/runtime/auth/key-store';
import { parseRouteScopes } from '../../../../functions/runtime/auth/route-scopes';
import { rotateKeys } from '../../../../functions/auth/rotation/rotate';
import {
  accessClaims,
  authorizerEvent,
  captureOutput,
  current,
  ISSUER,
  keyDocument,
  METHOD_ARN_BASE,
  POLICY,
  powertools,
  sign,
  T0,
  T0_SECONDS,
} from '../fixtures';

const RULES = parseRouteScopes(
  JSON.stringify([
    { method: 'GET', resource: '/reading-list', scopes: ['reading-list/read'] },
    { method: 'GET', resource: '/recommendations', scopes: ['recommendations/read'] },
    { method: 'POST', resource: '/admin/circuits/{name}/force-open', scopes: ['platform/admin'] },
    {
      method: 'ANY',
      resource: '/reports/{proxy+}',
      scopes: ['reports/read', 'reports/export'],
      match: 'any-of',
    },
  ]),
);

function settings(overrides: Partial<AuthorizerSettings> = {}): AuthorizerSettings {
  return {
    ...authorizerSettingsFromEnv({ ISSUER_URL: ISSUER }),
    trusted: [
      {
        issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example',
        jwksUri:
          'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example/.well-known/jwks.json',
        clientIds: ['cognito-app-client'],
        requiredClaims: { token_use: 'access' },
        scopeClaim: 'scope',
        requireTyp: false,
        allowedScopes: ['reading-list/read'],
      },
    ],
    ...overrides,
  };
}

interface Harness {
  authorize: ReturnType<typeof createAuthorizer>;
  verifier: ReturnType<typeof createTokenVerifier>;
  fetches: string[];
  clock: { now: Date };
  setJwks: (uri: string, jwks: unknown) => void;
  failJwks: (fail: boolean) => void;
}

function harness(
  jwksByUri: Record<string, unknown>,
  overrides: Partial<AuthorizerSettings> = {},
): Harness {
  const fetches: string[] = [];
  const clock = { now: T0 };
  let failing = false;
  const countingFetch = (async (input: string | URL | Request) => {
    const url = String(input instanceof Request ? input.url : input);
    fetches.push(url);
    if (failing) throw new TypeError('connect ECONNREFUSED');
    const body = jwksByUri[url];
    return body === undefined ? new Response('{}', { status: 404 }) : Response.json(body);
  }) as typeof fetch;
  const s = settings(overrides);
  const verifier = createTokenVerifier({
    settings: s,
    clock: () => clock.now,
    fetch: countingFetch,
  });
  const authorize = createAuthorizer({
    settings: s,
    verifier,
    rules: RULES,
    usageKeys: new StaticUsageKeyResolver({ reader: 'reader-api-key-value-0123456789' }),
    powertools: powertools(),
  });
  return {
    authorize,
    verifier,
    fetches,
    clock,
    setJwks: (uri, jwks) => void (jwksByUri[uri] = jwks),
    failJwks: (fail) => void (failing = fail),
  };
}

const JWKS_URI = `${ISSUER}/.well-known/jwks.json`;
let doc: KeyDocument;
let key: StoredKey;

beforeAll(async () => {
  doc = await keyDocument();
  key = current(doc);
});

afterEach(() => {
  vi.useRealTimers();
});

function statements(policy: PolicyDocument, effect: 'Allow' | 'Deny'): string[] {
  return policy.Statement.filter((s) => s.Effect === effect).flatMap((s) => {
    const resource = (s as { Resource?: string | string[] }).Resource;
    return Array.isArray(resource) ? resource : resource ? [resource] : [];
  });
}

async function expectUnauthorized(promise: Promise<unknown>) {
  await expect(promise).rejects.toThrow(/^Unauthorized$/);
}

function b64url(value: string | object): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString(
    'base64url',
  );
}

describe('authorizer: valid tokens and policy', () => {
  it('allows exactly the routes the scopes cover and returns the context', async () => {
    const h = harness({ [JWKS_URI]: jwksOf(doc, T0) });
    const token = await sign(key, accessClaims({ scope: 'reading-list/read reports/export' }));
    const result = (await h.authorize(
      authorizerEvent(`Bearer ${token}`),
    )) as APIGatewayAuthorizerResult & {
      usageIdentifierKey?: string;
    };
    expect(result.principalId).toBe('reader');
    expect(result.context).toEqual({
      sub: 'reader',
      clientId: 'reader',
      scope: 'reading-list/read reports/export',
      issuer: ISSUER,
    });
    expect(result.usageIdentifierKey).toBe('reader-api-key-value-0123456789');
    expect(statements(result.policyDocument, 'Allow').sort()).toEqual(
      [`${METHOD_ARN_BASE}/GET/reading-list`, `${METHOD_ARN_BASE}/*/reports/*`].sort(),
    );
    expect(statements(result.policyDocument, 'Deny').sort()).toEqual(
      [
        `${METHOD_ARN_BASE}/GET/recommendations`,
        `${METHOD_ARN_BASE}/POST/admin/circuits/*/force-open`,
      ].sort(),
    );
  });

  it('missing scope → policy denies this method and allows the others (403 path)', async () => {
    const h = harness({ [JWKS_URI]: jwksOf(doc, T0) });
    const token = await sign(key, accessClaims({ scope: 'recommendations/read' }));
    const result = await h.authorize(authorizerEvent(`Bearer ${token}`, 'GET', '/reading-list'));
    const allow = statements(result.policyDocument, 'Allow');
    const deny = statements(result.policyDocument, 'Deny');
    expect(allow).toEqual([`${METHOD_ARN_BASE}/GET/recommendations`]);
    expect(deny).toContain(`${METHOD_ARN_BASE}/GET/reading-list`);
    expect(allow).not.toContain(`${METHOD_ARN_BASE}/GET/reading-list`);
  });

  it('reads the rules again when the route has none (a service deployed since), and allows it', async () => {
    const s = settings();
    const reads: string[] = [];
    const authorize = createAuthorizer({
      settings: s,
      verifier: createTokenVerifier({
        settings: s,
        clock: () => T0,
        fetch: (async () => Response.json(jwksOf(doc, T0))) as typeof fetch,
      }),
      // The cached read predates reading-list; the read after the miss has it.
      routeScopes: {
        rules: async () => (reads.push('cached'), RULES.slice(1)),
        rulesAfterMiss: async () => (reads.push('fresh'), RULES),
      },
      powertools: powertools(),
    });
    const token = await sign(key, accessClaims({ scope: 'reading-list/read' }));
    const result = await authorize(authorizerEvent(`Bearer ${token}`, 'GET', '/reading-list'));
    expect(reads).toEqual(['cached', 'fresh']);
    expect(statements(result.policyDocument, 'Allow')).toEqual([
      `${METHOD_ARN_BASE}/GET/reading-list`,
    ]);
  });

  it('a token with no scopes gets a policy with no Allow at all', async () => {
    const h = harness({ [JWKS_URI]: jwksOf(doc, T0) });
    const token = await sign(key, accessClaims({ scope: '' }));
    const result = await h.authorize(authorizerEvent(`Bearer ${token}`));
    expect(statements(result.policyDocument, 'Allow')).toEqual([]);
    expect(statements(result.policyDocument, 'Deny')).toContain(
      `${METHOD_ARN_BASE}/GET/reading-list`,
    );
  });

  it('a route with no rule is denied (fail closed)', async () => {
    const h = harness({ [JWKS_URI]: jwksOf(doc, T0) });
    const token = await sign(key, accessClaims());
    const result = await h.authorize(authorizerEvent(`Bearer ${token}`, 'DELETE', '/unlisted'));
    expect(statements(result.policyDocument, 'Deny')).toContain(
      `${METHOD_ARN_BASE}/DELETE/unlisted`,
    );
  });

  it('accepts the lowercase "bearer" scheme and typ application/at+jwt', async () => {
    const h = harness({ [JWKS_URI]: jwksOf(doc, T0) });
    const token = await sign(key, accessClaims(), { typ: 'application/at+jwt' });
    const result = await h.authorize(authorizerEvent(`bearer ${token}`));
    expect(statements(result.policyDocument, 'Allow')).toContain(
      `${METHOD_ARN_BASE}/GET/reading-list`,
    );
  });
});

describe('authorizer: security corpus → 401', () => {
  it('rejects alg none (empty and non-empty signature)', async () => {
    const h = harness({ [JWKS_URI]: jwksOf(doc, T0) });
    const unsigned = `${b64url({ alg: 'none', typ: 'at+jwt', kid: key.kid })}.${b64url(accessClaims())}`;
    await expectUnauthorized(h.authorize(authorizerEvent(`Bearer ${unsigned}.`)));
    await expectUnauthorized(h.authorize(authorizerEvent(`Bearer ${unsigned}.c2ln`)));
  });

  it('rejects HS256 signed with the public key bytes (algorithm confusion)', async () => {
    const h = harness({ [JWKS_URI]: jwksOf(doc, T0) });
    const publicJwk = jwksOf(doc, T0).keys.find((k) => k.kid === key.kid)!;
    const pem = await exportSPKI(
      (await importJWK({ ...publicJwk, alg: 'ES256' }, 'ES256', {
        extractable: true,
      })) as CryptoKey,
    );
    const secrets = [
      Buffer.from(pem),
      Buffer.from(JSON.stringify(publicJwk)),
      Buffer.from(publicJwk.x!, 'base64url'),
    ];
    for (const secret of secrets) {
      const input = `${b64url({ alg: 'HS256', typ: 'at+jwt', kid: key.kid })}.${b64url(accessClaims())}`;
      const mac = createHmac('sha256', secret).update(input).digest('base64url');
      await expectUnauthorized(h.authorize(authorizerEvent(`Bearer ${input}.${mac}`)));
    }
  });

  it('rejects a tampered payload', async () => {
    const h = harness({ [JWKS_URI]: jwksOf(doc, T0) });
    const token = await sign(key, accessClaims({ scope: 'reading-list/read' }));
    const [header, , signature] = token.split('.');
    const forged = `${header}.${b64url(accessClaims({ scope: 'platform/admin' }))}.${signature}`;
    await expectUnauthorized(
      h.authorize(authorizerEvent(`Bearer ${forged}`, 'POST', '/admin/circuits/{name}/force-open')),
    );
  });

  it('rejects an unknown kid, and a flood of 100 unknown kids costs at most one JWKS fetch per cooldown', async () => {
    const h = harness({ [JWKS_URI]: jwksOf(doc, T0) });
    const stranger = (await rotateKeys(undefined, T0, POLICY)).document.keys[0];
    // warm the key set with a valid token: one fetch
    await h.authorize(authorizerEvent(`Bearer ${await sign(key, accessClaims())}`));
    expect(h.fetches).toHaveLength(1);

    const flood = await Promise.all(
      Array.from({ length: 100 }, async (_, i) =>
        sign({ ...stranger, kid: `unknown-${i}` }, accessClaims()),
      ),
    );
    // within the cooldown (30 s after the last fetch): no fetch at all
    const results = await Promise.allSettled(
      flood.map((t) => h.authorize(authorizerEvent(`Bearer ${t}`))),
    );
    expect(
      results.every(
        (r) => r.status === 'rejected' && (r.reason as Error).message === 'Unauthorized',
      ),
    ).toBe(true);
    expect(h.fetches).toHaveLength(1);

    // after the cooldown: the whole flood shares exactly one refetch
    h.clock.now = new Date(T0.getTime() + 31_000);
    const again = await Promise.allSettled(
      flood.map((t) => h.authorize(authorizerEvent(`Bearer ${t}`))),
    );
    expect(again.every((r) => r.status === 'rejected')).toBe(true);
    expect(h.fetches).toHaveLength(2);

    // and sequential unknown kids right after: still no more fetches
    for (const t of flood.slice(0, 20))
      await expectUnauthorized(h.authorize(authorizerEvent(`Bearer ${t}`)));
    expect(h.fetches).toHaveLength(2);
  });

  it('exp and nbf at the 30 s tolerance edges: just inside passes, just outside fails', async () => {
    const h = harness({ [JWKS_URI]: jwksOf(doc, T0) });
    const at = (claims: JWTPayload) => sign(key, accessClaims(claims));
    // expired 29 s ago: inside the tolerance
    await expect(
      h.authorize(
        authorizerEvent(
          `Bearer ${await at({ exp: T0_SECONDS - 29, iat: T0_SECONDS - 900, nbf: T0_SECONDS - 900 })}`,
        ),
      ),
    ).resolves.toBeDefined();
    await expectUnauthorized(
      h.authorize(
        authorizerEvent(
          `Bearer ${await at({ exp: T0_SECONDS - 30, iat: T0_SECONDS - 900, nbf: T0_SECONDS - 900 })}`,
        ),
      ),
    );
    await expectUnauthorized(
      h.authorize(
        authorizerEvent(
          `Bearer ${await at({ exp: T0_SECONDS - 31, iat: T0_SECONDS - 900, nbf: T0_SECONDS - 900 })}`,
        ),
      ),
    );
    // not valid before 30 s from now: inside; 31 s: outside
    await expect(
      h.authorize(
        authorizerEvent(`Bearer ${await at({ nbf: T0_SECONDS + 30, iat: T0_SECONDS + 30 })}`),
      ),
    ).resolves.toBeDefined();
    await expectUnauthorized(
      h.authorize(authorizerEvent(`Bearer ${await at({ nbf: T0_SECONDS + 31, iat: T0_SECONDS })}`)),
    );
  });

  it('rejects a token without exp', async () => {
    const h = harness({ [JWKS_URI]: jwksOf(doc, T0) });
    const claims = accessClaims();
    delete claims.exp;
    await expectUnauthorized(h.authorize(authorizerEvent(`Bearer ${await sign(key, claims)}`)));
  });

  it('rejects wrong iss, wrong aud, wrong or missing typ', async () => {
    const h = harness({ [JWKS_URI]: jwksOf(doc, T0) });
    await expectUnauthorized(
      h.authorize(
        authorizerEvent(`Bearer ${await sign(key, accessClaims({ iss: 'https://evil.example' }))}`),
      ),
    );
    await expectUnauthorized(
      h.authorize(
        authorizerEvent(
          `Bearer ${await sign(key, accessClaims({ aud: 'https://other.example' }))}`,
        ),
      ),
    );
    await expectUnauthorized(
      h.authorize(authorizerEvent(`Bearer ${await sign(key, accessClaims(), { typ: 'JWT' })}`)),
    );
    await expectUnauthorized(
      h.authorize(authorizerEvent(`Bearer ${await sign(key, accessClaims(), { typ: undefined })}`)),
    );
  });

  it('rejects an oversized token before parsing it', async () => {
    const h = harness({ [JWKS_URI]: jwksOf(doc, T0) });
    const token = await sign(key, accessClaims({ padding: 'x'.repeat(9000) }));
    await expectUnauthorized(h.authorize(authorizerEvent(`Bearer ${token}`)));
    expect(h.fetches).toHaveLength(0);
  });

  it('rejects malformed base64 and malformed JSON', async () => {
    const h = harness({ [JWKS_URI]: jwksOf(doc, T0) });
    const header = b64url({ alg: 'ES256', typ: 'at+jwt', kid: key.kid });
    for (const token of [
      `${header}.@@notbase64@@.sig`,
      `${header}.${b64url('{"iss": not json')}.c2ln`,
      `${b64url('{not json')}.${b64url(accessClaims())}.c2ln`,
      `${header}.${b64url('"a string"')}.c2ln`,
      'only.two',
      'a.b.c.d.e',
    ]) {
      await expectUnauthorized(h.authorize(authorizerEvent(`Bearer ${token}`)));
    }
  });

  it('rejects a missing token and any scheme but Bearer', async () => {
    const h = harness({ [JWKS_URI]: jwksOf(doc, T0) });
    const token = await sign(key, accessClaims());
    await expectUnauthorized(h.authorize(authorizerEvent(undefined)));
    await expectUnauthorized(h.authorize(authorizerEvent('')));
    await expectUnauthorized(
      h.authorize(authorizerEvent(`Basic ${Buffer.from('reader:secret').toString('base64')}`)),
    );
    await expectUnauthorized(h.authorize(authorizerEvent(`Bearer${token}`)));
    await expectUnauthorized(h.authorize(authorizerEvent(`Token ${token}`)));
    await expectUnauthorized(h.authorize(authorizerEvent(token)));
    await expectUnauthorized(h.authorize(authorizerEvent(`Bearer ${token} extra`)));
  });

  it('rejects a token signed by a retired key once its grace is over (key gone from the JWKS)', async () => {
    const old = current(doc);
    const first = await rotateKeys(doc, new Date(T0.getTime() + 1000 * 1000), POLICY); // promote next
    const graceEnd = Date.parse(first.document.keys.find((k) => k.kid === old.kid)!.publishUntil!);
    const during = new Date(graceEnd - 1000);
    // signed (by a token service still holding the old key) shortly before the grace ends, so
    // it would otherwise still be valid after the key is gone
    const iat = Math.floor(during.getTime() / 1000) - 100;
    const longLived = await sign(old, accessClaims({ iat, nbf: iat, exp: iat + 900 }));
    const duringHarness = harness({ [JWKS_URI]: jwksOf(first.document, during) });
    duringHarness.clock.now = during;
    await expect(
      duringHarness.authorize(authorizerEvent(`Bearer ${longLived}`)),
    ).resolves.toBeDefined();

    const after = new Date(graceEnd + 1000);
    const second = await rotateKeys(first.document, after, POLICY);
    expect(second.removedKids).toContain(old.kid);
    const afterHarness = harness({ [JWKS_URI]: jwksOf(second.document, after) });
    afterHarness.clock.now = after;
    await expectUnauthorized(afterHarness.authorize(authorizerEvent(`Bearer ${longLived}`)));
  });

  it('a token living longer than the platform allows (a hundred-year exp, platform/admin) is refused at once', async () => {
    const h = harness({ [JWKS_URI]: jwksOf(doc, T0) });
    const forged = await sign(
      key,
      accessClaims({ scope: 'platform/admin', exp: T0_SECONDS + 100 * 365 * 86_400 }),
    );
    await expectUnauthorized(
      h.authorize(authorizerEvent(`Bearer ${forged}`, 'POST', '/admin/circuits/{name}/force-open')),
    );
    expect(h.verifier.cacheSize()).toBe(0);
  });

  it('exp − iat beyond the lifetime + tolerance, iat in the future, and missing iat / jti / client_id fail', async () => {
    const h = harness({ [JWKS_URI]: jwksOf(doc, T0) }, { accessTokenTtlSeconds: 3600 });
    const ok = (claims: JWTPayload) =>
      sign(key, accessClaims(claims)).then((t) => h.authorize(authorizerEvent(`Bearer ${t}`)));
    const refused = (claims: JWTPayload) =>
      sign(key, { ...accessClaims(), ...claims }).then((t) =>
        expectUnauthorized(h.authorize(authorizerEvent(`Bearer ${t}`))),
      );
    await expect(ok({ exp: T0_SECONDS + 3600 + 30 })).resolves.toBeDefined();
    await refused({ exp: T0_SECONDS + 3600 + 31 });
    await expect(ok({ iat: T0_SECONDS + 30 })).resolves.toBeDefined();
    await refused({ iat: T0_SECONDS + 31 });
    await refused({ iat: undefined });
    await refused({ jti: undefined });
    await refused({ jti: 42 as unknown as string });
    await refused({ client_id: undefined });
    await refused({ client_id: ['reader'] });
    // an azp does not stand in for the platform's own client_id
    await refused({ client_id: undefined, azp: 'reader' });
  });

  it('warm verifier: a forged platform/admin token verified once is refused once its key left the JWKS and the key-set cache age passed', async () => {
    // The longest lifetime the platform allows, so the token's exp is no help.
    const h = harness({ [JWKS_URI]: jwksOf(doc, T0) }, { accessTokenTtlSeconds: 86_400 });
    const leaked = key;
    const forged = await sign(
      leaked,
      accessClaims({ scope: 'platform/admin', exp: T0_SECONDS + 86_400 }),
    );
    const admin = () =>
      h.authorize(authorizerEvent(`Bearer ${forged}`, 'POST', '/admin/circuits/{name}/force-open'));
    const first = await admin();
    expect(statements(first.policyDocument, 'Allow')).toContain(
      `${METHOD_ARN_BASE}/POST/admin/circuits/*/force-open`,
    );
    expect(h.verifier.cacheSize()).toBe(1);
    expect(h.fetches).toHaveLength(1);

    // The operator removes the key at once (emergency): the JWKS no longer holds it.
    h.setJwks(JWKS_URI, { keys: jwksOf(doc, T0).keys.filter((k) => k.kid !== leaked.kid) });
    // Within the key-set cache age the warm verifier still serves it from its cache (the bound)…
    h.clock.now = new Date(T0.getTime() + 599_000);
    await expect(admin()).resolves.toBeDefined();
    expect(h.fetches).toHaveLength(1);
    // …and once the cache age (600 s) passed, the set is fetched again and the token is refused.
    h.clock.now = new Date(T0.getTime() + 601_000);
    await expectUnauthorized(admin());
    expect(h.fetches).toHaveLength(2);
    expect(h.verifier.cacheSize()).toBe(0);
    // A month later: still refused, with no further fetch than the cooldown allows.
    h.clock.now = new Date(T0.getTime() + 30 * 86_400_000);
    await expectUnauthorized(admin());
  });

  it('a key-set fetch for a new kid drops the cached tokens of a kid that left the set at once', async () => {
    const h = harness({ [JWKS_URI]: jwksOf(doc, T0) });
    const revoked = await sign(key, accessClaims({ scope: 'platform/admin' }));
    await h.authorize(authorizerEvent(`Bearer ${revoked}`));
    expect(h.verifier.cacheSize()).toBe(1);

    // The key is removed and another one published; a token of the new key arrives.
    const replacement = (await rotateKeys(undefined, T0, POLICY)).document;
    const newKey = current(replacement);
    h.setJwks(JWKS_URI, { keys: jwksOf(replacement, T0).keys });
    h.clock.now = new Date(T0.getTime() + 31_000); // past the unknown-kid cooldown
    await expect(
      h.authorize(authorizerEvent(`Bearer ${await sign(newKey, accessClaims())}`)),
    ).resolves.toBeDefined();
    expect(h.fetches).toHaveLength(2);
    // The revoked key's cached token went with that fetch, well within the cache age.
    expect(h.verifier.cacheSize()).toBe(1);
    await expectUnauthorized(h.authorize(authorizerEvent(`Bearer ${revoked}`)));
  });

  it('a JWKS endpoint that is down is not reported as an invalid token, and is not hammered', async () => {
    const h = harness({ [JWKS_URI]: jwksOf(doc, T0) });
    h.failJwks(true);
    const token = await sign(key, accessClaims());
    for (let i = 0; i < 10; i++) {
      await expect(h.authorize(authorizerEvent(`Bearer ${token}`))).rejects.toThrow(
        'Signing keys unavailable',
      );
    }
    expect(h.fetches).toHaveLength(1);
  });
});

describe('authorizer: JWKS refresh failures (a real HTTP JWKS endpoint, fake clock)', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    server = undefined;
  });

  /** A JWKS endpoint on 127.0.0.1 whose answer the test sets; counts its requests. */
  async function jwksServer(jwks: unknown) {
    const state = { status: 200, retryAfter: undefined as string | undefined, requests: 0 };
    server = createServer((_request, response) => {
      state.requests++;
      if (state.status !== 200) {
        response.writeHead(state.status, {
          'content-type': 'application/json',
          ...(state.retryAfter ? { 'retry-after': state.retryAfter } : {}),
        });
        response.end('{"message":"Too Many Requests"}');
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(jwks));
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server!.address() as AddressInfo;
    return { state, uri: `http://127.0.0.1:${port}/.well-known/jwks.json` };
  }

  it('a JWKS answering 429 keeps valid tokens passing on the last good key set, retried with back-off, until the maximum staleness', async () => {
    const { state, uri } = await jwksServer(jwksOf(doc, T0));
    const clock = { now: T0 };
    const s = settings({
      ownJwksUri: uri,
      jwksCacheMaxAgeMs: 600_000,
      jwksMaxStaleMs: 1_200_000,
      trusted: [],
    });
    const authorize = createAuthorizer({
      settings: s,
      // the real fetch, over HTTP
      verifier: createTokenVerifier({ settings: s, clock: () => clock.now, random: () => 1 }),
      rules: RULES,
      powertools: powertools(),
    });
    const at = (ms: number) => (clock.now = new Date(T0.getTime() + ms));
    const freshToken = () => {
      const iat = Math.floor(clock.now.getTime() / 1000);
      return sign(key, accessClaims({ iat, nbf: iat, exp: iat + 900 }));
    };
    const passes = async (token: string) =>
      expect(
        statements((await authorize(authorizerEvent(`Bearer ${token}`))).policyDocument, 'Allow'),
      ).toContain(`${METHOD_ARN_BASE}/GET/reading-list`);

    const early = await freshToken();
    await passes(early);
    expect(state.requests).toBe(1);

    // The endpoint starts answering 429 (asking for 120 s); the key set goes stale.
    state.status = 429;
    state.retryAfter = '120';
    at(601_000);
    await passes(early); // cached
    expect(state.requests).toBe(2); // one refresh attempt, refused
    for (let i = 0; i < 10; i++) await passes(await freshToken()); // new tokens, stale keys
    expect(state.requests).toBe(2); // no retry on every request
    at(601_000 + 119_000);
    await passes(await freshToken());
    expect(state.requests).toBe(2); // the Retry-After holds
    at(601_000 + 121_000);
    await passes(await freshToken());
    expect(state.requests).toBe(3); // one retry, refused again

    // Beyond the maximum staleness (cache age + 1 200 s) the keys are no longer trusted: 500.
    at(600_000 + 1_200_000 + 1_000);
    await expect(authorize(authorizerEvent(`Bearer ${await freshToken()}`))).rejects.toThrow(
      'Signing keys unavailable',
    );
    // The endpoint recovers: the next retry fetches the set and tokens pass again.
    state.status = 200;
    at(600_000 + 1_200_000 + 125_000);
    await passes(await freshToken());
    expect(state.requests).toBe(5);
  });

  it('a JWKS answering 503 without Retry-After is retried after 5 s, then 10 s, doubling', async () => {
    const { state, uri } = await jwksServer(jwksOf(doc, T0));
    const clock = { now: T0 };
    const s = settings({ ownJwksUri: uri, jwksCacheMaxAgeMs: 60_000, trusted: [] });
    const verifier = createTokenVerifier({ settings: s, clock: () => clock.now, random: () => 1 });
    const token = await sign(key, accessClaims());
    await verifier.verify(token);
    state.status = 503;
    const requestsAt = async (ms: number) => {
      clock.now = new Date(T0.getTime() + ms);
      await expect(verifier.verify(token)).resolves.toMatchObject({ sub: 'reader' });
      return state.requests;
    };
    expect(await requestsAt(61_000)).toBe(2); // stale: refresh, 503
    expect(await requestsAt(65_999)).toBe(2);
    expect(await requestsAt(66_000)).toBe(3); // 5 s later
    expect(await requestsAt(75_999)).toBe(3);
    expect(await requestsAt(76_000)).toBe(4); // 10 s later
  });
});

describe('authorizer: trusted external issuers (Cognito: no aud, client_id + token_use)', () => {
  const COGNITO = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example';
  const cognitoClaims = (overrides: object = {}) => ({
    iss: COGNITO,
    sub: 'user-1',
    client_id: 'cognito-app-client',
    token_use: 'access',
    scope: 'reading-list/read',
    iat: T0_SECONDS,
    exp: T0_SECONDS + 3600,
    ...overrides,
  });

  it('accepts a Cognito-style access token and rejects other app clients and ID tokens', async () => {
    const cognitoDoc = await keyDocument();
    const cognitoKey = current(cognitoDoc);
    const h = harness({ [`${COGNITO}/.well-known/jwks.json`]: jwksOf(cognitoDoc, T0) });
    const signWith = async (claims: object) =>
      new SignJWT(claims as never)
        .setProtectedHeader({ alg: 'ES256', kid: cognitoKey.kid })
        .sign(await importJWK(cognitoKey.privateJwk, 'ES256'));
    const ok = await h.authorize(authorizerEvent(`Bearer ${await signWith(cognitoClaims())}`));
    expect(ok.context).toMatchObject({
      sub: 'user-1',
      clientId: 'cognito-app-client',
      issuer: COGNITO,
    });
    await expectUnauthorized(
      h.authorize(
        authorizerEvent(`Bearer ${await signWith(cognitoClaims({ client_id: 'other' }))}`),
      ),
    );
    await expectUnauthorized(
      h.authorize(authorizerEvent(`Bearer ${await signWith(cognitoClaims({ token_use: 'id' }))}`)),
    );
    // own keys are not accepted for the external issuer
    await expectUnauthorized(
      h.authorize(
        authorizerEvent(`Bearer ${await sign(key, cognitoClaims(), { typ: undefined })}`),
      ),
    );
  });
});

describe('authorizer: external issuers grant only their allowed scopes, and only with access tokens', () => {
  const KEYCLOAK = 'https://sso.example.com/realms/books';
  const AUTH0 = 'https://books.eu.auth0.example.com/';
  const jwksUriOf = (issuer: string) => `${issuer.replace(/\/$/, '')}/jwks`;
  let external: StoredKey;
  let externalJwks: ReturnType<typeof jwksOf>;
  beforeAll(async () => {
    const externalDoc = await keyDocument();
    external = current(externalDoc);
    externalJwks = jwksOf(externalDoc, T0);
  });
  const signExternal = async (claims: object, header: object = { typ: 'JWT' }) =>
    new SignJWT(claims as never)
      .setProtectedHeader({ alg: 'ES256', kid: external.kid, ...header })
      .sign(await importJWK(external.privateJwk, 'ES256'));
  const keycloak = (allowedScopes: string[]) => ({
    issuer: KEYCLOAK,
    jwksUri: jwksUriOf(KEYCLOAK),
    audience: 'reading-api',
    scopeClaim: 'scope',
    requireTyp: false,
    allowedScopes,
  });
  // An audience-only issuer whose audience is the app's client ID: its ID tokens carry that aud.
  const auth0 = {
    issuer: AUTH0,
    jwksUri: jwksUriOf(AUTH0),
    audience: 'spa-client-id',
    scopeClaim: 'scope',
    requireTyp: false,
    allowedScopes: ['reading-list/read'],
  };
  const externalHarness = (trusted: AuthorizerSettings['trusted']) =>
    harness({ [jwksUriOf(KEYCLOAK)]: externalJwks, [jwksUriOf(AUTH0)]: externalJwks }, { trusted });
  const keycloakAccess = (overrides: object = {}) => ({
    iss: KEYCLOAK,
    sub: 'user-7',
    aud: 'reading-api',
    azp: 'books-web',
    typ: 'Bearer',
    scope: 'openid profile reading-list/read',
    iat: T0_SECONDS,
    exp: T0_SECONDS + 300,
    jti: 'kc-1',
    ...overrides,
  });
  const ADMIN_ROUTE = `${METHOD_ARN_BASE}/POST/admin/circuits/*/force-open`;

  it('a Keycloak access token is granted its allowed scopes only: platform/admin it carries → 403 on the admin route', async () => {
    const capture = captureOutput();
    const h = externalHarness([keycloak(['reading-list/read'])]);
    let result: Awaited<ReturnType<typeof h.authorize>>;
    try {
      const token = await signExternal(
        keycloakAccess({ scope: 'openid reading-list/read platform/admin' }),
      );
      result = await h.authorize(
        authorizerEvent(`Bearer ${token}`, 'POST', '/admin/circuits/{name}/force-open'),
      );
    } finally {
      capture.restore();
    }
    expect(result.context).toMatchObject({
      issuer: KEYCLOAK,
      clientId: 'books-web',
      scope: 'reading-list/read',
    });
    expect(statements(result.policyDocument, 'Allow')).toEqual([
      `${METHOD_ARN_BASE}/GET/reading-list`,
    ]);
    expect(statements(result.policyDocument, 'Deny')).toContain(ADMIN_ROUTE);
    const warning = capture.lines.find((line) => line.includes('were not granted'));
    expect(JSON.parse(warning!)).toMatchObject({
      issuer: KEYCLOAK,
      ungrantedScopes: ['openid', 'platform/admin'],
    });
  });

  it('platform/admin from an external issuer only when its allow-list names it', async () => {
    const h = externalHarness([keycloak(['reading-list/read', 'platform/admin'])]);
    const token = await signExternal(keycloakAccess({ scope: 'platform/admin' }));
    const result = await h.authorize(
      authorizerEvent(`Bearer ${token}`, 'POST', '/admin/circuits/{name}/force-open'),
    );
    expect(statements(result.policyDocument, 'Allow')).toEqual([ADMIN_ROUTE]);
  });

  it('an issuer configured without allowedScopes grants nothing (the default)', async () => {
    const { trusted } = authorizerSettingsFromEnv({
      TRUSTED_ISSUERS: JSON.stringify([
        { issuer: KEYCLOAK, jwksUri: jwksUriOf(KEYCLOAK), audience: 'reading-api' },
      ]),
    });
    expect(trusted[0]!.allowedScopes).toEqual([]);
    const h = externalHarness(trusted);
    const result = await h.authorize(
      authorizerEvent(`Bearer ${await signExternal(keycloakAccess())}`),
    );
    expect(result.context).toMatchObject({ scope: '' });
    expect(statements(result.policyDocument, 'Allow')).toEqual([]);
  });

  it('refuses ID tokens and other non-access tokens of a trusted issuer → 401', async () => {
    const h = externalHarness([keycloak(['reading-list/read']), auth0]);
    const idTokenClaims = {
      iss: AUTH0,
      sub: 'auth0|user-7',
      aud: 'spa-client-id',
      iat: T0_SECONDS,
      exp: T0_SECONDS + 300,
      nonce: 'n-0S6_WzA2Mj',
      name: 'Reader',
    };
    const cases: Record<string, string> = {
      'Auth0-style ID token (aud the client ID, no scope)': await signExternal(idTokenClaims),
      'ID token with at_hash and a scope': await signExternal({
        ...idTokenClaims,
        at_hash: 'HK6E_P6Dh8Y93mRNtsDB1Q',
        scope: 'reading-list/read',
      }),
      'Keycloak ID token (typ ID)': await signExternal(keycloakAccess({ typ: 'ID' })),
      'Keycloak refresh token (typ Refresh)': await signExternal(
        keycloakAccess({ typ: 'Refresh' }),
      ),
      'token_use id': await signExternal(keycloakAccess({ token_use: 'id' })),
      'header typ logout+jwt': await signExternal(keycloakAccess(), { typ: 'logout+jwt' }),
      'header typ a number': await signExternal(keycloakAccess(), { typ: 7 }),
    };
    for (const [name, token] of Object.entries(cases)) {
      await expect(h.authorize(authorizerEvent(`Bearer ${token}`)), name).rejects.toThrow(
        /^Unauthorized$/,
      );
    }
    // and the access tokens of both pass
    for (const token of [
      await signExternal(keycloakAccess()),
      await signExternal(keycloakAccess(), { typ: 'at+jwt' }),
      await signExternal({ ...idTokenClaims, nonce: undefined, scope: 'reading-list/read' }),
    ]) {
      const result = await h.authorize(authorizerEvent(`Bearer ${token}`));
      expect(statements(result.policyDocument, 'Allow')).toEqual([
        `${METHOD_ARN_BASE}/GET/reading-list`,
      ]);
    }
  });
});

describe('authorizer: verified-token cache', () => {
  it('serves a repeated token from cache but never past its exp', async () => {
    const h = harness({ [JWKS_URI]: jwksOf(doc, T0) });
    const token = await sign(key, accessClaims({ exp: T0_SECONDS + 60 }));
    await h.authorize(authorizerEvent(`Bearer ${token}`));
    await h.authorize(authorizerEvent(`Bearer ${token}`));
    h.clock.now = new Date((T0_SECONDS + 61) * 1000);
    // inside the 30 s tolerance jose still accepts it: the cache entry expired, re-verification passes
    await expect(h.authorize(authorizerEvent(`Bearer ${token}`))).resolves.toBeDefined();
    h.clock.now = new Date((T0_SECONDS + 91) * 1000);
    await expectUnauthorized(h.authorize(authorizerEvent(`Bearer ${token}`)));
  });
});

describe('authorizer: logs', () => {
  it('never logs the token or the Authorization header', async () => {
    const capture = captureOutput();
    const h = harness({ [JWKS_URI]: jwksOf(doc, T0) });
    const tokens = [
      await sign(key, accessClaims()),
      await sign(key, accessClaims({ aud: 'x' })),
      await sign(key, accessClaims({ scope: 'none' })),
    ];
    try {
      for (const token of tokens) {
        await h.authorize(authorizerEvent(`Bearer ${token}`)).catch(() => undefined);
        await h.authorize(authorizerEvent(`Basic ${token}`)).catch(() => undefined);
      }
    } finally {
      capture.restore();
    }
    expect(capture.lines.length).toBeGreaterThan(0);
    for (const token of tokens) {
      for (const part of token.split('.')) {
        for (const line of capture.lines) expect(line).not.toContain(part);
      }
    }
  });
});
