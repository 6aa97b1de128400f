import { randomUUID } from 'node:crypto';

/** The header every service-to-service call carries; API Gateway clients may send it too. */
export const CORRELATION_ID_HEADER = 'x-correlation-id';

const VALID_CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Reuses a caller's correlation ID when it is well formed (so a trail can start at the client),
 * otherwise starts a new one. A malformed value is dropped rather than logged: it is input
 * nobody validated.
 */
export function resolveCorrelationId(
  headers: Record<string, string | undefined> | null | undefined,
  fallback: string = randomUUID(),
): string {
  const value = findHeader(headers, CORRELATION_ID_HEADER);
  return value !== undefined && VALID_CORRELATION_ID.test(value) ? value : fallback;
}

export function isValidCorrelationId(value: unknown): value is string {
  return typeof value === 'string' && VALID_CORRELATION_ID.test(value);
}

/** Case-insensitive header look-up, as HTTP requires. */
export function findHeader(
  headers: Record<string, string | undefined> | null | undefined,
  name: string,
): string | undefined {
  if (!headers) return undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted && value !== undefined) return value;
  }
  return undefined;
}
