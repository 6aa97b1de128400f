import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * What the proxy does to one `_bulk` request: `pass` forwards it; a status answers without
 * forwarding; `hang` never answers (the shipper's timeout fires); `partial` forwards every other
 * document and answers 429 for the rest (so those were really not indexed); `cut` forwards it and
 * then answers a truncated 200 (written, but the shipper cannot tell).
 */
export type BulkFault = 'pass' | 'hang' | 'partial' | 'cut' | { status: number };

/**
 * A real HTTP proxy between the shipper and OpenSearch that injects faults into bulk requests,
 * one scripted fault per request (then a fallback for every later one). Other paths pass.
 */
export class BulkFaultProxy {
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  private script: BulkFault[] = [];
  private fallback: BulkFault | ((request: number) => BulkFault) = 'pass';
  /** Bulk requests seen, and the faults applied to them. */
  readonly seen: BulkFault[] = [];

  constructor(private readonly target: string) {
    this.server = http.createServer((request, response) => void this.handle(request, response));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The next bulk requests get these faults in order; later ones get `then`. */
  plan(script: BulkFault[], then: BulkFault | ((request: number) => BulkFault) = 'pass'): void {
    this.script = [...script];
    this.fallback = then;
    this.seen.length = 0;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private async handle(
    request: http.IncomingMessage,
    response: http.ServerResponse,
  ): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    if (!(request.method === 'POST' && request.url === '/_bulk')) {
      const forwarded = await this.forward(request, body);
      response
        .writeHead(forwarded.status, { 'content-type': 'application/json' })
        .end(forwarded.body);
      return;
    }
    const fault =
      this.script.shift() ??
      (typeof this.fallback === 'function' ? this.fallback(this.seen.length) : this.fallback);
    this.seen.push(fault);
    if (fault === 'hang') return; // the socket stays open until the shipper gives up
    if (typeof fault === 'object') {
      response.writeHead(fault.status, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          error: { type: 'injected', reason: `injected ${fault.status}` },
          status: fault.status,
        }),
      );
      return;
    }
    if (fault === 'partial') {
      const lines = body.split('\n').filter(Boolean);
      const pairs: string[][] = [];
      for (let i = 0; i < lines.length; i += 2) pairs.push([lines[i], lines[i + 1]]);
      const kept = pairs.filter((_, index) => index % 2 === 0);
      const forwarded = await this.forward(request, `${kept.flat().join('\n')}\n`);
      const real = (JSON.parse(forwarded.body) as { items: unknown[] }).items;
      const items = pairs.map((_, index) =>
        index % 2 === 0
          ? real[index / 2]
          : {
              create: {
                status: 429,
                error: { type: 'es_rejected_execution_exception', reason: 'injected' },
              },
            },
      );
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ took: 1, errors: true, items }));
      return;
    }
    const forwarded = await this.forward(request, body);
    if (fault === 'cut') {
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(forwarded.body.slice(0, 20));
      return;
    }
    response
      .writeHead(forwarded.status, { 'content-type': 'application/json' })
      .end(forwarded.body);
  }

  private async forward(
    request: http.IncomingMessage,
    body: string,
  ): Promise<{ status: number; body: string }> {
    const answer = await fetch(new URL(request.url ?? '/', this.target), {
      method: request.method,
      headers: { 'content-type': String(request.headers['content-type'] ?? 'application/json') },
      body: request.method === 'GET' || request.method === 'HEAD' ? undefined : body,
    });
    return { status: answer.status, body: await answer.text() };
  }
}
