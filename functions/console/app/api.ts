import type { Session } from './session';

/** An RFC 9457 problem (or anything else) the API answered instead of what was asked. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** One request the console made, with the trace that recorded it. */
export interface RequestRecord {
  readonly at: string;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly correlationId: string;
  /** X-Ray form (`1-xxxxxxxx-yyyy…`), from the gateway's `x-amzn-trace-id` answer. */
  readonly traceId?: string;
}

const KEPT_REQUESTS = 50;

/**
 * The admin API as the console calls it: a bearer token on every request, a fresh correlation
 * ID per request, one retry after a refresh when the token was refused, problems turned into
 * errors with their `detail`. Keeps the last requests with their trace IDs (the traces page).
 */
export class AdminClient {
  readonly requests: RequestRecord[] = [];

  constructor(
    private readonly session: Session,
    private readonly apiBase: string,
  ) {}

  async get<T>(path: string): Promise<T> {
    return this.send<T>('GET', path);
  }

  async send<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response = await this.fetch(method, path, body, await this.session.token());
    if (response.status === 401) {
      await this.session.refresh();
      response = await this.fetch(method, path, body, await this.session.token());
    }
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    const parsed: unknown = text ? safeJson(text) : undefined;
    if (!response.ok) {
      const problem = (parsed ?? {}) as { detail?: unknown; title?: unknown; message?: unknown };
      const detail = problem.detail ?? problem.title ?? problem.message ?? response.statusText;
      throw new ApiError(response.status, `${response.status}: ${String(detail)}`);
    }
    return parsed as T;
  }

  private async fetch(
    method: string,
    path: string,
    body: unknown,
    token: string,
  ): Promise<Response> {
    const correlationId = crypto.randomUUID();
    const headers: Record<string, string> = {
      authorization: `Bearer ${token}`,
      'x-correlation-id': correlationId,
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${this.apiBase}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
    });
    const traceHeader = response.headers.get('x-amzn-trace-id') ?? '';
    this.requests.unshift({
      at: new Date().toISOString(),
      method,
      path: path.split('?')[0],
      status: response.status,
      correlationId,
      traceId: /Root=(1-[0-9a-f]{8}-[0-9a-f]{24})/.exec(traceHeader)?.[1],
    });
    this.requests.length = Math.min(this.requests.length, KEPT_REQUESTS);
    return response;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
