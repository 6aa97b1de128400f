import { describe, expect, it } from 'vitest';
import {
  CLIENT_SECRET_MIN_LENGTH,
  hashClientSecret,
  isLegacyClientSecretHash,
  verifyClientSecret,
} from '../../../../functions/auth/token/client-secret';
import { hashSecret } from '../../../../functions/auth/token/secret-hash';

const SECRET = 'aZ3-random-looking-secret-0123456789abcdefXY';

describe('client secret hashing (HMAC-SHA-256, per-client salt)', () => {
  it('stores hmac-sha256$salt$mac with a fresh salt each time, never the secret', async () => {
    const [a, b] = [await hashClientSecret(SECRET), await hashClientSecret(SECRET)];
    expect(a).toMatch(/^hmac-sha256\$[\w-]{22}\$[\w-]{43}$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain(SECRET);
  });

  it('verifies the secret and nothing else', async () => {
    const hash = await hashClientSecret(SECRET);
    expect(await verifyClientSecret(SECRET, hash)).toBe(true);
    expect(await verifyClientSecret(`${SECRET}x`, hash)).toBe(false);
    expect(await verifyClientSecret(SECRET.slice(0, -1), hash)).toBe(false);
    expect(await verifyClientSecret('', hash)).toBe(false);
  });

  it('answers false for no hash or an unreadable one', async () => {
    for (const hash of [
      undefined,
      '',
      'hmac-sha256$',
      'hmac-sha256$c2FsdA$dG9vLXNob3J0',
      'md5$x$y',
      'scrypt$bad',
    ])
      expect(await verifyClientSecret(SECRET, hash), String(hash)).toBe(false);
  });

  it('refuses to store a secret shorter than a random one', async () => {
    await expect(hashClientSecret('x'.repeat(CLIENT_SECRET_MIN_LENGTH - 1))).rejects.toThrow(
      /at least 32 characters/,
    );
  });
});

describe('client secret hashes from before the keyed format (scrypt)', () => {
  it('still verify', async () => {
    const legacy = await hashSecret(SECRET, { N: 1024 });
    expect(isLegacyClientSecretHash(legacy)).toBe(true);
    expect(await verifyClientSecret(SECRET, legacy)).toBe(true);
    expect(await verifyClientSecret(`${SECRET}x`, legacy)).toBe(false);
  });
});
