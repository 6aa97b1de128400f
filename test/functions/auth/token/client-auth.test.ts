import * as crypto from 'node:crypto';
import * as jose from 'jose';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  authenticateClient,
  JWT_BEARER_ASSERTION_TYPE,
  type ClientAuthContext,
} from '../../../../functions/auth/token/client-auth';
import {
  hashClientSecret,
  InMemoryClientsRepository,
} from '../../../../functions/auth/token/clients';
import { OAuthError } from '../../../../functions/auth/token/oauth-error';
import { InMemoryReplayStore } from '../../../../functions/auth/token/replay';
import { ISSUER, T0, T0_SECONDS } from '../fixtures';

// The work a refusal costs is counted, not timed: every refusal must run the same verification
// (one signature check, or one keyed hash and one constant-time compare), known client or not.
vi.mock('jose', async (importOriginal) => {
  const actual = await importOriginal<typeof import('jose')>();
  return { ...actual, jwtVerify: vi.fn(actual.jwtVerify) };
});
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return {
    ...actual,
    createHmac: vi.fn(actual.createHmac),
    timingSafeEqual: vi.fn(actual.timingSafeEqual),
    scrypt: vi.fn(actual.scrypt),
  };
});

const SECRET = 'counted-secret-0123456789abcdef0123456789abcdef';
let ctx: ClientAuthContext;
let clientKey: jose.CryptoKey;
let rsaKey: jose.CryptoKey;

beforeAll(async () => {
  const ec = await jose.generateKeyPair('ES256');
  const rsa = await jose.generateKeyPair('RS256');
  clientKey = ec.privateKey;
  rsaKey = rsa.privateKey;
  const publicJwk = await jose.exportJWK(ec.publicKey);
  const secretHash = await hashClientSecret(SECRET);
  const scopes = ['a/read'];
  ctx = {
    clients: new InMemoryClientsRepository([
      { clientId: 'known', secretHash, publicJwk, scopes },
      { clientId: 'disabled', secretHash, publicJwk, scopes, disabled: 'true' },
      { clientId: 'expired', secretHash, publicJwk, scopes, expiresAt: T0_SECONDS - 60 },
      { clientId: 'secretless', scopes },
      { clientId: 'keyless', secretHash, scopes },
    ]),
    replay: new InMemoryReplayStore(() => T0.getTime()),
    issuer: ISSUER,
    tokenEndpoint: `${ISSUER}/oauth2/token`,
    now: T0,
    clockToleranceSeconds: 30,
    maxAssertionLifetimeSeconds: 300,
    realm: 'oauth2',
  };
});

beforeEach(() => vi.clearAllMocks());

function signed(clientId: string, key = clientKey, alg = 'ES256') {
  return new jose.SignJWT({})
    .setProtectedHeader({ alg })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(ISSUER)
    .setIssuedAt(T0_SECONDS)
    .setExpirationTime(T0_SECONDS + 60)
    .setJti(crypto.randomUUID())
    .sign(key);
}

async function refusal(params: Record<string, string>): Promise<OAuthError> {
  const error = await authenticateClient(null, new Map(Object.entries(params)), ctx).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OAuthError);
  expect((error as OAuthError).error).toBe('invalid_client');
  return error as OAuthError;
}

describe('client authentication: a refusal costs the same work whether or not the client exists', () => {
  it.each(['ghost', 'disabled', 'expired', 'keyless'])(
    'private_key_jwt for %s: one signature verification, and refused',
    async (clientId) => {
      const assertion = await signed(clientId);
      await refusal({
        client_assertion_type: JWT_BEARER_ASSERTION_TYPE,
        client_assertion: assertion,
      });
      expect(jose.jwtVerify).toHaveBeenCalledTimes(1);
      expect(vi.mocked(jose.jwtVerify).mock.calls[0][0]).toBe(assertion);
    },
  );

  it('private_key_jwt for a known client with a wrong signature: the same one verification', async () => {
    const forged = await signed('known', (await jose.generateKeyPair('ES256')).privateKey);
    await refusal({ client_assertion_type: JWT_BEARER_ASSERTION_TYPE, client_assertion: forged });
    expect(jose.jwtVerify).toHaveBeenCalledTimes(1);
  });

  it('private_key_jwt with an algorithm the key does not fit: still one verification (RS256)', async () => {
    for (const clientId of ['known', 'ghost']) {
      vi.clearAllMocks();
      await refusal({
        client_assertion_type: JWT_BEARER_ASSERTION_TYPE,
        client_assertion: await signed(clientId, rsaKey, 'RS256'),
      });
      expect(jose.jwtVerify, clientId).toHaveBeenCalledTimes(1);
    }
  });

  it('a valid assertion of the known client passes with that one verification', async () => {
    const result = await authenticateClient(
      null,
      new Map([
        ['client_assertion_type', JWT_BEARER_ASSERTION_TYPE],
        ['client_assertion', await signed('known')],
      ]),
      ctx,
    );
    expect(result.client.clientId).toBe('known');
    expect(jose.jwtVerify).toHaveBeenCalledTimes(1);
  });

  it.each(['ghost', 'disabled', 'expired', 'secretless', 'known'])(
    'client secret for %s (wrong or unusable): one keyed hash, one constant-time compare, no scrypt',
    async (clientId) => {
      await refusal({ client_id: clientId, client_secret: `${SECRET}-wrong` });
      expect(crypto.createHmac).toHaveBeenCalledTimes(1);
      expect(crypto.timingSafeEqual).toHaveBeenCalledTimes(1);
      expect(crypto.scrypt).not.toHaveBeenCalled();
    },
  );

  it('the right secret of a disabled client is refused after the same work', async () => {
    await refusal({ client_id: 'disabled', client_secret: SECRET });
    expect(crypto.createHmac).toHaveBeenCalledTimes(1);
    expect(crypto.timingSafeEqual).toHaveBeenCalledTimes(1);
  });
});
