import { createPrivateKey, sign as signBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLocalJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { authorizerSettingsFromEnv } from '../../../../functions/auth/authorizer/config';
import { createTokenVerifier } from '../../../../functions/auth/authorizer/verifier';
import { rotateKeys } from '../../../../functions/auth/rotation/rotate';
import {
  jwksOf,
  type KeyDocument,
  type StoredKey,
} from '../../../../functions/runtime/auth/key-store';
import {
  accessClaims,
  current,
  ISSUER,
  keyDocument,
  POLICY,
  sign,
  T0,
  T0_SECONDS,
} from '../fixtures';

let doc: KeyDocument;
let key: StoredKey;
let stranger: StoredKey;

beforeAll(async () => {
  doc = await keyDocument();
  key = current(doc);
  stranger = (await rotateKeys(undefined, T0, POLICY)).document.keys[0]!;
});

function b64url(value: object | string): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString(
    'base64url',
  );
}

/** Signs any header, even one jose would refuse to produce. */
function signRaw(signer: StoredKey, header: object, payload: object): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  const privateKey = createPrivateKey({ key: signer.privateJwk as never, format: 'jwk' });
  const signature = signBytes('sha256', Buffer.from(input), {
    key: privateKey,
    dsaEncoding: 'ieee-p1363',
  });
  return `${input}.${signature.toString('base64url')}`;
}

/** The platform's access-token lifetime (ACCESS_TOKEN_TTL_SECONDS's default). */
const TTL = 900;

/**
 * The platform's rules jose has no option for: `client_id` and `jti` strings, and a lifetime
 * (`exp − iat`) within the platform's plus the tolerance.
 */
function platformRules(payload: JWTPayload, toleranceSeconds: number): boolean {
  return (
    typeof payload.client_id === 'string' &&
    typeof payload.jti === 'string' &&
    payload.exp! - payload.iat! <= TTL + toleranceSeconds
  );
}

/** Tokens that differ from a valid one in one respect each. */
async function corpus(): Promise<Record<string, string>> {
  const valid = await sign(key, accessClaims());
  const [header, payload, signature] = valid.split('.');
  return {
    valid,
    'typ application/AT+JWT': await sign(key, accessClaims(), { typ: 'application/AT+JWT' }),
    'typ JWT': await sign(key, accessClaims(), { typ: 'JWT' }),
    'no typ': await sign(key, accessClaims(), { typ: undefined }),
    'aud in an array': await sign(key, accessClaims({ aud: ['other', ISSUER] })),
    'aud elsewhere': await sign(key, accessClaims({ aud: ['other'] })),
    'aud a number': await sign(key, accessClaims({ aud: 7 as unknown as string })),
    'exp 29 s ago': await sign(key, accessClaims({ exp: T0_SECONDS - 29 })),
    'exp 30 s ago': await sign(key, accessClaims({ exp: T0_SECONDS - 30 })),
    'exp a string': await sign(key, accessClaims({ exp: String(T0_SECONDS + 900) as never })),
    'no exp': await sign(key, { ...accessClaims(), exp: undefined }),
    'no sub': await sign(key, { ...accessClaims(), sub: undefined }),
    'nbf 31 s ahead': await sign(key, accessClaims({ nbf: T0_SECONDS + 31 })),
    'iat a string': await sign(key, accessClaims({ iat: 'now' as never })),
    'no iat': await sign(key, { ...accessClaims(), iat: undefined }),
    'no jti': await sign(key, { ...accessClaims(), jti: undefined }),
    'no client_id': await sign(key, { ...accessClaims(), client_id: undefined }),
    'client_id a number': await sign(key, accessClaims({ client_id: 7 })),
    'iat 29 s ahead': await sign(key, accessClaims({ iat: T0_SECONDS + 29 })),
    'iat 31 s ahead': await sign(key, accessClaims({ iat: T0_SECONDS + 31 })),
    'iat a year ahead': await sign(key, accessClaims({ iat: T0_SECONDS + 365 * 86_400 })),
    'exp − iat the lifetime + tolerance': await sign(
      key,
      accessClaims({ iat: T0_SECONDS, exp: T0_SECONDS + TTL + 30 }),
    ),
    'exp − iat 1 s over the lifetime + tolerance': await sign(
      key,
      accessClaims({ iat: T0_SECONDS, exp: T0_SECONDS + TTL + 31 }),
    ),
    'exp in a hundred years': await sign(
      key,
      accessClaims({ exp: T0_SECONDS + 100 * 365 * 86_400 }),
    ),
    'unknown crit': signRaw(
      key,
      { alg: 'ES256', kid: key.kid, typ: 'at+jwt', crit: ['x-extension'], 'x-extension': 1 },
      accessClaims(),
    ),
    'b64 false': signRaw(
      key,
      { alg: 'ES256', kid: key.kid, typ: 'at+jwt', crit: ['b64'], b64: false },
      accessClaims(),
    ),
    'signed outside jose': signRaw(
      key,
      { alg: 'ES256', kid: key.kid, typ: 'at+jwt' },
      accessClaims(),
    ),
    'signed by a key not in the set': await sign({ ...stranger, kid: key.kid }, accessClaims()),
    'payload swapped': `${header}.${b64url(accessClaims({ scope: 'platform/admin' }))}.${signature}`,
    'signature truncated': `${header}.${payload}.${signature!.slice(0, -4)}`,
    'signature of length 1 mod 4': `${header}.${payload}.${signature}A`,
    'alg RS256 on an EC key': `${b64url({ alg: 'RS256', kid: key.kid, typ: 'at+jwt' })}.${payload}.${signature}`,
    'alg none': `${b64url({ alg: 'none', kid: key.kid, typ: 'at+jwt' })}.${payload}.${signature}`,
    'header an array': `${b64url('[1]')}.${payload}.${signature}`,
    'payload not UTF-8': `${header}.${Buffer.from([0x7b, 0xff, 0x7d]).toString('base64url')}.${signature}`,
  };
}

