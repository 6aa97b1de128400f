import {
  emptyKeyDocument,
  generateSigningKey,
  type KeyDocument,
  type SigningAlgorithm,
  type StoredKey,
} from '../../runtime/auth/key-store';

export interface RotationPolicy {
  readonly algorithm: SigningAlgorithm;
  /**
   * How long a retired key stays published: the longest access-token lifetime + the verifiers'
   * clock tolerance + how long a token service may keep signing with a cached (now retired) key.
   */
  readonly retiredGraceSeconds: number;
  /**
   * A `next` key is promoted only when it has been published at least this long, so that every
   * verifier's JWKS cache (Cache-Control max-age, jose cacheMaxAge) has seen it. `force` skips it.
   */
  readonly minNextAgeSeconds: number;
}

export type RotationAction =
  'bootstrapped' | 'published-next' | 'rotated' | 'revoked' | 'unchanged';

export interface RotationResult {
  readonly document: KeyDocument;
  readonly action: RotationAction;
  readonly removedKids: string[];
  readonly changed: boolean;
  readonly reason?: string;
}

/**
 * One rotation step, pure apart from key generation:
 * - no current key → create one `current` and one `next` (bootstrap);
 * - current but no next → publish a `next` (it signs only after the following rotation);
 * - next old enough (or `force`) → next becomes current, the previous current is retired with
 *   `publishUntil = now + grace`, and a new next is published;
 * - in every case retired keys past `publishUntil` are removed.
 */
export async function rotateKeys(
  input: KeyDocument | undefined,
  now: Date,
  policy: RotationPolicy,
  options: { force?: boolean } = {},
): Promise<RotationResult> {
  const document: KeyDocument = structuredClone(input ?? emptyKeyDocument());
  const before = JSON.stringify(document);
  const iso = now.toISOString();

  const removedKids: string[] = [];
  document.keys = document.keys.filter((key) => {
    const expired =
      key.status === 'retired' &&
      (key.publishUntil === undefined || Date.parse(key.publishUntil) <= now.getTime());
    if (expired) removedKids.push(key.kid);
    return !expired;
  });

  const current = document.keys.filter((key) => key.status === 'current');
  const next = document.keys.filter((key) => key.status === 'next');
  let action: RotationAction = 'unchanged';
  let reason: string | undefined;

  if (current.length === 0 && next.length === 0) {
    document.keys.push(await generateSigningKey(policy.algorithm, now, 'current'));
    document.keys.push(await generateSigningKey(policy.algorithm, now, 'next'));
    action = 'bootstrapped';
  } else if (next.length === 0) {
    document.keys.push(await generateSigningKey(policy.algorithm, now, 'next'));
    action = 'published-next';
  } else {
    const candidate = oldest(next);
    const ageSeconds = (now.getTime() - Date.parse(candidate.createdAt)) / 1000;
    if (!options.force && ageSeconds < policy.minNextAgeSeconds) {
      reason = `next key published ${Math.floor(ageSeconds)} s ago; promotion needs ${policy.minNextAgeSeconds} s`;
    } else {
      const publishUntil = new Date(
        now.getTime() + policy.retiredGraceSeconds * 1000,
      ).toISOString();
      for (const key of current) {
        key.status = 'retired';
        key.retiredAt = iso;
        key.publishUntil = publishUntil;
      }
      candidate.status = 'current';
      candidate.activatedAt = iso;
      if (next.length === 1)
        document.keys.push(await generateSigningKey(policy.algorithm, now, 'next'));
      action = 'rotated';
    }
  }
  return { document, action, removedKids, changed: JSON.stringify(document) !== before, reason };
}

function oldest(keys: StoredKey[]): StoredKey {
  return keys.reduce((a, b) => (Date.parse(a.createdAt) <= Date.parse(b.createdAt) ? a : b));
}

/**
 * Emergency removal of one key (a suspected leak): no grace. The key leaves the set at once, so
 * its private half is deleted with its history on save and verifiers drop it (and every token
 * they cached under it) within their key-set cache age. Revoking the `current` key promotes the
 * `next` one whatever its age (or creates a new current key) and publishes a fresh `next`.
 * An unknown `kid` is an error and changes nothing.
 */
export async function revokeKey(
  input: KeyDocument | undefined,
  kid: string,
  now: Date,
  policy: RotationPolicy,
): Promise<RotationResult> {
  const document: KeyDocument = structuredClone(input ?? emptyKeyDocument());
  const revoked = document.keys.find((key) => key.kid === kid);
  if (!revoked) throw new UnknownKeyError(kid);
  document.keys = document.keys.filter((key) => key.kid !== kid);
  if (revoked.status === 'current') {
    const next = document.keys.filter((key) => key.status === 'next');
    if (next.length > 0) {
      const candidate = oldest(next);
      candidate.status = 'current';
      candidate.activatedAt = now.toISOString();
    } else {
      document.keys.push(await generateSigningKey(policy.algorithm, now, 'current'));
    }
  }
  if (!document.keys.some((key) => key.status === 'next'))
    document.keys.push(await generateSigningKey(policy.algorithm, now, 'next'));
  return { document, action: 'revoked', removedKids: [kid], changed: true };
}

/** A revocation named a key the set does not hold. */
export class UnknownKeyError extends Error {
  constructor(readonly kid: string) {
    super(`no signing key with kid '${kid}' in the key set; nothing was revoked`);
    this.name = 'UnknownKeyError';
  }
}
