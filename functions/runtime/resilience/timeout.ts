import type { Clock } from './clock';

/**
 * Runs `work` with an AbortSignal that fires after `timeoutMs` (0 = never). The caller stops
 * waiting at that moment even if `work` ignores the signal; a late settlement is swallowed.
 * Every call runs on the breaker's path, so it makes one promise of its own and no more.
 */
export function withTimeout<T>(
  clock: Clock,
  timeoutMs: number,
  work: (signal: AbortSignal) => Promise<T>,
  timeoutError: () => Error,
): Promise<T> {
  // Every call gets its own signal, limited or not: a callee that adds an abort listener and
  // never removes it must not pile listeners (and their closures) onto one long-lived signal.
  const controller = new AbortController();
  let running: Promise<T>;
  try {
    running = work(controller.signal);
  } catch (error) {
    return Promise.reject(error);
  }
  if (!(timeoutMs > 0 && Number.isFinite(timeoutMs))) return Promise.resolve(running);
  return new Promise<T>((resolve, reject) => {
    const timer = clock.setTimeout(() => {
      const error = timeoutError();
      reject(error);
      controller.abort(error);
    }, timeoutMs);
    // Settling after the time is up changes nothing: the promise is already rejected.
    Promise.resolve(running).then(
      (value) => {
        clock.clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clock.clearTimeout(timer);
        reject(error);
      },
    );
  });
}
