import { CallTimeoutError } from './errors';

/**
 * The HTTP status an error or a response carries, wherever the usual clients put it: `status`
 * (fetch, ServiceCallError), `statusCode` (API Gateway results, many HTTP libraries) or
 * `$metadata.httpStatusCode` (AWS SDK v3).
 */
export function httpStatusOf(value: unknown): number | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const candidate = value as {
    status?: unknown;
    statusCode?: unknown;
    $metadata?: { httpStatusCode?: unknown };
  };
  for (const status of [
    candidate.status,
    candidate.statusCode,
    candidate.$metadata?.httpStatusCode,
  ]) {
    if (typeof status === 'number' && Number.isInteger(status)) return status;
  }
  return undefined;
}

/** 5xx means the dependency is in trouble, and 429 that it is overloaded; other statuses do not. */
export function isFailureStatus(status: number): boolean {
  return status >= 500 || status === 429;
}

/**
 * Default for thrown errors: everything counts (timeouts included) except errors that carry a
 * status below 500 other than 429, since a 4xx says the request was wrong, not the dependency.
 */
export function isFailureError(error: unknown): boolean {
  if (error instanceof CallTimeoutError) return true;
  const status = httpStatusOf(error);
  if (status === undefined || status < 400) return true;
  return isFailureStatus(status);
}

/** Default for returned values: a response object that carries a 5xx or 429 status counts. */
export function isFailureResult(result: unknown): boolean {
  const status = httpStatusOf(result);
  return status !== undefined && isFailureStatus(status);
}
