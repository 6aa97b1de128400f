import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';

/**
 * Reads a request body, refusing more than `limit` bytes. A body over the limit is still read
 * to its end (and dropped), up to twice the limit: a client still sending would otherwise see
 * its connection reset instead of the 413.
 */
export async function readBody(
  request: IncomingMessage,
  limit: number,
): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit * 2) return 'too-large';
    if (size <= limit) chunks.push(chunk as Buffer);
  }
  return size > limit ? 'too-large' : Buffer.concat(chunks);
}

/** An answer the server makes itself, before any route: RFC 9457 problem details. */
export interface ProtocolProblem {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export function problemBody(problem: ProtocolProblem): string {
  return JSON.stringify({ type: 'about:blank', ...problem });
}

/** What Node's HTTP parser refused, as the problem to answer (see llhttp's error codes). */
export function parserProblem(code: string | undefined): ProtocolProblem {
  const bad = (detail: string) => ({ status: 400, title: 'Bad Request', detail });
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return {
        status: 431,
        title: 'Request Header Fields Too Large',
        detail: 'The request headers exceed the size this server accepts.',
      };
    case 'HPE_HEADERS_TIMEOUT':
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return {
        status: 408,
        title: 'Request Timeout',
        detail: 'The request was not received in time.',
      };
    case 'HPE_INVALID_METHOD':
      return bad('The request method is not a valid HTTP method.');
    case 'HPE_INVALID_URL':
      return bad('The request target is not a valid path.');
    case 'HPE_INVALID_HEADER_TOKEN':
    case 'HPE_INVALID_HEADER_VALUE':
    case 'HPE_LF_EXPECTED':
    case 'HPE_CR_EXPECTED':
      return bad('A request header is malformed.');
    case 'HPE_INVALID_CONTENT_LENGTH':
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
    case 'HPE_INVALID_TRANSFER_ENCODING':
      return bad('The body framing is invalid (Content-Length and Transfer-Encoding).');
    case 'HPE_INVALID_CHUNK_SIZE':
    case 'HPE_INVALID_EOF_STATE':
      return bad('The chunked body is malformed.');
    case 'HPE_INVALID_VERSION':
      return bad('The HTTP version is not valid.');
    default:
      return bad('The request is not valid HTTP/1.1.');
  }
}

/** A complete HTTP/1.1 response for a socket that has no response object; closes after it. */
export function rawProblemResponse(problem: ProtocolProblem): string {
  const body = problemBody(problem);
  return [
    `HTTP/1.1 ${problem.status} ${problem.title}`,
    `Content-Type: ${PROBLEM_CONTENT_TYPE}`,
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}

/**
 * Gives the requests Node answers on its own a problem+json answer instead of a bare status:
 * what the HTTP parser refuses (bad method, path or header, ambiguous framing, headers over
 * the limit), a missing Host header (create the server with `requireHostHeader: false` and call
 * `hostProblem`), an `Expect` other than 100-continue (417), and `CONNECT` (this is not a proxy).
 * Each closes the connection: after a framing error nothing more on it can be trusted.
 */
export function answerProtocolErrors(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    const inFlight = (socket as { _httpMessage?: ServerResponse })._httpMessage;
    if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    socket.end(rawProblemResponse(parserProblem(error.code)), () => socket.destroy());
  });
  server.on('checkExpectation', (_request: IncomingMessage, response: ServerResponse) => {
    sendProblem(
      response,
      {
        status: 417,
        title: 'Expectation Failed',
        detail: 'The only expectation this server meets is 100-continue.',
      },
      { connection: 'close' },
    );
  });
  server.on('connect', (_request: IncomingMessage, socket: Duplex) => {
    socket.end(
      rawProblemResponse({
        status: 400,
        title: 'Bad Request',
        detail: 'CONNECT is not served: this server is not a proxy.',
      }),
      () => socket.destroy(),
    );
  });
}

/**
 * What is wrong with the request's Host header, if anything: HTTP/1.1 requires exactly one
 * (RFC 9112 §3.2). Node's own check answers a bare 400, and it lets a second Host through.
 */
export function hostProblem(request: IncomingMessage): string | undefined {
  let count = 0;
  for (let index = 0; index < request.rawHeaders.length; index += 2) {
    if (request.rawHeaders[index].toLowerCase() === 'host') count++;
  }
  if (count > 1) return 'A request may carry one Host header only.';
  if (count === 0 && request.httpVersion === '1.1') {
    return 'An HTTP/1.1 request must carry a Host header.';
  }
  return undefined;
}

export function sendProblem(
  response: ServerResponse,
  problem: ProtocolProblem,
  headers: Record<string, string> = {},
): void {
  send(
    response,
    problem.status,
    { ...headers, 'content-type': PROBLEM_CONTENT_TYPE },
    problemBody(problem),
  );
}

export function send(
  response: ServerResponse,
  status: number,
  headers: Record<string, string | string[]>,
  body: string | Buffer,
): void {
  response.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(body)) });
  response.end(body);
}

/** Starts `server` on 127.0.0.1 (never another interface) and answers its base URL. */
export async function listenOnLoopback(server: Server, port: number): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Stops `server` at once, dropping kept-alive connections instead of waiting for them. */
export async function closeServer(server: Server | undefined): Promise<void> {
  if (!server) return;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
