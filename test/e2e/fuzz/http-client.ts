import { Agent, request as httpRequest, type OutgoingHttpHeaders } from 'node:http';

export interface FuzzResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/**
 * Sends a request exactly as described (any method token, path bytes as given, any headers
 * Node lets a client write) and reads the whole answer. Unlike fetch it does not refuse TRACE,
 * CONNECT-like tokens or odd header names, and it does not normalize the path.
 */
export function sendRequest(
  agent: Agent,
  base: URL,
  init: { method: string; path: string; headers: OutgoingHttpHeaders; body?: Buffer },
  timeoutMs = 30_000,
): Promise<FuzzResponse> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        agent,
        host: base.hostname,
        port: base.port,
        method: init.method,
        path: init.path,
        headers: init.body
          ? { ...init.headers, 'content-length': String(init.body.length) }
          : init.headers,
        timeout: timeoutMs,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', reject);
    request.end(init.body);
  });
}
