import type { Clock } from './clock';

/**
 * Runs `work` with an AbortSignal that fires after `timeoutMs` (0 = never). The caller stops
 * waiting at that moment even if `work` ignores the signal; a late settlement is swallowed.
 */
export async function withTimeout<T>(
  clock: Clock,
  timeoutMs: number,
  work: (signal: AbortSignal) => Promise<T>,
  timeoutError: () => Error,
): Promise<T> {
  const limited = timeoutMs > 0 && Number.isFinite(timeoutMs);
  // Every call gets its own signal, limited or not: a callee that adds an abort listener and
  // never removes it must not pile listeners (and their closures) onto one long-lived signal.
  const controller = new AbortController();
  let running: Promise<T>;
  try {
    running = work(controller.signal);
  } catch (error) {
    running = Promise.reject(error);
  }
  if (!limited) return running;
  let timer: unknown;
  const expired = new Promise<never>((_, reject) => {
    timer = clock.setTimeout(() => {
      const error = timeoutError();
      reject(error);
      controller.abort(error);
    }, timeoutMs);
  });
  running.catch(() => undefined);
  try {
    return await Promise.race([running, expired]);
  } finally {
    clock.clearTimeout(timer);
  }
}
