import { createHash } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { problemResponse } from '../runtime/http/problem';

/**
 * The operator console's static side, served through the platform's gateway (same origin as the
 * API and the authorization server): the page, its script and style sheet, and the few settings
 * the page cannot know by itself. Every answer carries a Content-Security-Policy that admits
 * nothing but this origin's own files: no inline script or style, no framing.
 */

/** The console's files as the build wrote them (`dist/platform-functions/console/assets/`). */
export interface ConsoleAssets {
  /** The page; `{{BASE}}` stands for the console's absolute path (`/prod/console`). */
  readonly html: string;
  readonly js: string;
  readonly css: string;
}

export interface ConsoleSettings {
  /** The OAuth2 public client the console logs in as. */
  readonly clientId: string;
  /** Scopes it asks for: a read scope for the views, the admin scope for actions. */
  readonly scopes: readonly string[];
  /** Where each request's trace is shown. */
  readonly traces: TraceLinks;
}

/** Zipkin locally (`{traceId}` in the UI's trace page), the X-Ray console on AWS. */
export type TraceLinks =
  | { readonly kind: 'zipkin'; readonly url: string }
  | { readonly kind: 'xray'; readonly region: string };

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  // The admin API and the token endpoint share the console's origin.
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers on every answer, page or not. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  // The callback URL carries the authorization code: never send it on as a referrer.
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
};

interface Served {
  readonly contentType: string;
  readonly body: string;
  readonly etag: string;
}

/** A path segment of the console as the page may name it: what the routes declare, nothing else. */
const BASE_PATH = /^(\/[A-Za-z0-9._~-]+)*$/;

export class ConsoleServer {
  private readonly files: ReadonlyMap<string, Served>;

  constructor(
    private readonly assets: ConsoleAssets,
    private readonly settings: ConsoleSettings,
  ) {
    this.files = new Map([
      ['app.js', served('text/javascript; charset=utf-8', assets.js)],
      ['app.css', served('text/css; charset=utf-8', assets.css)],
    ]);
  }

  handle(event: APIGatewayProxyEvent): APIGatewayProxyResult {
    if (event.httpMethod !== 'GET' && event.httpMethod !== 'HEAD') {
      return this.problem(405, 'Method Not Allowed', 'The console answers GET only.');
    }
    const resource = event.resource;
    if (resource === '/console' || resource === '/console/callback') return this.page(event);
    if (resource === '/console/config') return this.config(event);
    if (resource === '/console/assets/{file}') {
      const file = this.files.get(event.pathParameters?.file ?? '');
      if (!file) return this.problem(404, 'Not Found', 'No such console file.');
      return this.file(event, file);
    }
    return this.problem(404, 'Not Found', 'No such console page.');
  }

  private page(event: APIGatewayProxyEvent): APIGatewayProxyResult {
    const base = `${stagePrefix(event)}/console`;
    const html = this.assets.html.split('{{BASE}}').join(base);
    return {
      statusCode: 200,
      headers: {
        ...SECURITY_HEADERS,
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
      },
      body: html,
    };
  }

  private config(event: APIGatewayProxyEvent): APIGatewayProxyResult {
    const apiBase = stagePrefix(event);
    return {
      statusCode: 200,
      headers: {
        ...SECURITY_HEADERS,
        'content-type': 'application/json',
        'cache-control': 'no-store',
      },
      body: JSON.stringify({
        apiBase,
        clientId: this.settings.clientId,
        scopes: this.settings.scopes,
        traces: this.settings.traces,
      }),
    };
  }

  private file(event: APIGatewayProxyEvent, file: Served): APIGatewayProxyResult {
    const headers = {
      ...SECURITY_HEADERS,
      'content-type': file.contentType,
      // Revalidated on every load (cheap: a 304), so a deploy shows at once.
      'cache-control': 'no-cache',
      etag: file.etag,
    };
    const match = header(event, 'if-none-match');
    if (match !== undefined && match.split(',').some((tag) => tag.trim() === file.etag)) {
      return { statusCode: 304, headers, body: '' };
    }
    return { statusCode: 200, headers, body: file.body };
  }

  private problem(status: number, title: string, detail: string): APIGatewayProxyResult {
    return problemResponse({ title, status, detail }, { ...SECURITY_HEADERS });
  }
}

function served(contentType: string, body: string): Served {
  const digest = createHash('sha256').update(body).digest('base64url').slice(0, 22);
  return { contentType, body, etag: `"${digest}"` };
}

function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === name && typeof value === 'string') return value;
  }
  return undefined;
}

/**
 * The path before the route: the stage on the default execute-api endpoint (`/prod`), a base
 * path mapping on a custom domain, nothing locally. API Gateway gives the full path in the
 * request context and the route's path in `path`; anything unexpected falls back to no prefix.
 */
export function stagePrefix(event: APIGatewayProxyEvent): string {
  const full = event.requestContext?.path;
  const path = event.path;
  if (typeof full !== 'string' || typeof path !== 'string' || !full.endsWith(path)) return '';
  const prefix = full.slice(0, full.length - path.length);
  return BASE_PATH.test(prefix) ? prefix : '';
}

/** Where traces are linked: Zipkin when the local platform names one, else the X-Ray console. */
export function traceLinksFrom(env: Readonly<Record<string, string | undefined>>): TraceLinks {
  const zipkin = env.CONSOLE_ZIPKIN_URL;
  if (zipkin && /^https?:\/\/[^\s"'<>]+$/.test(zipkin)) {
    return { kind: 'zipkin', url: zipkin.replace(/\/+$/, '') };
  }
  return { kind: 'xray', region: env.AWS_REGION ?? 'us-east-1' };
}
