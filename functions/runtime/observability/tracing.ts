import type { Tracer } from '@aws-lambda-powertools/tracer';

/**
 * How the runtime traces, whatever records the traces. Today X-Ray through Powertools Tracer
 * (locally, the platform's X-Ray daemon stand-in feeds Zipkin); AWS put the X-Ray SDKs and daemon
 * into maintenance in February 2026 and points to OpenTelemetry, so the runtime and handlers go
 * through this interface, and only `xrayTracing` knows the exporter.
 */
export interface Tracing {
  /** Instruments an AWS SDK v3 client: a client span per call, the trace header on its requests. */
  traceAwsClient<T>(client: T): T;
  /**
   * Runs one invocation in a span of its own (`## <name>`), annotated with the service and cold
   * start; an error is recorded on it and thrown on.
   */
  traceInvocation<T>(name: string, work: () => Promise<T>): Promise<T>;
  /** A searchable key on the current invocation's span (e.g. the correlation ID). */
  annotate(key: string, value: string | number | boolean): void;
  /** The trace the invocation belongs to (`1-…` on X-Ray); undefined when not traced. */
  traceId(): string | undefined;
}

/** The runtime's tracing on AWS X-Ray, through Powertools Tracer. */
export function xrayTracing(tracer: Tracer): Tracing {
  return {
    traceAwsClient: (client) => tracer.captureAWSv3Client(client),
    annotate: (key, value) => {
      if (tracer.isTracingEnabled()) tracer.putAnnotation(key, value);
    },
    traceId: () => (tracer.isTracingEnabled() ? tracer.getRootXrayTraceId() : undefined),
    async traceInvocation(name, work) {
      // Lambda records the function's own segment; the SDK may only add subsegments to it.
      const segment = tracer.isTracingEnabled() ? tracer.getSegment() : undefined;
      if (!segment) return work();
      const subsegment = segment.addNewSubsegment(`## ${name}`);
      tracer.setSegment(subsegment);
      tracer.annotateColdStart();
      tracer.addServiceNameAnnotation();
      try {
        return await work();
      } catch (error) {
        tracer.addErrorAsMetadata(error as Error);
        throw error;
      } finally {
        subsegment.close();
        tracer.setSegment(segment);
      }
    },
  };
}
