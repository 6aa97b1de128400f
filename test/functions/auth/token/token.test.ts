import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  SignJWT,
  type CryptoKey,
} from 'jose';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { createTokenService } from '../../../../functions/auth/token/token-service';
import {
  hashClientSecret,
  InMemoryClientsRepository,
  isLegacyClientSecretHash,
} from '../../../../functions/auth/token/clients';
import { hashSecret } from '../../../../functions/auth/token/secret-hash';
import { InMemoryReplayStore } from '../../../../functions/auth/token/replay';
import {
  CachedKeyDocument,
  InMemoryKeyStore,
  type KeyDocument,
} from '../../../../functions/runtime/auth/key-store';
import {
  captureOutput,
  ISSUER,
  keyDocument,
  powertools,
  proxyEvent,
  T0,
  T0_SECONDS,
} from '../fixtures';

const TOKEN_ENDPOINT = `${ISSUER}/oauth2/token`;
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const SECRETS = {
  reader: 'reader-secret-4f1c9e27b8d3a6055e1f0c2d9a7b3e41',
  nobody: 'nobody-secret-0b9d7c5e3a1f2468ace0bd9f7c5e3a12',
  disabled: 'disabled-secret-9a8b7c6d5e4f30211f2e3d4c5b6a79',
  legacy: 'legacy-secret-1a2b3c4d5e6f708192a3b4c5d6e7f809',
  scrypt: 'scrypt-secret-7e6d5c4b3a291807f6e5d4c3b2a19080',
};
const SCRYPT_HASHED = 'scrypt-client';
// Client items as an operator may hand-edit them: anything but `disabled: false` disables.
const DISABLED_VARIANTS: Record<string, unknown> = {
  'disabled-string-true': 'true',
  'disabled-number-1': 1,
  'disabled-string-yes': 'yes',
  'disabled-string-false': 'false',
  'disabled-null': null,
  'disabled-true': true,
};
const EXPIRY_VARIANTS: Record<string, unknown> = {
  'expired-a-second-ago': T0_SECONDS - 1,
  'expired-now': T0_SECONDS,
  'expires-unreadable': 'next week',
};
const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

let doc: KeyDocument;
let clientKey: CryptoKey;
let otherKey: CryptoKey;
let service: ReturnType<typeof createTokenService>;
let clients: InMemoryClientsRepository;
const seenSensitive: string[] = [];

beforeAll(async () => {
  doc = await keyDocument();
  const pair = await generateKeyPair('ES256', { extractable: true });
  clientKey = pair.privateKey;
  otherKey = (await generateKeyPair('ES256')).privateKey;
  const publicJwk = await exportJWK(pair.publicKey);
  const handEdited = (id: string, item: Record<string, unknown>) => [
    { clientId: id, secretHash, scopes: ['reading-list/read'], ...item },
    { clientId: `jwt-${id}`, publicJwk, scopes: ['reading-list/read'], ...item },
  ];
  const secretHash = await hashClientSecret(SECRETS.disabled);
  clients = new InMemoryClientsRepository([
    ...Object.entries(DISABLED_VARIANTS).flatMap(([id, disabled]) => handEdited(id, { disabled })),
    ...Object.entries(EXPIRY_VARIANTS).flatMap(([id, expiresAt]) => handEdited(id, { expiresAt })),
    ...handEdited('enabled-false', { disabled: false }),
    ...handEdited('expires-in-an-hour', { expiresAt: T0_SECONDS + 3600 }),
    ...handEdited('expires-as-string', { expiresAt: String(T0_SECONDS + 3600) }),
    {
      clientId: SCRYPT_HASHED,
      // A hash written before the keyed format (low cost here only to keep the test quick).
      secretHash: await hashSecret(SECRETS.scrypt, { N: 1024 }),
      scopes: ['reading-list/read'],
    },
    {
      clientId: 'reader',
      secretHash: await hashClientSecret(SECRETS.reader),
      scopes: ['reading-list/read', 'recommendations/read'],
    },
    { clientId: 'nobody', secretHash: await hashClientSecret(SECRETS.nobody), scopes: [] },
    {
      clientId: 'disabled',
      secretHash: await hashClientSecret(SECRETS.disabled),
      scopes: ['reading-list/read'],
      disabled: true,
    },
    {
      clientId: 'legacy',
      secretHash: await hashClientSecret(SECRETS.legacy),
      scopes: ['reading-list/read'],
      grantTypes: ['authorization_code'],
    },
    { clientId: 'jwt-client', scopes: ['reading-list/read'], publicJwk },
  ]);
  service = createTokenService({
    clients,
    keys: new CachedKeyDocument(new InMemoryKeyStore(doc)),
    replay: new InMemoryReplayStore(() => T0.getTime()),
    powertools: powertools(),
    clock: () => T0,
    options: { scopesSupported: ['reading-list/read', 'recommendations/read', 'platform/admin'] },
  });
  seenSensitive.push(...Object.values(SECRETS));
});

