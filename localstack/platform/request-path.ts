/** A request target split the way API Gateway (REST) reads it before matching a resource. */
export interface RequestTarget {
  /** The path as sent, still percent-encoded (what `$context.path` shows). */
  readonly rawPath: string;
  /**
   * The path percent-decoded once and without a trailing slash: `/admin/%63ircuits/` becomes
   * `/admin/circuits`. Routes, path parameters and the authorizer's method ARN all use it.
   */
  readonly path: string;
  /** The decoded segments of `path`; an empty one (`//`) matches no resource. */
  readonly segments: readonly string[];
  readonly query: URLSearchParams;
}

export type ParsedTarget =
  | ({ readonly ok: true } & RequestTarget)
  | { readonly ok: false; readonly rawPath: string; readonly reason: string };

/**
 * Reads an HTTP request target (origin form `/p?q`, or absolute form `http://h/p?q`). API
 * Gateway decodes the path once before it splits it into segments, so `%2F` separates segments
 * like `/`, and it ignores a trailing slash (`/books/` is `/books`). Never parsed as a URL
 * relative to a base: `//host/path` is a path whose first segment is empty, not another host.
 */
export function parseRequestTarget(target: string): ParsedTarget {
  let pathAndQuery = target;
  if (!target.startsWith('/')) {
    if (!/^https?:\/\//i.test(target)) {
      return { ok: false, rawPath: '/', reason: 'The request target is not a path.' };
    }
    try {
      const url = new URL(target);
      pathAndQuery = `${url.pathname}${url.search}`;
    } catch {
      return { ok: false, rawPath: '/', reason: 'The request target is not a valid URL.' };
    }
  }
  const queryStart = pathAndQuery.indexOf('?');
  const rawPath = (queryStart < 0 ? pathAndQuery : pathAndQuery.slice(0, queryStart)).split('#')[0];
  const rawQuery = queryStart < 0 ? '' : pathAndQuery.slice(queryStart + 1).split('#')[0];
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return { ok: false, rawPath, reason: 'The request path is not valid percent-encoding.' };
  }
  const segments = decoded.split('/').slice(1);
  if (segments.length > 0 && segments[segments.length - 1] === '') segments.pop();
  return {
    ok: true,
    rawPath,
    path: `/${segments.join('/')}`,
    segments,
    query: new URLSearchParams(rawQuery),
  };
}
