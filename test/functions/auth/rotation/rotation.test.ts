import { describe, expect, it } from 'vitest';
import { createLocalJWKSet, jwtVerify } from 'jose';
import {
  createRotationHandler,
  rotationPolicyFromEnv,
} from '../../../../functions/auth/rotation/handler';
import { revokeKey, rotateKeys } from '../../../../functions/auth/rotation/rotate';
import { createTokenService } from '../../../../functions/auth/token/token-service';
import {
  hashClientSecret,
  InMemoryClientsRepository,
} from '../../../../functions/auth/token/clients';
import { InMemoryReplayStore } from '../../../../functions/auth/token/replay';
import {
  CachedKeyDocument,
  InMemoryKeyStore,
  jwksOf,
  keyStoreFromEnv,
  type KeyDocument,
} from '../../../../functions/runtime/auth/key-store';
import { ISSUER, POLICY, powertools, proxyEvent, T0 } from '../fixtures';

const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const kidsOf = (doc: KeyDocument, status?: string) =>
  doc.keys.filter((k) => !status || k.status === status).map((k) => k.kid);
const published = (doc: KeyDocument, when: Date) => jwksOf(doc, when).keys.map((k) => k.kid);

describe('rotation steps', () => {
  it('bootstraps one current and one next key, both published', async () => {
    const { document, action } = await rotateKeys(undefined, T0, POLICY);
    expect(action).toBe('bootstrapped');
    expect(kidsOf(document, 'current')).toHaveLength(1);
    expect(kidsOf(document, 'next')).toHaveLength(1);
    expect(published(document, T0).sort()).toEqual(kidsOf(document).sort());
  });

  it('publishes the next key before it signs, and promotes it only once old enough (or forced)', async () => {
    const boot = (await rotateKeys(undefined, T0, POLICY)).document;
    const [oldCurrent] = kidsOf(boot, 'current');
    const [next] = kidsOf(boot, 'next');
    expect(published(boot, T0)).toContain(next);

    const early = await rotateKeys(boot, at(60), POLICY);
    expect(early.action).toBe('unchanged');
    expect(early.changed).toBe(false);
    expect(early.reason).toMatch(/needs 900 s/);

    const forced = await rotateKeys(boot, at(60), POLICY, { force: true });
    expect(forced.action).toBe('rotated');

    const rotated = await rotateKeys(boot, at(1000), POLICY);
    expect(rotated.action).toBe('rotated');
    expect(kidsOf(rotated.document, 'current')).toEqual([next]);
    expect(kidsOf(rotated.document, 'retired')).toEqual([oldCurrent]);
    const newNext = kidsOf(rotated.document, 'next');
    expect(newNext).toHaveLength(1);
    expect(newNext[0]).not.toBe(next);
    const retired = rotated.document.keys.find((k) => k.kid === oldCurrent)!;
    expect(Date.parse(retired.publishUntil!)).toBe(
      at(1000).getTime() + POLICY.retiredGraceSeconds * 1000,
    );
  });

  it('keeps a retired key published during its grace and removes it after', async () => {
    const boot = (await rotateKeys(undefined, T0, POLICY)).document;
    const [oldCurrent] = kidsOf(boot, 'current');
    const rotated = (await rotateKeys(boot, at(1000), POLICY)).document;
    const graceEnd = 1000 + POLICY.retiredGraceSeconds;
    expect(published(rotated, at(graceEnd - 1))).toContain(oldCurrent);
    const during = await rotateKeys(rotated, at(graceEnd - 1), POLICY);
    expect(kidsOf(during.document)).toContain(oldCurrent);
    expect(published(rotated, at(graceEnd))).not.toContain(oldCurrent);
    const after = await rotateKeys(rotated, at(graceEnd + 1), POLICY);
    expect(after.removedKids).toEqual([oldCurrent]);
    expect(kidsOf(after.document)).not.toContain(oldCurrent);
  });

  it('creates a next key when only a current exists', async () => {
    const boot = (await rotateKeys(undefined, T0, POLICY)).document;
    const onlyCurrent = { ...boot, keys: boot.keys.filter((k) => k.status === 'current') };
    const result = await rotateKeys(onlyCurrent, at(10), POLICY);
    expect(result.action).toBe('published-next');
    expect(kidsOf(result.document, 'current')).toEqual(kidsOf(onlyCurrent, 'current'));
  });

  it('the default grace covers token lifetime + clock tolerance + signer key cache', () => {
    expect(
      rotationPolicyFromEnv({
        ACCESS_TOKEN_TTL_SECONDS: '900',
        CLOCK_TOLERANCE_SECONDS: '30',
        KEY_CACHE_SECONDS: '60',
      }).retiredGraceSeconds,
    ).toBe(990);
    expect(rotationPolicyFromEnv({ SIGNING_ALGORITHM: 'RS256' }).algorithm).toBe('RS256');
  });
});