function post(
  body: string | null,
  headers: Record<string, string> = FORM,
  extra: { isBase64Encoded?: boolean } = {},
) {
  const authorization = Object.entries(headers).find(
    ([k]) => k.toLowerCase() === 'authorization',
  )?.[1];
  if (authorization) seenSensitive.push(authorization, authorization.replace(/^\S+\s+/, ''));
  return service(
    proxyEvent({ method: 'POST', resource: '/oauth2/token', headers, body, ...extra }),
  );
}

function parse(result: APIGatewayProxyResult) {
  return JSON.parse(result.body) as Record<string, unknown>;
}

function expectError(result: APIGatewayProxyResult, error: string, status = 400) {
  expect(result.statusCode).toBe(status);
  expect(parse(result)).toMatchObject({ error });
  expect(typeof parse(result).error_description).toBe('string');
  expect(result.headers?.['cache-control']).toBe('no-store');
}

async function jwks() {
  const result = await service(proxyEvent({ resource: '/.well-known/jwks.json' }));
  return createLocalJWKSet(JSON.parse(result.body));
}

interface AssertionInit {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  /** null: no `iat`. @default T0 */
  iat?: number | null;
  exp?: number;
  jti?: string | null;
  /** The `typ` header. @default absent */
  typ?: string;
  key?: CryptoKey;
}

async function assertion(overrides: AssertionInit = {}) {
  const jwt = new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', ...(overrides.typ ? { typ: overrides.typ } : {}) })
    .setIssuer(overrides.iss ?? 'jwt-client')
    .setSubject(overrides.sub ?? 'jwt-client')
    .setAudience(overrides.aud ?? ISSUER)
    .setExpirationTime(overrides.exp ?? T0_SECONDS + 60);
  if (overrides.iat !== null) jwt.setIssuedAt(overrides.iat ?? T0_SECONDS);
  if (overrides.jti !== null) jwt.setJti(overrides.jti ?? randomUUID());
  const value = await jwt.sign(overrides.key ?? clientKey);
  seenSensitive.push(value);
  return value;
}

const JWT_TYPE = encodeURIComponent('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');

