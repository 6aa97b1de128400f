import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/**
 * Sends bytes as they are over a TCP socket (what no HTTP client would send: bad methods, NUL
 * in the path, ambiguous framing) and reads the one response, until the server closes or the
 * announced Content-Length has arrived. Resolves `undefined` when nothing came back.
 */
export function rawRequest(
  port: number,
  request: string | Buffer,
  timeoutMs = 10_000,
): Promise<RawResponse | undefined> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    let received = Buffer.alloc(0);
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(parseResponse(received));
    };
    const timer = setTimeout(() => {
      settled = true;
      socket.destroy();
      reject(new Error(`no complete response within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const parsed = parseResponse(received);
      if (parsed && Buffer.byteLength(parsed.body) >= Number(parsed.headers['content-length']))
        finish();
    });
    // The server may reset a connection it refused; what arrived before still counts.
    socket.on('error', finish);
    socket.on('close', finish);
  });
}

function parseResponse(bytes: Buffer): RawResponse | undefined {
  // Interim 1xx answers (100 Continue) come before the response.
  const text = bytes
    .toString('utf8')
    .replace(/^(HTTP\/1\.[01] 1\d\d[^\r]*\r\n(?:[^\r]+\r\n)*\r\n)+/, '');
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  // The first response only: a pipelined answer to what followed may come after it.
  const rest = Buffer.from(text.slice(end + 4), 'utf8');
  const length = Number(headers['content-length']);
  const body = (Number.isNaN(length) ? rest : rest.subarray(0, length)).toString('utf8');
  return { status, headers, body };
}

export interface TokenAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/**
 * A client_credentials token request sent from `localAddress` (any 127/8 address is the loopback
 * on Linux), on a socket of its own: what tells one source from another at the gateway.
 */
export function tokenRequestFrom(
  baseUrl: string,
  localAddress: string,
  authorization: string,
  headers: Record<string, string> = {},
): Promise<TokenAnswer> {
  const url = new URL(`${baseUrl}/oauth2/token`);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        localAddress,
        agent: false,
        headers: {
          authorization,
          'content-type': 'application/x-www-form-urlencoded',
          ...headers,
        },
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode!, headers: response.headers, body }),
        );
      },
    );
    req.on('error', reject);
    req.end('grant_type=client_credentials');
  });
}
