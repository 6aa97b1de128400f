import { createSocket, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { parseDaemonDatagram } from './daemon-protocol';
import type { SegmentDocument } from './segment-document';
import {
  formatTraceHeader,
  newSegmentId,
  newTraceId,
  parseTraceHeader,
  type TraceContext,
} from './trace-header';
import { segmentToSpans, type ZipkinSpan } from './zipkin-span';

/** A function as the collector knows it. */
export interface TracedFunction {
  readonly functionName: string;
  readonly arn: string;
  /** The service its spans belong to (its POWERTOOLS_SERVICE_NAME). */
  readonly serviceName: string;
}

/** One traced unit of work the platform itself performs (a gateway request, an invocation). */
export interface ActiveSegment {
  /** What the next hop receives: `Root=…;Parent=<this segment>;Sampled=…`. */
  readonly traceHeader: string;
  readonly traceId: string;
}

export interface SpanSink {
  report(spans: readonly ZipkinSpan[]): void;
}

/**
 * The local stand-in for what AWS does around a traced Lambda function: the X-Ray daemon each
 * execution environment sends its subsegments to (UDP, `AWS_XRAY_DAEMON_ADDRESS`), and the
 * segments the Lambda service and API Gateway record themselves (on AWS a function's own segment
 * is made by Lambda; the SDK inside only sends subsegments of it). Everything becomes Zipkin
 * spans.
 *
 * Each function gets its own daemon port, as each Lambda environment has its own daemon: a
 * subsegment does not say which service sent it, the port does.
 */
export class LocalTracing {
  private readonly sockets: Socket[] = [];
  private readonly daemons = new Map<string, Promise<string>>();
  private readonly servicesByFunction = new Map<string, string>();
  private rejectedCount = 0;
  private receivedCount = 0;

  constructor(
    private readonly sink: SpanSink,
    private readonly options: {
      readonly gatewayServiceName?: string;
      readonly now?: () => number;
    } = {},
  ) {}

  /** Datagrams that were not X-Ray documents (counted, never fatal). */
  get rejected(): number {
    return this.rejectedCount;
  }

  get received(): number {
    return this.receivedCount;
  }

  /** The environment a function's execution environments need to send to their daemon. */
  async environmentFor(fn: TracedFunction): Promise<Record<string, string>> {
    this.servicesByFunction.set(fn.functionName, fn.serviceName);
    let address = this.daemons.get(fn.functionName);
    if (!address) {
      address = this.openDaemon(fn);
      this.daemons.set(fn.functionName, address);
    }
    return {
      AWS_XRAY_DAEMON_ADDRESS: await address,
      // Powertools Tracer traces only inside Lambda, which it recognizes by this variable.
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
      POWERTOOLS_TRACE_ENABLED: 'true',
      AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
    };
  }

  /**
   * Starts the segment Lambda records for one invocation: it continues the caller's trace
   * (`X-Amzn-Trace-Id` of an Invoke, or the gateway's) or starts one, and hands the function
   * `_X_AMZN_TRACE_ID` with itself as the parent. `end` records it.
   */
  beginInvocation(
    fn: TracedFunction,
    incomingHeader?: string,
  ): ActiveSegment & {
    end(outcome: { readonly failed: boolean; readonly requestId: string }): void;
  } {
    this.servicesByFunction.set(fn.functionName, fn.serviceName);
    const { context, id, start } = this.open(incomingHeader);
    return {
      traceHeader: formatTraceHeader({ ...context, parentId: id }),
      traceId: context.traceId,
      end: ({ failed, requestId }) =>
        this.record(
          {
            name: fn.functionName,
            id,
            trace_id: context.traceId,
            ...(context.parentId ? { parent_id: context.parentId } : {}),
            start_time: start,
            end_time: this.seconds(),
            origin: 'AWS::Lambda::Function',
            aws: { function_arn: fn.arn, request_id: requestId },
            ...(failed ? { fault: true } : {}),
          },
          context,
          fn.serviceName,
        ),
    };
  }

  /** Starts the segment API Gateway records for one request; `end` records it with the status. */
  beginRequest(
    stageName: string,
    request: { readonly method: string; readonly path: string; readonly traceHeader?: string },
  ): ActiveSegment & { end(status: number): void } {
    const { context, id, start } = this.open(request.traceHeader);
    return {
      traceHeader: formatTraceHeader({ ...context, parentId: id }),
      traceId: context.traceId,
      end: (status) =>
        this.record(
          {
            name: stageName,
            id,
            trace_id: context.traceId,
            ...(context.parentId ? { parent_id: context.parentId } : {}),
            start_time: start,
            end_time: this.seconds(),
            origin: 'AWS::ApiGateway::Stage',
            http: {
              request: { method: request.method, url: request.path },
              response: { status },
            },
            ...(status === 429
              ? { throttle: true, error: true }
              : status >= 500
                ? { fault: true }
                : status >= 400
                  ? { error: true }
                  : {}),
          },
          context,
          this.options.gatewayServiceName ?? 'api-gateway',
        ),
    };
  }

  async close(): Promise<void> {
    await Promise.all(
      this.sockets
        .splice(0)
        .map((socket) => new Promise<void>((resolve) => socket.close(() => resolve()))),
    );
  }

  /** A segment continuing `incomingHeader`'s trace when it is well formed, else a new trace. */
  private open(incomingHeader: string | undefined): {
    context: TraceContext;
    id: string;
    start: number;
  } {
    const start = this.seconds();
    const context = parseTraceHeader(incomingHeader) ?? {
      traceId: newTraceId(start * 1000),
      sampled: true,
    };
    return { context, id: newSegmentId(), start };
  }

  private record(document: SegmentDocument, context: TraceContext, serviceName: string): void {
    if (!context.sampled) return;
    this.sink.report(segmentToSpans(document, this.originFor(serviceName)));
  }

  private originFor(serviceName: string) {
    return {
      serviceName,
      serviceOfFunction: (functionName: string) => this.servicesByFunction.get(functionName),
    };
  }

  private openDaemon(fn: TracedFunction): Promise<string> {
    const socket = createSocket('udp4');
    this.sockets.push(socket);
    socket.on('message', (datagram) => {
      const parsed = parseDaemonDatagram(datagram);
      if (!parsed.ok) {
        this.rejectedCount++;
        return;
      }
      this.receivedCount++;
      this.sink.report(segmentToSpans(parsed.document, this.originFor(fn.serviceName)));
    });
    // A bad datagram or a closed port must never take the platform down.
    socket.on('error', () => undefined);
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => {
        socket.off('error', reject);
        socket.unref();
        const { address, port } = socket.address() as AddressInfo;
        resolve(`${address}:${port}`);
      });
    });
  }

  private seconds(): number {
    return (this.options.now ?? Date.now)() / 1000;
  }
}
