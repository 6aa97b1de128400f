import { createHash } from 'node:crypto';
import type { APIGatewayProxyResult } from 'aws-lambda';

/**
 * The login page and the error page people see on the authorization endpoint. Every value shown
 * is escaped (it may come from a request); the page carries no script at all, its one style
 * block is allowed by hash, and it may not be framed (clickjacking) or post anywhere but here.
 */

const STYLE = `
body{font:16px/1.5 system-ui,sans-serif;background:#f4f5f7;color:#1d2129;margin:0}
main{max-width:22rem;margin:8vh auto;background:#fff;padding:2rem;border-radius:8px;box-shadow:0 1px 4px #0002}
h1{font-size:1.4rem;margin:0 0 .25rem}
p.client{margin:0 0 1.25rem;color:#555}
label{display:block;margin:.75rem 0 .25rem;font-weight:600}
input{width:100%;box-sizing:border-box;padding:.5rem;font:inherit;border:1px solid #bbb;border-radius:4px}
button{margin-top:1.25rem;width:100%;padding:.6rem;font:inherit;font-weight:600;color:#fff;background:#2457c5;border:0;border-radius:4px;cursor:pointer}
.error{background:#fdecea;color:#8a1c12;padding:.6rem .75rem;border-radius:4px}
code{font-size:.9em}
`;
const STYLE_HASH = createHash('sha256').update(STYLE, 'utf8').digest('base64');

/** HTML-escapes text for element content and double-quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The Content-Security-Policy of every page: nothing loads, nothing runs, nothing frames it. */
export function contentSecurityPolicy(formTargets: readonly string[] = []): string {
  return [
    "default-src 'none'",
    `style-src 'sha256-${STYLE_HASH}'`,
    "img-src 'self'",
    // Chromium applies form-action to the redirect after the post too: the client's origin.
    `form-action 'self'${formTargets.map((origin) => ` ${origin}`).join('')}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

function pageHeaders(formTargets: readonly string[] = []): Record<string, string> {
  return {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': contentSecurityPolicy(formTargets),
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
    pragma: 'no-cache',
  };
}

function document(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

export interface LoginPage {
  /** Where the form posts (the authorization endpoint). */
  readonly action: string;
  /** Shown as "to <client>". */
  readonly clientName: string;
  readonly scopes: readonly string[];
  /** Hidden fields carried back with the credentials. */
  readonly hidden: Readonly<Record<string, string>>;
  /** Pre-filled after a failed attempt. */
  readonly username?: string;
  readonly error?: string;
  /** Origins the post may be redirected to (the client's redirect URI). */
  readonly formTargets: readonly string[];
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string>>;
}

export function loginPageResponse(page: LoginPage): APIGatewayProxyResult {
  const hidden = Object.entries(page.hidden)
    .map(
      ([name, value]) =>
        `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`,
    )
    .join('\n');
  const scopes = page.scopes.map((scope) => `<code>${escapeHtml(scope)}</code>`).join(', ');
  const body = `<h1>Sign in</h1>
<p class="client">to <strong>${escapeHtml(page.clientName)}</strong>${scopes ? `, asking for ${scopes}` : ''}</p>
${page.error ? `<p class="error" role="alert">${escapeHtml(page.error)}</p>` : ''}
<form method="post" action="${escapeHtml(page.action)}">
<label for="username">Username</label>
<input id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false" required maxlength="64" value="${escapeHtml(page.username ?? '')}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="256">
${hidden}
<button type="submit">Sign in</button>
</form>`;
  return {
    statusCode: page.status ?? 200,
    headers: { ...pageHeaders(page.formTargets), ...page.headers },
    body: document('Sign in', body),
  };
}

export function errorPageResponse(
  status: number,
  title: string,
  detail: string,
  headers: Readonly<Record<string, string>> = {},
): APIGatewayProxyResult {
  return {
    statusCode: status,
    headers: { ...pageHeaders(), ...headers },
    body: document(
      title,
      `<h1>${escapeHtml(title)}</h1>\n<p class="error">${escapeHtml(detail)}</p>`,
    ),
  };
}
