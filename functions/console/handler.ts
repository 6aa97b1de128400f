import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { CONSOLE_CLIENT_ID, CONSOLE_ENV, CONSOLE_SCOPES } from '../runtime/contract/console';
import { ConsoleServer, traceLinksFrom } from './console-server';

/**
 * The operator console's function: static files and settings, nothing logged per request (the
 * stage's access log has each one) and no SDK, so its bundle stays small.
 *
 * The built page, script and style sheet ship beside this bundle (`assets/`).
 */
function readAssets(dir: string) {
  const read = (name: string) => readFileSync(path.join(dir, name), 'utf8');
  return { html: read('index.html'), js: read('app.js'), css: read('app.css') };
}

const server = new ConsoleServer(readAssets(path.join(__dirname, 'assets')), {
  clientId: process.env[CONSOLE_ENV.clientId] || CONSOLE_CLIENT_ID,
  scopes: (process.env[CONSOLE_ENV.scopes] || CONSOLE_SCOPES.join(' ')).split(' ').filter(Boolean),
  traces: traceLinksFrom(process.env),
});

export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  return server.handle(event);
}