describe('compact JWT checks on node:crypto', () => {
  it('accept and refuse exactly the tokens jose’s jwtVerify accepts and refuses', async () => {
    const jwks = jwksOf(doc, T0);
    const settings = authorizerSettingsFromEnv({ ISSUER_URL: ISSUER });
    expect(settings.accessTokenTtlSeconds).toBe(TTL);
    const verifier = createTokenVerifier({
      settings: { ...settings, verifiedCacheMaxEntries: 0 },
      clock: () => T0,
      fetch: (async () => Response.json(jwks)) as typeof fetch,
    });
    const keySet = createLocalJWKSet(jwks);
    const judged: Record<string, { ours: boolean; jose: boolean }> = {};
    for (const [name, token] of Object.entries(await corpus())) {
      const ours = await verifier.verify(token).then(
        () => true,
        () => false,
      );
      const jose = await jwtVerify(token, keySet, {
        algorithms: settings.algorithms,
        issuer: ISSUER,
        audience: ISSUER,
        typ: 'at+jwt',
        requiredClaims: ['exp', 'sub', 'iat', 'jti', 'client_id'],
        clockTolerance: settings.clockToleranceSeconds,
        // refuses an iat in the future beyond the tolerance
        maxTokenAge: TTL + settings.clockToleranceSeconds,
        currentDate: T0,
      }).then(
        (result: { payload: JWTPayload }) =>
          typeof result.payload.sub === 'string' &&
          platformRules(result.payload, settings.clockToleranceSeconds),
        () => false,
      );
      judged[name] = { ours, jose };
    }
    for (const [name, { ours, jose }] of Object.entries(judged))
      expect(ours, `${name}: ours ${ours}, jose ${jose}`).toBe(jose);
    // The corpus holds both outcomes, so the comparison means something.
    expect(Object.values(judged).filter((j) => j.jose).length).toBeGreaterThanOrEqual(4);
    expect(Object.values(judged).filter((j) => !j.jose).length).toBeGreaterThanOrEqual(25);
    // the lifetime rules decide these, whatever jose alone would say
    for (const name of [
      'no iat',
      'no jti',
      'no client_id',
      'iat 31 s ahead',
      'iat a year ahead',
      'exp − iat 1 s over the lifetime + tolerance',
      'exp in a hundred years',
    ])
      expect(judged[name], name).toEqual({ ours: false, jose: false });
    expect(judged['exp − iat the lifetime + tolerance']).toEqual({ ours: true, jose: true });
    expect(judged['iat 29 s ahead']).toEqual({ ours: true, jose: true });
  });

  it('stops using a remembered key once the refetched key set no longer holds it', async () => {
    let jwks = jwksOf(doc, T0);
    let fetches = 0;
    const now = { at: T0 };
    const settings = {
      ...authorizerSettingsFromEnv({ ISSUER_URL: ISSUER }),
      verifiedCacheMaxEntries: 0,
      jwksCacheMaxAgeMs: 60_000,
    };
    const verifier = createTokenVerifier({
      settings,
      clock: () => now.at,
      fetch: (async () => {
        fetches++;
        return Response.json(jwks);
      }) as typeof fetch,
    });
    const token = await sign(key, accessClaims());
    await expect(verifier.verify(token)).resolves.toMatchObject({ sub: 'reader' });
    await expect(verifier.verify(token)).resolves.toMatchObject({ sub: 'reader' });
    expect(fetches).toBe(1); // the key was remembered
    // The key leaves the set; once the copy is stale the set is fetched again.
    jwks = { keys: [] };
    now.at = new Date(T0.getTime() + 120_000);
    await expect(verifier.verify(token)).rejects.toThrow();
    expect(fetches).toBe(2);
  });
});
