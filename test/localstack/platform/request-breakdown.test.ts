import { describe, expect, it } from 'vitest';
import { RequestBreakdowns } from '../../../localstack/platform/request-breakdown';

const TRACE = '1-5759e988-bd862e3fe1be46a994272793';

describe('request breakdowns', () => {
  it('adds an invocation to the measured request whose trace it continues', () => {
    const registry = new RequestBreakdowns();
    const breakdown = registry.begin(TRACE);
    registry
      .forTraceHeader(`Root=${TRACE};Parent=53995c3f42cd8ad8;Sampled=1`)
      ?.add('fn.handler', 2);
    registry.forTraceHeader(`Root=${TRACE};Sampled=1`)?.add('fn.handler', 1.5);
    registry.forTraceHeader(`Root=${TRACE}`)?.add('fn->emulator DynamoDB.Query', 0.25);
    expect(breakdown.serverTiming()).toBe(
      'fn.handler;dur=3.50;desc="2", fn-_emulator_DynamoDB.Query;dur=0.25;desc="1"',
    );
  });

  it('measures nothing for a trace that was not asked for, or after the request ended', () => {
    const registry = new RequestBreakdowns();
    expect(registry.forTraceHeader(`Root=${TRACE}`)).toBeUndefined();
    registry.begin(TRACE);
    expect(registry.forTraceHeader('Root=1-5759e988-000000000000000000000000')).toBeUndefined();
    expect(registry.forTraceHeader('not a trace header')).toBeUndefined();
    registry.end(TRACE);
    expect(registry.forTraceHeader(`Root=${TRACE}`)).toBeUndefined();
  });
});
