import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import {
  CONTENT_SECURITY_POLICY,
  ConsoleServer,
  stagePrefix,
  traceLinksFrom,
} from '../../../functions/console/console-server';
import { platformBundleDir } from '../../../lib/service/platform-bundles';
import { gatewayEvent } from '../../support/events';

const ASSETS = path.join(platformBundleDir('console'), 'assets');
const assets = {
  html: readFileSync(path.join(ASSETS, 'index.html'), 'utf8'),
  js: readFileSync(path.join(ASSETS, 'app.js'), 'utf8'),
  css: readFileSync(path.join(ASSETS, 'app.css'), 'utf8'),
};
const server = new ConsoleServer(assets, {
  clientId: 'console',
  scopes: ['platform/read', 'platform/admin'],
  traces: { kind: 'zipkin', url: 'http://127.0.0.1:9411' },
});

/** A request as API Gateway sends it on the execute-api endpoint (stage in the full path). */
function request(
  resource: string,
  init: { path?: string; stagePath?: string; headers?: Record<string, string>; file?: string } = {},
): APIGatewayProxyEvent {
  const event = gatewayEvent({
    resource,
    headers: init.headers,
    pathParameters: init.file ? { file: init.file } : null,
    requestContext: { path: init.stagePath ?? `/prod${init.path ?? resource}` },
  });
  return { ...event, path: init.path ?? resource };
}

describe('console server', () => {
  it('serves the page with absolute asset paths under the stage, and a strict CSP', () => {
    const response = server.handle(request('/console'));
    expect(response.statusCode).toBe(200);
    expect(response.headers?.['content-type']).toBe('text/html; charset=utf-8');
    expect(response.body).toContain('src="/prod/console/assets/app.js"');
    expect(response.body).toContain('href="/prod/console/assets/app.css"');
    // No inline script or style anywhere in the page: the CSP would refuse them.
    expect(response.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(response.body).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    const csp = String(response.headers?.['content-security-policy']);
    expect(csp).toBe(CONTENT_SECURITY_POLICY);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(response.headers?.['referrer-policy']).toBe('no-referrer');
    expect(response.headers?.['x-frame-options']).toBe('DENY');
  });

  it('serves the same page at the login callback', () => {
    const response = server.handle(request('/console/callback'));
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('src="/prod/console/assets/app.js"');
  });

  it('serves the script and the style sheet with ETags, and 304 to a matching If-None-Match', () => {
    const script = server.handle(
      request('/console/assets/{file}', { path: '/console/assets/app.js', file: 'app.js' }),
    );
    expect(script.statusCode).toBe(200);
    expect(script.headers?.['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.body).toBe(assets.js);
    const etag = String(script.headers?.etag);
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
    const again = server.handle(
      request('/console/assets/{file}', {
        path: '/console/assets/app.js',
        file: 'app.js',
        headers: { 'If-None-Match': etag },
      }),
    );
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    const style = server.handle(
      request('/console/assets/{file}', { path: '/console/assets/app.css', file: 'app.css' }),
    );
    expect(style.headers?.['content-type']).toBe('text/css; charset=utf-8');
    expect(style.headers?.etag).not.toBe(etag);
  });

  it.each(['index.html', '..%2Fhandler.js', '__proto__', 'constructor', 'app.js.map'])(
    'answers 404 problem for the file %s, which is not one of the two it serves',
    (file) => {
      const response = server.handle(
        request('/console/assets/{file}', { path: `/console/assets/${file}`, file }),
      );
      expect(response.statusCode).toBe(404);
      expect(response.headers?.['content-type']).toBe('application/problem+json');
      expect(response.headers?.['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    },
  );

  it('answers 405 to anything but GET', () => {
    const event = { ...request('/console'), httpMethod: 'POST' };
    expect(server.handle(event).statusCode).toBe(405);
  });

  it('answers its settings: the API base, the public client, its scopes and where traces are', () => {
    const response = server.handle(request('/console/config'));
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({
      apiBase: '/prod',
      clientId: 'console',
      scopes: ['platform/read', 'platform/admin'],
      traces: { kind: 'zipkin', url: 'http://127.0.0.1:9411' },
    });
  });
});

describe('stagePrefix', () => {
  it('is the stage on the execute-api endpoint, nothing locally or on an odd context', () => {
    expect(stagePrefix(request('/console', { stagePath: '/prod/console' }))).toBe('/prod');
    expect(stagePrefix(request('/console', { stagePath: '/console' }))).toBe('');
    expect(stagePrefix(request('/console', { stagePath: '/other/path' }))).toBe('');
    // A prefix that could break out of the page's attributes is never used.
    expect(stagePrefix(request('/console', { stagePath: '/"><script>/console' }))).toBe('');
  });
});

describe('traceLinksFrom', () => {
  it('links Zipkin when the local platform names it, else the X-Ray console of the region', () => {
    expect(traceLinksFrom({ CONSOLE_ZIPKIN_URL: 'http://127.0.0.1:9411/' })).toEqual({
      kind: 'zipkin',
      url: 'http://127.0.0.1:9411',
    });
    expect(traceLinksFrom({ AWS_REGION: 'eu-west-1' })).toEqual({
      kind: 'xray',
      region: 'eu-west-1',
    });
    expect(
      traceLinksFrom({ CONSOLE_ZIPKIN_URL: 'javascript:alert(1)', AWS_REGION: 'eu-west-1' }),
    ).toEqual({ kind: 'xray', region: 'eu-west-1' });
  });
});

describe('the built console', () => {
  it('never parses an HTML string: no innerHTML, outerHTML, insertAdjacentHTML, document.write or eval', () => {
    for (const forbidden of [
      'innerHTML',
      'outerHTML',
      'insertAdjacentHTML',
      'document.write',
      'eval(',
      'new Function',
      'localStorage',
    ]) {
      expect(assets.js, forbidden).not.toContain(forbidden);
    }
  });

  it('runs as Lambda runs it: the bundle reads its assets beside itself at cold start', async () => {
    const load = createRequire(__filename);
    const bundle = load(path.join(platformBundleDir('console'), 'index.js')) as {
      handler: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
    };
    const page = await bundle.handler(request('/console'));
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('/prod/console/assets/app.js');
    const config = JSON.parse((await bundle.handler(request('/console/config'))).body);
    expect(config).toMatchObject({
      clientId: 'console',
      scopes: ['platform/read', 'platform/admin'],
    });
  });
});