describe('token endpoint: client_credentials', () => {
  it('issues an RFC 9068 access token with client_secret_basic', async () => {
    const result = await post('grant_type=client_credentials&scope=reading-list%2Fread', {
      ...FORM,
      Authorization: basic('reader', SECRETS.reader),
    });
    expect(result.statusCode).toBe(200);
    expect(result.headers).toMatchObject({ 'cache-control': 'no-store', pragma: 'no-cache' });
    const body = parse(result);
    expect(body).toMatchObject({
      token_type: 'Bearer',
      expires_in: 900,
      scope: 'reading-list/read',
    });
    seenSensitive.push(body.access_token as string);
    const { payload, protectedHeader } = await jwtVerify(
      body.access_token as string,
      await jwks(),
      {
        issuer: ISSUER,
        audience: ISSUER,
        typ: 'at+jwt',
        algorithms: ['ES256'],
        currentDate: T0,
        requiredClaims: ['exp', 'iat', 'jti', 'sub', 'client_id'],
      },
    );
    expect(protectedHeader).toMatchObject({
      typ: 'at+jwt',
      alg: 'ES256',
      kid: doc.keys.find((k) => k.status === 'current')!.kid,
    });
    expect(payload).toMatchObject({
      sub: 'reader',
      client_id: 'reader',
      scope: 'reading-list/read',
      exp: T0_SECONDS + 900,
    });
  });

  it('grants all allowed scopes when scope is omitted (client_secret_post)', async () => {
    const result = await post(
      `grant_type=client_credentials&client_id=reader&client_secret=${SECRETS.reader}`,
    );
    expect(result.statusCode).toBe(200);
    expect(parse(result).scope).toBe('reading-list/read recommendations/read');
    seenSensitive.push(parse(result).access_token as string);
  });

  it('a client with no scopes gets a token with an empty scope', async () => {
    const result = await post('grant_type=client_credentials', {
      ...FORM,
      authorization: basic('nobody', SECRETS.nobody),
    });
    expect(result.statusCode).toBe(200);
    expect(parse(result).scope).toBe('');
  });

  it('accepts a base64-encoded body and a charset parameter on the content type', async () => {
    const body = Buffer.from(
      `grant_type=client_credentials&client_id=reader&client_secret=${SECRETS.reader}`,
    ).toString('base64');
    const result = await post(
      body,
      { 'Content-Type': 'application/x-www-form-urlencoded; charset=UTF-8' },
      { isBase64Encoded: true },
    );
    expect(result.statusCode).toBe(200);
  });

  it('private_key_jwt: accepts a valid assertion (aud = the issuer), refuses a replay', async () => {
    const first = await assertion();
    const ok = await post(
      `grant_type=client_credentials&client_assertion_type=${JWT_TYPE}&client_assertion=${first}`,
    );
    expect(ok.statusCode).toBe(200);
    expect(parse(ok).scope).toBe('reading-list/read');
    const withClientId = await assertion();
    expect(
      (
        await post(
          `grant_type=client_credentials&client_id=jwt-client&client_assertion_type=${JWT_TYPE}&client_assertion=${withClientId}`,
        )
      ).statusCode,
    ).toBe(200);
    expectError(
      await post(
        `grant_type=client_credentials&client_assertion_type=${JWT_TYPE}&client_assertion=${first}`,
      ),
      'invalid_client',
      401,
    );
  });

  it('private_key_jwt: refuses bad assertions', async () => {
    const cases = [
      await assertion({ key: otherKey }),
      await assertion({ aud: 'https://elsewhere.example/token' }),
      await assertion({ exp: T0_SECONDS - 120 }),
      await assertion({ exp: T0_SECONDS + 3600 }),
      await assertion({ aud: TOKEN_ENDPOINT }),
      await assertion({ jti: null }),
      await assertion({ sub: 'reader' }),
      await assertion({ iss: 'reader' }),
      await assertion({ iss: 'ghost', sub: 'ghost' }),
      'not-a-jwt',
      `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"jwt-client","iss":"jwt-client"}').toString('base64url')}.`,
    ];
    for (const value of cases) {
      expectError(
        await post(
          `grant_type=client_credentials&client_assertion_type=${JWT_TYPE}&client_assertion=${value}`,
        ),
        'invalid_client',
        401,
      );
    }
    // client_id in the body must name the assertion's client
    expectError(
      await post(
        `grant_type=client_credentials&client_id=reader&client_assertion_type=${JWT_TYPE}&client_assertion=${await assertion()}`,
      ),
      'invalid_client',
      401,
    );
    // wrong assertion type
    expectError(
      await post(
        `grant_type=client_credentials&client_assertion_type=urn%3Aother&client_assertion=${await assertion()}`,
      ),
      'invalid_request',
    );
  });
});