describe('emergency revocation (no grace)', () => {
  it('revoking the current key removes it at once, promotes next whatever its age, publishes a new next', async () => {
    const boot = (await rotateKeys(undefined, T0, POLICY)).document;
    const [current] = kidsOf(boot, 'current');
    const [next] = kidsOf(boot, 'next');
    const { document, action, removedKids } = await revokeKey(boot, current, at(1), POLICY);
    expect(action).toBe('revoked');
    expect(removedKids).toEqual([current]);
    expect(kidsOf(document)).not.toContain(current);
    expect(published(document, at(1))).not.toContain(current);
    expect(kidsOf(document, 'current')).toEqual([next]);
    expect(kidsOf(document, 'next')).toHaveLength(1);
  });

  it('revoking a retired key in its grace removes it from the JWKS at once', async () => {
    const boot = (await rotateKeys(undefined, T0, POLICY)).document;
    const [oldCurrent] = kidsOf(boot, 'current');
    const rotated = (await rotateKeys(boot, at(1000), POLICY)).document;
    expect(published(rotated, at(1001))).toContain(oldCurrent);
    const { document } = await revokeKey(rotated, oldCurrent, at(1001), POLICY);
    expect(published(document, at(1001))).not.toContain(oldCurrent);
    expect(kidsOf(document, 'current')).toEqual(kidsOf(rotated, 'current'));
  });

  it('an unknown kid fails and the handler saves nothing', async () => {
    const store = new InMemoryKeyStore();
    const rotate = createRotationHandler({ store, policy: POLICY, powertools: powertools() });
    await rotate({});
    const before = JSON.stringify(await store.load());
    await expect(rotate({ action: 'revoke', kid: 'no-such-kid' })).rejects.toThrow(
      /no signing key with kid 'no-such-kid'/,
    );
    expect(JSON.stringify(await store.load())).toBe(before);
  });

  it('the handler revokes by kid and saves the key set without it', async () => {
    const store = new InMemoryKeyStore();
    const rotate = createRotationHandler({ store, policy: POLICY, powertools: powertools() });
    await rotate({});
    const [current] = kidsOf((await store.load())!, 'current');
    const summary = await rotate({ action: 'revoke', kid: current });
    expect(summary.action).toBe('revoked');
    expect(kidsOf((await store.load())!)).not.toContain(current);
  });
});

describe('rotation handler and the token service', () => {
  it('tokens signed after each rotation verify through the JWKS, old ones during grace too', async () => {
    const store = new InMemoryKeyStore();
    let now = T0;
    const rotate = createRotationHandler({
      store,
      policy: POLICY,
      powertools: powertools(),
      clock: () => now,
    });
    expect((await rotate({ source: 'aws.events', 'detail-type': 'Scheduled Event' })).action).toBe(
      'bootstrapped',
    );

    const secret = 'rotation-test-secret-0123456789abcdef';
    const service = () =>
      createTokenService({
        clients: new InMemoryClientsRepository([
          { clientId: 'c', secretHash: secretHash, scopes: ['a'] },
        ]),
        keys: new CachedKeyDocument(store, 0),
        replay: new InMemoryReplayStore(),
        powertools: powertools(),
        clock: () => now,
        options: { issuer: ISSUER },
      });
    const secretHash = await hashClientSecret(secret);
    const issue = async () => {
      const result = await service()(
        proxyEvent({
          method: 'POST',
          resource: '/oauth2/token',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: `grant_type=client_credentials&client_id=c&client_secret=${secret}`,
        }),
      );
      expect(result.statusCode).toBe(200);
      return JSON.parse(result.body).access_token as string;
    };
    const verify = async (token: string) => {
      const jwks = JSON.parse(
        (await service()(proxyEvent({ resource: '/.well-known/jwks.json' }))).body,
      );
      return jwtVerify(token, createLocalJWKSet(jwks), {
        issuer: ISSUER,
        audience: ISSUER,
        currentDate: now,
        typ: 'at+jwt',
      });
    };

    now = at(990);
    const first = await issue();
    const firstKid = (await verify(first)).protectedHeader.kid;
    now = at(1000);
    expect((await rotate({ action: 'rotate' })).action).toBe('rotated');
    const second = await issue();
    expect((await verify(second)).protectedHeader.kid).not.toBe(firstKid);
    // the first token, signed by the now retired key, still verifies within its lifetime
    now = at(1100);
    await expect(verify(first)).resolves.toBeDefined();
    await expect(verify(second)).resolves.toBeDefined();

    const status = await rotate({ action: 'status' });
    expect(status.keys.map((k) => k.status).sort()).toEqual(['current', 'next', 'retired']);
    expect(JSON.stringify(status)).not.toMatch(/"d"/);
    await expect(rotate({ action: 'explode' })).rejects.toThrow();
  });
});

describe('key stores', () => {
  // SsmKeyStore itself is tested against the emulator: test/integration/auth/signing-key-store.test.ts.
  it('the store comes from the environment, and a missing location is refused by name', () => {
    expect(() =>
      keyStoreFromEnv({
        SIGNING_KEYS_PATH: '/_auth/shop/dev/signing-keys',
        SIGNING_KEY_SET_PARAMETER: '/_auth/shop/dev/signing-key-set',
      }),
    ).not.toThrow();
    expect(() => keyStoreFromEnv({ SIGNING_KEYS_PATH: '/_auth/shop/dev/signing-keys' })).toThrow(
      /SIGNING_KEY_SET_PARAMETER/,
    );
    expect(() => keyStoreFromEnv({})).toThrow(/SIGNING_KEYS_PATH/);
  });

  it('the cached document is loaded once per TTL and survives a failed reload', async () => {
    let now = 0;
    const store = new InMemoryKeyStore((await rotateKeys(undefined, T0, POLICY)).document);
    const cache = new CachedKeyDocument(store, 60_000, () => now);
    await Promise.all([cache.get(), cache.get(), cache.get()]);
    expect(store.loads).toBe(1);
    now = 30_000;
    await cache.get();
    expect(store.loads).toBe(1);
    now = 61_000;
    store.load = async () => {
      throw new Error('ssm down');
    };
    await expect(cache.get()).resolves.toBeDefined();
  });
});
