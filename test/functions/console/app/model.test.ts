import { describe, expect, it } from 'vitest';
import {
  circleRadius,
  percent,
  rootTraceId,
  stateClass,
  traceUrl,
} from '../../../../functions/console/app/model';

const TRACE = '1-5759e988-bd862e3fe1be46a994272793';

describe('console model', () => {
  it('sizes circles by call volume relative to the busiest circuit, with a floor for idle ones', () => {
    expect(circleRadius(0, 0)).toBe(10);
    expect(circleRadius(0, 100)).toBe(10);
    expect(circleRadius(100, 100)).toBe(46);
    expect(circleRadius(25, 100)).toBe(28); // area, not radius, grows with volume
    expect(circleRadius(200, 100)).toBe(46);
    expect(circleRadius(Number.NaN, 100)).toBe(10);
  });

  it('colours each state, and an unknown state as unknown', () => {
    expect(['CLOSED', 'HALF_OPEN', 'OPEN', 'FORCED_OPEN', 'DISABLED', 'X'].map(stateClass)).toEqual(
      ['closed', 'half-open', 'open', 'forced-open', 'disabled', 'unknown'],
    );
    expect(percent(0.125)).toBe('12.5 %');
    expect(percent(Number.NaN)).toBe('—');
  });

  it('links a trace to Zipkin by its 128-bit ID, or to the X-Ray console of the region', () => {
    expect(traceUrl({ kind: 'zipkin', url: 'http://127.0.0.1:9411' }, TRACE)).toBe(
      'http://127.0.0.1:9411/zipkin/traces/5759e988bd862e3fe1be46a994272793',
    );
    expect(traceUrl({ kind: 'xray', region: 'eu-west-1' }, TRACE)).toBe(
      `https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#xray:traces/${TRACE}`,
    );
    expect(traceUrl({ kind: 'xray', region: 'eu-west-1' }, 'not-a-trace')).toBeUndefined();
    expect(traceUrl({ kind: 'xray', region: 'eu-west-1' }, undefined)).toBeUndefined();
  });

  it('finds the root trace ID in a header or a bare ID', () => {
    expect(rootTraceId(`Root=${TRACE};Parent=53995c3f42cd8ad8;Sampled=1`)).toBe(TRACE);
    expect(rootTraceId(TRACE)).toBe(TRACE);
    expect(rootTraceId('Root=<script>')).toBeUndefined();
    expect(rootTraceId(42)).toBeUndefined();
  });
});
