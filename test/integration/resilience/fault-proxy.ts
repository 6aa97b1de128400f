import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What the proxy does to the traffic; every probability is per request (per connection for refusals). */
export interface FaultPlan {
  /** Extra latency before forwarding, uniform in [0, maxLatencyMs]. */
  readonly maxLatencyMs?: number;
  /** Responses held back for a time in `slowMs` before delivery (after the request was applied). */
  readonly slowProbability?: number;
  readonly slowMs?: readonly [number, number];
  /** Writes applied by the store whose response is then thrown away (the connection dropped). */
  readonly dropAfterApplyProbability?: number;
  /** Requests never forwarded nor answered. */
  readonly hangProbability?: number;
  /** New connections reset as soon as they are accepted. */
  readonly refuseProbability?: number;
}

export interface FaultCounts {
  requests: number;
  slow: number;
  dropped: number;
  hung: number;
  refused: number;
}

/** mulberry32: a small seeded PRNG, so that a failing run can be replayed by its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A real TCP (HTTP) proxy between the breakers' DynamoDB clients and the emulator, injecting the
 * faults a store shows under load: latency, answers slower than the breaker's store timeout,
 * answers lost after the write was applied, requests that hang, connections reset on accept.
 */
export class FaultProxy {
  plan: FaultPlan = {};
  counts: FaultCounts = { requests: 0, slow: 0, dropped: 0, hung: 0, refused: 0 };
  private random: () => number = seededRandom(1);
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly agent = new http.Agent({ keepAlive: true });
  private readonly server: http.Server;

  constructor(private readonly target: string) {
    this.server = http.createServer((request, response) => this.handle(request, response));
    this.server.on('connection', (socket) => {
      if (this.chance(this.plan.refuseProbability)) {
        this.counts.refused++;
        socket.destroy();
        return;
      }
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  /** Starts a new run: a fresh plan, fresh counts and the PRNG at `seed`. */
  configure(seed: number, plan: FaultPlan): void {
    this.random = seededRandom(seed);
    this.plan = plan;
    this.counts = { requests: 0, slow: 0, dropped: 0, hung: 0, refused: 0 };
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.timers.forEach((timer) => clearTimeout(timer));
    this.sockets.forEach((socket) => socket.destroy());
    this.agent.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private chance(probability = 0): boolean {
    return probability > 0 && this.random() < probability;
  }

  private later(ms: number, work: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      work();
    }, ms);
    this.timers.add(timer);
  }

  private handle(request: http.IncomingMessage, response: http.ServerResponse): void {
    this.counts.requests++;
    const target = String(request.headers['x-amz-target'] ?? '');
    const write = /PutItem|UpdateItem|DeleteItem/.test(target);
    // Every decision is drawn now, in arrival order, so a seed replays the same faults.
    const hang = this.chance(this.plan.hangProbability);
    const latency = Math.floor(this.random() * ((this.plan.maxLatencyMs ?? 0) + 1));
    const drop = write && this.chance(this.plan.dropAfterApplyProbability);
    const slow = this.chance(this.plan.slowProbability);
    const [slowMin, slowMax] = this.plan.slowMs ?? [0, 0];
    const slowFor = slowMin + Math.floor(this.random() * (slowMax - slowMin + 1));
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (hang) {
        this.counts.hung++;
        return; // never answered; the client's own timeout gives up on it
      }
      this.later(latency, () =>
        this.forward(request, response, Buffer.concat(chunks), drop, slow ? slowFor : 0),
      );
    });
  }

  private forward(
    request: http.IncomingMessage,
    response: http.ServerResponse,
    body: Buffer,
    drop: boolean,
    slowFor: number,
  ): void {
    const url = new URL(this.target);
    const upstream = http.request(
      {
        host: url.hostname,
        port: url.port,
        method: request.method,
        path: request.url,
        headers: { ...request.headers, host: url.host },
        agent: this.agent,
      },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          if (drop) {
            this.counts.dropped++;
            request.socket.destroy(); // applied, and the caller never hears of it
            return;
          }
          const deliver = () => {
            if (response.destroyed) return;
            response.writeHead(answer.statusCode ?? 500, answer.headers);
            response.end(Buffer.concat(chunks));
          };
          if (slowFor > 0) {
            this.counts.slow++;
            this.later(slowFor, deliver);
          } else deliver();
        });
      },
    );
    upstream.on('error', () => request.socket.destroy());
    upstream.end(body);
  }
}