describe('token endpoint: errors per RFC 6749 §5.2, never 500', () => {
  it('wrong secret, unknown client and disabled client answer the same invalid_client', async () => {
    const wrong = await post('grant_type=client_credentials', {
      ...FORM,
      Authorization: basic('reader', 'wrong-secret-value-123'),
    });
    const unknown = await post('grant_type=client_credentials', {
      ...FORM,
      Authorization: basic('ghost', 'wrong-secret-value-123'),
    });
    const disabled = await post('grant_type=client_credentials', {
      ...FORM,
      Authorization: basic('disabled', SECRETS.disabled),
    });
    for (const result of [wrong, unknown, disabled]) {
      expectError(result, 'invalid_client', 401);
      expect(result.headers?.['www-authenticate']).toMatch(/^Basic realm="/);
    }
    expect(unknown.body).toBe(wrong.body);
    expect(disabled.body).toBe(wrong.body);
    // The work each one costs is counted in client-auth.test.ts.
  });

  it('client_secret_post failures answer 401 invalid_client without a Basic challenge', async () => {
    const result = await post('grant_type=client_credentials&client_id=reader&client_secret=nope');
    expectError(result, 'invalid_client', 401);
    expect(result.headers?.['www-authenticate']).toBeUndefined();
  });

  it('missing, empty and duplicated parameters → invalid_request', async () => {
    expectError(await post(`client_id=reader&client_secret=${SECRETS.reader}`), 'invalid_request');
    expectError(
      await post(`grant_type=&client_id=reader&client_secret=${SECRETS.reader}`),
      'invalid_request',
    );
    expectError(
      await post(
        `grant_type=client_credentials&grant_type=client_credentials&client_id=reader&client_secret=${SECRETS.reader}`,
      ),
      'invalid_request',
    );
    expectError(
      await post(
        `grant_type=client_credentials&scope=a&scope=b&client_id=reader&client_secret=${SECRETS.reader}`,
      ),
      'invalid_request',
    );
    expectError(
      await post(`grant_type=client_credentials&client_secret=${SECRETS.reader}`),
      'invalid_request',
    );
    expectError(await post(null), 'invalid_request');
  });

  it('unsupported grant, unauthorized client, disallowed or malformed scope', async () => {
    expectError(
      await post(
        `grant_type=password&username=a&password=b&client_id=reader&client_secret=${SECRETS.reader}`,
      ),
      'unsupported_grant_type',
    );
    expectError(
      await post(
        `grant_type=authorization_code&code=x&client_id=reader&client_secret=${SECRETS.reader}`,
      ),
      'unsupported_grant_type',
    );
    expectError(
      await post(`grant_type=client_credentials&client_id=legacy&client_secret=${SECRETS.legacy}`),
      'unauthorized_client',
    );
    expectError(
      await post(
        `grant_type=client_credentials&scope=platform%2Fadmin&client_id=reader&client_secret=${SECRETS.reader}`,
      ),
      'invalid_scope',
    );
    expectError(
      await post(
        `grant_type=client_credentials&scope=reading-list%2Fread+platform%2Fadmin&client_id=reader&client_secret=${SECRETS.reader}`,
      ),
      'invalid_scope',
    );
    expectError(
      await post(
        `grant_type=client_credentials&scope=%22quoted%22&client_id=reader&client_secret=${SECRETS.reader}`,
      ),
      'invalid_scope',
    );
    expectError(
      await post(
        `grant_type=client_credentials&scope=+&client_id=reader&client_secret=${SECRETS.reader}`,
      ),
      'invalid_scope',
    );
  });

  it('wrong content type, huge body, invalid base64 and invalid UTF-8 → invalid_request', async () => {
    const body = `grant_type=client_credentials&client_id=reader&client_secret=${SECRETS.reader}`;
    expectError(await post(body, { 'content-type': 'application/json' }), 'invalid_request');
    expectError(
      await post(JSON.stringify({ grant_type: 'client_credentials' }), {
        'content-type': 'application/json',
      }),
      'invalid_request',
    );
    expectError(await post(body, {}), 'invalid_request');
    expectError(
      await post(body, { 'content-type': 'multipart/form-data; boundary=x' }),
      'invalid_request',
    );
    expectError(await post(`${body}&pad=${'a'.repeat(9000)}`), 'invalid_request');
    expectError(
      await post(Buffer.from(`${body}&pad=${'a'.repeat(9000)}`).toString('base64'), FORM, {
        isBase64Encoded: true,
      }),
      'invalid_request',
    );
    expectError(await post('a'.repeat(5_000_000)), 'invalid_request');
    expectError(await post('!!!not base64!!!', FORM, { isBase64Encoded: true }), 'invalid_request');
    expectError(
      await post(Buffer.from([0x67, 0x3d, 0xff, 0xfe]).toString('base64'), FORM, {
        isBase64Encoded: true,
      }),
      'invalid_request',
    );
  });

  it('Basic and post credentials together, or malformed Basic, or another scheme', async () => {
    expectError(
      await post(`grant_type=client_credentials&client_id=reader&client_secret=${SECRETS.reader}`, {
        ...FORM,
        Authorization: basic('reader', SECRETS.reader),
      }),
      'invalid_request',
    );
    expectError(
      await post(
        `grant_type=client_credentials&client_assertion_type=${JWT_TYPE}&client_assertion=${await assertion()}`,
        { ...FORM, Authorization: basic('jwt-client', 'x') },
      ),
      'invalid_request',
    );
    expectError(
      await post('grant_type=client_credentials&client_id=other', {
        ...FORM,
        Authorization: basic('reader', SECRETS.reader),
      }),
      'invalid_request',
    );
    for (const authorization of [
      'Basic',
      'Basic !!!!',
      `Basic ${Buffer.from('no-colon').toString('base64')}`,
      `Basic ${Buffer.from('%ZZ:x').toString('base64')}`,
      'Bearer abc.def.ghi',
    ]) {
      const result = await post('grant_type=client_credentials', {
        ...FORM,
        Authorization: authorization,
      });
      expectError(result, 'invalid_client', 401);
      expect(result.headers?.['www-authenticate']).toMatch(/^Basic /);
    }
    expectError(await post('grant_type=client_credentials'), 'invalid_client', 401);
  });

  it('GET on the token endpoint → 405 invalid_request', async () => {
    const result = await service(
      proxyEvent({ method: 'GET', resource: '/oauth2/token', headers: FORM }),
    );
    expectError(result, 'invalid_request', 405);
  });

  it('garbage events do not answer 500', async () => {
    for (const event of [
      proxyEvent({ method: 'POST', resource: '/oauth2/token', headers: null as never, body: 'x' }),
      {
        ...proxyEvent({ method: 'POST', resource: '/oauth2/token', headers: FORM }),
        body: 'grant_type=client_credentials&%',
      },
    ]) {
      const result = await service(event);
      expect(result.statusCode).toBeLessThan(500);
    }
  });
});

const viaAssertion = (value: string) =>
  post(`grant_type=client_credentials&client_assertion_type=${JWT_TYPE}&client_assertion=${value}`);

describe('token endpoint: private_key_jwt assertion rules (RFC 7523, draft-ietf-oauth-rfc7523bis)', () => {
  const EVIL = 'https://evil.example/token';
  const AUD = /audience/;
  const FUTURE = /in the future/;
  const LONG = /lives too long/;
  const TYP = /wrong typ/;
  const GENERIC = /^Client authentication failed\.$/;
  const year = 365 * 86400;
  const refused: Array<[string, AssertionInit, RegExp]> = [
    ['aud: an array with a foreign value', { aud: [EVIL, ISSUER] }, AUD],
    ['aud: the token endpoint besides the issuer', { aud: [TOKEN_ENDPOINT, ISSUER] }, AUD],
    ['aud: the issuer twice', { aud: [ISSUER, ISSUER] }, AUD],
    ['aud: an empty array', { aud: [] }, AUD],
    ['aud: the token endpoint (one audience only: the issuer)', { aud: TOKEN_ENDPOINT }, AUD],
    ['aud: a foreign value', { aud: EVIL }, AUD],
    ['iat: a year in the future', { iat: T0_SECONDS + year, exp: T0_SECONDS + year + 60 }, FUTURE],
    ['iat: past the 30 s tolerance', { iat: T0_SECONDS + 31 }, FUTURE],
    ['iat: missing', { iat: null }, GENERIC],
    [
      'exp - iat: 301 s, over the 300 s maximum',
      { iat: T0_SECONDS - 1, exp: T0_SECONDS + 300 },
      LONG,
    ],
    ['exp - iat: a day', { iat: T0_SECONDS - 86400 + 60, exp: T0_SECONDS + 60 }, LONG],
    ['typ: at+jwt (an access token)', { typ: 'at+jwt' }, TYP],
    ['typ: application/at+jwt', { typ: 'application/at+jwt' }, TYP],
    ['typ: AT+JWT', { typ: 'AT+JWT' }, TYP],
    ['typ: something else', { typ: 'dpop+jwt' }, TYP],
  ];
  it.each(refused)('%s → 401 invalid_client', async (_label, init, description) => {
    const result = await viaAssertion(await assertion(init));
    expectError(result, 'invalid_client', 401);
    expect(parse(result).error_description).toMatch(description);
  });

  const accepted: Array<[string, AssertionInit]> = [
    ['aud: the issuer as a one-element array', { aud: [ISSUER] }],
    ['iat: within the clock tolerance ahead', { iat: T0_SECONDS + 30, exp: T0_SECONDS + 90 }],
    ['exp - iat: exactly 300 s', { iat: T0_SECONDS - 10, exp: T0_SECONDS + 290 }],
    ['typ: JWT', { typ: 'JWT' }],
    ['typ: client-authentication+jwt', { typ: 'client-authentication+jwt' }],
    [
      'typ: application/client-authentication+jwt',
      { typ: 'application/client-authentication+jwt' },
    ],
  ];
  it.each(accepted)('%s → 200', async (_label, init) => {
    const result = await viaAssertion(await assertion(init));
    expect(result.statusCode).toBe(200);
    seenSensitive.push(parse(result).access_token as string);
  });

  it('tells a verified client that names the token endpoint to name the issuer', async () => {
    const result = await viaAssertion(await assertion({ aud: TOKEN_ENDPOINT }));
    expectError(result, 'invalid_client', 401);
    expect(parse(result).error_description).toMatch(/issuer identifier/);
  });
});

describe('token endpoint: hand-edited client items fail closed', () => {
  const secretOf = (id: string) =>
    post(`grant_type=client_credentials&client_id=${id}&client_secret=${SECRETS.disabled}`);
  const jwtOf = async (id: string) =>
    viaAssertion(await assertion({ iss: `jwt-${id}`, sub: `jwt-${id}` }));
  const refused = [...Object.keys(DISABLED_VARIANTS), ...Object.keys(EXPIRY_VARIANTS)];

  it.each(refused)('%s → 401 invalid_client, by secret and by assertion', async (id) => {
    expectError(await secretOf(id), 'invalid_client', 401);
    expectError(await jwtOf(id), 'invalid_client', 401);
  });

  it.each(['enabled-false', 'expires-in-an-hour', 'expires-as-string'])(
    '%s → 200, by secret and by assertion',
    async (id) => {
      expect((await secretOf(id)).statusCode).toBe(200);
      expect((await jwtOf(id)).statusCode).toBe(200);
    },
  );
});

describe('token endpoint: secrets hashed before the keyed format', () => {
  it('a scrypt hash still verifies (existing deployments keep working) and is left as it is', async () => {
    const before = (await clients.find(SCRYPT_HASHED))!.secretHash;
    expect(isLegacyClientSecretHash(before)).toBe(true);
    const ok = await post(
      `grant_type=client_credentials&client_id=${SCRYPT_HASHED}&client_secret=${SECRETS.scrypt}`,
    );
    expect(ok.statusCode).toBe(200);
    seenSensitive.push(parse(ok).access_token as string);
    expectError(
      await post(
        `grant_type=client_credentials&client_id=${SCRYPT_HASHED}&client_secret=${SECRETS.reader}`,
      ),
      'invalid_client',
      401,
    );
    // The token service only reads the clients table; re-issuing the secret migrates the client.
    expect((await clients.find(SCRYPT_HASHED))!.secretHash).toBe(before);
  });
});

describe('token endpoint: logs', () => {
  it('never log a secret, token, assertion or Authorization header value', async () => {
    const capture = captureOutput();
    try {
      const a = await assertion();
      await post(
        `grant_type=client_credentials&client_assertion_type=${JWT_TYPE}&client_assertion=${a}`,
      ).then((r) => {
        if (r.statusCode === 200) seenSensitive.push(parse(r).access_token as string);
      });
      await post(
        `grant_type=client_credentials&client_assertion_type=${JWT_TYPE}&client_assertion=${a}`,
      );
      for (const [id, secret] of Object.entries(SECRETS)) {
        const ok = await post('grant_type=client_credentials', {
          ...FORM,
          Authorization: basic(id, secret),
        });
        if (ok.statusCode === 200) seenSensitive.push(parse(ok).access_token as string);
        await post(`grant_type=client_credentials&client_id=${id}&client_secret=${secret}x`);
        await post(
          `grant_type=client_credentials&client_id=${id}&client_secret=${secret}&client_secret=${secret}`,
        );
        await post(`grant_type=client_credentials&client_id=${id}&client_secret=${secret}`, {
          'content-type': 'text/plain',
        });
      }
    } finally {
      capture.restore();
    }
    expect(capture.lines.length).toBeGreaterThan(5);
    const needles = seenSensitive.filter((value) => value.length >= 12);
    for (const line of capture.lines) {
      for (const needle of needles)
        expect(
          line.includes(needle),
          `log line leaks a sensitive value: ${line.slice(0, 120)}`,
        ).toBe(false);
    }
  });
});
