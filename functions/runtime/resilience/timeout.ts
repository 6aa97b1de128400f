import type { Clock } from './clock';

const NEVER_ABORTED = new AbortController().signal;

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
  // Signals are not free to make: a call without a time limit shares one that never fires.
  const controller = limited ? new AbortController() : undefined;
  let running: Promise<T>;
  try {
    running = work(controller?.signal ?? NEVER_ABORTED);
  } catch (error) {
    running = Promise.reject(error);
  }
  if (!controller) return running;
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
