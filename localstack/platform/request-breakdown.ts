import { parseTraceHeader } from './tracing/trace-header';

/**
 * The request header that asks the local gateway where a request's time went. The answer then
 * carries a `Server-Timing` header (W3C) with the gateway's, the authorizer's and each function
 * invocation's share, and the AWS API round trips the functions made, counted. Requests without
 * it are served exactly as before: nothing is measured for them.
 */
export const BREAKDOWN_REQUEST_HEADER = 'x-local-breakdown';

/** Durations (summed) and counts of one request, by part. */
export class RequestBreakdown {
  private readonly entries = new Map<string, { ms: number; count: number }>();

  add(part: string, ms: number, count = 1): void {
    const entry = this.entries.get(part);
    if (entry) {
      entry.ms += ms;
      entry.count += count;
    } else this.entries.set(part, { ms, count });
  }

  /** `name;dur=1.25;desc="3"` per part: the summed time and how many times it happened. */
  serverTiming(): string {
    return [...this.entries]
      .map(([part, { ms, count }]) => `${timingToken(part)};dur=${ms.toFixed(2)};desc="${count}"`)
      .join(', ');
  }
}

/** Server-Timing names are tokens: anything else in a part's name becomes `_`. */
function timingToken(part: string): string {
  return part.replace(/[^A-Za-z0-9!#$%&'*+.^_`|~-]/g, '_');
}

/**
 * The breakdowns of the requests being measured, by trace ID: an invocation anywhere in the
 * platform (the gateway's, or one function calling another through the local Lambda API with the
 * trace header the SDK forwards) adds to the request whose trace it continues.
 */
export class RequestBreakdowns {
  private readonly open = new Map<string, RequestBreakdown>();

  begin(traceId: string): RequestBreakdown {
    const breakdown = new RequestBreakdown();
    this.open.set(traceId, breakdown);
    return breakdown;
  }

  end(traceId: string): void {
    this.open.delete(traceId);
  }

  /** The breakdown an invocation with this trace header belongs to, if its request is measured. */
  forTraceHeader(traceHeader: string | undefined): RequestBreakdown | undefined {
    if (this.open.size === 0 || !traceHeader) return undefined;
    const traceId = parseTraceHeader(traceHeader)?.traceId;
    return traceId ? this.open.get(traceId) : undefined;
  }
}

/** The platform's one registry (the gateway opens, functions add). */
export const requestBreakdowns = new RequestBreakdowns();

/**
 * What a worker reports of one measured invocation: the handler's own time, and each outgoing
 * HTTP round trip by destination (`emulator DynamoDB_20120810.Query`, `lambda`, ...).
 */
export interface InvocationBreakdown {
  readonly handlerMs: number;
  readonly roundTrips: readonly { readonly to: string; readonly ms: number }[];
}
