import { describe, expect, it } from 'vitest';
import { checkHealth, type HealthCheck } from '../../../../functions/runtime/service/health';

const up: HealthCheck = async () => ({ status: 'UP', details: { tableStatus: 'ACTIVE' } });
const down: HealthCheck = async () => ({ status: 'DOWN', details: { tableStatus: 'DELETING' } });
const OPTIONS = { service: 'orders', version: '3' };

describe('checkHealth', () => {
  it('is UP with no checks at all', async () => {
    expect(await checkHealth({}, OPTIONS)).toEqual({
      status: 'UP',
      service: 'orders',
      version: '3',
      components: {},
    });
  });

  it('is UP when every component is UP, and reports each component', async () => {
    const report = await checkHealth(
      { table: up, config: async () => ({ status: 'UP' }) },
      OPTIONS,
    );
    expect(report).toEqual({
      status: 'UP',
      service: 'orders',
      version: '3',
      components: {
        table: { status: 'UP', details: { tableStatus: 'ACTIVE' } },
        config: { status: 'UP' },
      },
    });
  });

  it('is DOWN when one component is DOWN', async () => {
    const report = await checkHealth({ table: down, config: up }, OPTIONS);
    expect(report.status).toBe('DOWN');
    expect(report.components.table).toEqual({
      status: 'DOWN',
      details: { tableStatus: 'DELETING' },
    });
    expect(report.components.config.status).toBe('UP');
  });

  it('counts a check that throws as DOWN, reporting only the error name', async () => {
    const failing: HealthCheck = async () => {
      const error = new Error(
        'arn:aws:dynamodb:eu-west-1:123456789012:table/secret not authorized',
      );
      error.name = 'AccessDeniedException';
      throw error;
    };
    const report = await checkHealth({ table: failing, config: up }, OPTIONS);
    expect(report.status).toBe('DOWN');
    expect(report.components.table).toEqual({
      status: 'DOWN',
      details: { error: 'AccessDeniedException' },
    });
    expect(JSON.stringify(report)).not.toContain('123456789012');
  });

  it("reports 'failed' when a check throws something that is not an Error", async () => {
    const report = await checkHealth({ odd: () => Promise.reject('nope') }, OPTIONS);
    expect(report.components.odd).toEqual({ status: 'DOWN', details: { error: 'failed' } });
  });

  it('counts a check that never answers as DOWN after timeoutMs, and aborts its signal', async () => {
    let seen: AbortSignal | undefined;
    const hanging: HealthCheck = (signal) => {
      seen = signal;
      return new Promise(() => undefined);
    };
    const report = await checkHealth({ table: hanging, config: up }, { ...OPTIONS, timeoutMs: 20 });
    expect(report.status).toBe('DOWN');
    expect(report.components.table).toEqual({
      status: 'DOWN',
      details: { error: 'no answer within 20 ms' },
    });
    expect(report.components.config.status).toBe('UP');
    expect(seen?.aborted).toBe(true);
  });

  it('runs the checks concurrently: every check starts before any finishes', async () => {
    const started: string[] = [];
    const gates: (() => void)[] = [];
    const gated =
      (name: string): HealthCheck =>
      () => {
        started.push(name);
        return new Promise((resolve) => gates.push(() => resolve({ status: 'UP' })));
      };
    const pending = checkHealth({ a: gated('a'), b: gated('b'), c: gated('c') }, OPTIONS);
    expect(started).toEqual(['a', 'b', 'c']);
    for (const open of gates) open();
    expect((await pending).status).toBe('UP');
  });
});
