import { describe, expect, it } from 'vitest';
import {
  DEFAULT_VIEW_CACHE_MS,
  ViewCache,
  viewCacheMaxAge,
} from '../../../functions/admin/view-cache';

/** A read that counts its calls and answers when told. */
function controlledRead() {
  let calls = 0;
  const pending: { resolve: (value: number) => void; reject: (error: Error) => void }[] = [];
  return {
    read: () =>
      new Promise<number>((resolve, reject) => {
        calls++;
        pending.push({ resolve, reject });
      }),
    calls: () => calls,
    answer: (value: number) => pending.shift()!.resolve(value),
    fail: () => pending.shift()!.reject(new Error('table unavailable')),
  };
}

describe('ViewCache', () => {
  it('serves N polls within the cache age from one read, and reads again once it is older', async () => {
    let now = 1_000;
    const source = controlledRead();
    const cache = new ViewCache(
      source.read,
      () => 2000,
      () => now,
    );
    const first = cache.get();
    source.answer(7);
    expect(await first).toBe(7);
    for (let poll = 0; poll < 50; poll++) {
      now += 39; // 50 polls spread over 1.95 s
      expect(await cache.get()).toBe(7);
    }
    expect(source.calls()).toBe(1);
    now = 1_000 + 2000;
    const next = cache.get();
    source.answer(8);
    expect(await next).toBe(8);
    expect(source.calls()).toBe(2);
  });

  it('lets concurrent polls share the read in flight', async () => {
    const source = controlledRead();
    const cache = new ViewCache(
      source.read,
      () => 2000,
      () => 0,
    );
    const polls = Array.from({ length: 10 }, () => cache.get());
    source.answer(3);
    expect(await Promise.all(polls)).toEqual(Array(10).fill(3));
    expect(source.calls()).toBe(1);
  });

  it('keeps no failed read: the next poll reads again', async () => {
    const source = controlledRead();
    const cache = new ViewCache(
      source.read,
      () => 2000,
      () => 0,
    );
    const failed = cache.get();
    source.fail();
    await expect(failed).rejects.toThrow('table unavailable');
    const retried = cache.get();
    source.answer(5);
    expect(await retried).toBe(5);
    expect(source.calls()).toBe(2);
  });

  it('drops the view on invalidate, and a read begun before it does not fill the cache', async () => {
    const source = controlledRead();
    const cache = new ViewCache(
      source.read,
      () => 2000,
      () => 0,
    );
    const stale = cache.get();
    cache.invalidate();
    const fresh = cache.get();
    source.answer(1); // the read from before the operator's change
    source.answer(2);
    expect(await stale).toBe(1);
    expect(await fresh).toBe(2);
    expect(await cache.get()).toBe(2);
    expect(source.calls()).toBe(2);
  });

  it('caches nothing when the age is 0', async () => {
    const source = controlledRead();
    const cache = new ViewCache(
      source.read,
      () => 0,
      () => 0,
    );
    const first = cache.get();
    source.answer(1);
    await first;
    const second = cache.get();
    source.answer(2);
    expect(await second).toBe(2);
    expect(source.calls()).toBe(2);
  });
});

describe('viewCacheMaxAge', () => {
  it('reads ADMIN_VIEW_CACHE_MS, and falls back to the default for anything but a non-negative number', () => {
    expect(viewCacheMaxAge({ ADMIN_VIEW_CACHE_MS: '500' })).toBe(500);
    expect(viewCacheMaxAge({ ADMIN_VIEW_CACHE_MS: '0' })).toBe(0);
    expect(viewCacheMaxAge({})).toBe(DEFAULT_VIEW_CACHE_MS);
    expect(viewCacheMaxAge({ ADMIN_VIEW_CACHE_MS: '-1' })).toBe(DEFAULT_VIEW_CACHE_MS);
    expect(viewCacheMaxAge({ ADMIN_VIEW_CACHE_MS: 'soon' })).toBe(DEFAULT_VIEW_CACHE_MS);
  });
});
