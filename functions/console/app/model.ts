/**
 * What the pages compute from the admin API's answers, kept free of the DOM so unit tests can
 * check it: circle sizes and colours, trace links.
 */

export type CircuitState = 'CLOSED' | 'OPEN' | 'HALF_OPEN' | 'FORCED_OPEN' | 'DISABLED';

export interface CircuitView {
  readonly name: string;
  readonly state: CircuitState | string;
  readonly version: number;
  readonly reason?: string;
  readonly changedAt?: string;
  readonly openUntil?: string;
  readonly window: {
    readonly calls: number;
    readonly failures: number;
    readonly failureRate: number;
  };
  readonly consecutiveFailures: number;
  readonly probesInFlight: number;
  readonly reopenCount: number;
}

const MIN_RADIUS = 10;
const MAX_RADIUS = 46;

/**
 * Hystrix's circle: its area grows with the call volume, relative to the busiest circuit shown.
 * An idle circuit still shows a small circle.
 */
export function circleRadius(calls: number, busiest: number): number {
  if (!(calls > 0) || !(busiest > 0)) return MIN_RADIUS;
  const share = Math.min(1, calls / busiest);
  return Math.round(MIN_RADIUS + (MAX_RADIUS - MIN_RADIUS) * Math.sqrt(share));
}

/** Colour class by state: green closed, amber half-open, red open, purple forced, grey disabled. */
export function stateClass(state: string): string {
  switch (state) {
    case 'CLOSED':
      return 'closed';
    case 'HALF_OPEN':
      return 'half-open';
    case 'OPEN':
      return 'open';
    case 'FORCED_OPEN':
      return 'forced-open';
    case 'DISABLED':
      return 'disabled';
    default:
      return 'unknown';
  }
}

export function percent(rate: number): string {
  return Number.isFinite(rate) ? `${(rate * 100).toFixed(1)} %` : '—';
}

export type TraceLinks =
  | { readonly kind: 'zipkin'; readonly url: string }
  | { readonly kind: 'xray'; readonly region: string };

const XRAY_TRACE_ID = /^1-[0-9a-f]{8}-[0-9a-f]{24}$/;

/** Where a request's trace is shown; undefined for anything but an X-Ray trace ID. */
export function traceUrl(links: TraceLinks, xrayTraceId: string | undefined): string | undefined {
  if (!xrayTraceId || !XRAY_TRACE_ID.test(xrayTraceId)) return undefined;
  if (links.kind === 'zipkin') {
    // Zipkin's 128-bit ID is the X-Ray ID without its version and dashes.
    return `${links.url}/zipkin/traces/${xrayTraceId.slice(2).replace('-', '')}`;
  }
  const region = encodeURIComponent(links.region);
  return `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#xray:traces/${xrayTraceId}`;
}

/** A trace ID as log lines carry it (`Root=1-…;Parent=…` or the bare ID). */
export function rootTraceId(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const root = /(?:^|Root=)(1-[0-9a-f]{8}-[0-9a-f]{24})/.exec(value);
  return root?.[1];
}
