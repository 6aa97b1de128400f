import { describe, expect, it } from 'vitest';
import { AUDIT_MARKER } from '../../../../functions/runtime/contract/audit';
import { createAuditTrail } from '../../../../functions/runtime/observability/audit';

function trail(env: Record<string, string | undefined> = {}) {
  const lines: string[] = [];
  const audit = createAuditTrail({
    service: 'platform-admin',
    write: (line) => lines.push(line),
    now: () => new Date('2026-03-01T10:00:00.000Z'),
    env,
  });
  const records = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { audit, lines, records };
}

describe('audit trail', () => {
  it('writes one marked JSON line with who, what, when, result, request and correlation ID', () => {
    const { audit, lines, records } = trail({
      AWS_LAMBDA_FUNCTION_NAME: 'msa-admin',
      _X_AMZN_TRACE_ID: 'Root=1-65f00000-abcdefabcdefabcdefabcdef;Parent=1234;Sampled=1',
    });
    audit.record({
      action: 'admin.circuit.forceOpen',
      result: 'success',
      target: 'recommendations',
      actor: { sub: 'ops-client', clientId: 'ops-client' },
      requestId: 'req-1',
      correlationId: 'corr-1',
      details: { state: 'FORCED_OPEN' },
    });
    expect(lines).toHaveLength(1);
    expect(records()[0]).toEqual({
      [AUDIT_MARKER.key]: AUDIT_MARKER.value,
      level: 'INFO',
      timestamp: '2026-03-01T10:00:00.000Z',
      service: 'platform-admin',
      action: 'admin.circuit.forceOpen',
      result: 'success',
      message: 'audit admin.circuit.forceOpen success',
      target: 'recommendations',
      sub: 'ops-client',
      client_id: 'ops-client',
      request_id: 'req-1',
      correlation_id: 'corr-1',
      xray_trace_id: '1-65f00000-abcdefabcdefabcdefabcdef',
      function_name: 'msa-admin',
      details: { state: 'FORCED_OPEN' },
    });
  });

  it('redacts detail keys that name a secret and values that look like a token', () => {
    const { audit, records } = trail();
    const jwt = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';
    audit.record({
      action: 'token.issue',
      result: 'success',
      target: jwt,
      details: {
        client_secret: 'hunter2',
        access_token: 'abc',
        Authorization: 'Bearer x',
        client_assertion: 'y',
        password: 'p',
        note: `carried ${jwt}`,
        scope: 'a/read b/write',
      },
    });
    const [record] = records();
    expect(record.target).toBe('[redacted]');
    expect(record.details).toEqual({
      client_secret: '[redacted]',
      access_token: '[redacted]',
      Authorization: '[redacted]',
      client_assertion: '[redacted]',
      password: '[redacted]',
      note: '[redacted]',
      scope: 'a/read b/write',
    });
    expect(JSON.stringify(record)).not.toMatch(/hunter2|Bearer x|eyJhbGci/);
  });

  it('keeps only strings, numbers, booleans and string lists in details, at most 20', () => {
    const { audit, records } = trail();
    const many = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`k${i}`, i]));
    audit.record({
      action: 'config.put',
      result: 'success',
      details: { nested: { a: 1 }, fn: () => 1, list: ['a', 'b'], mixed: ['a', 1], ...many },
    });
    const details = records()[0].details as Record<string, unknown>;
    expect(details.nested).toBeUndefined();
    expect(details.fn).toBeUndefined();
    expect(details.mixed).toBeUndefined();
    expect(details.list).toEqual(['a', 'b']);
    expect(Object.keys(details)).toHaveLength(20);
  });

  it('does not let a __proto__ detail key reach the prototype', () => {
    const { audit, records } = trail();
    const details = JSON.parse('{"__proto__": {"polluted": true}, "ok": "yes"}') as Record<
      string,
      unknown
    >;
    audit.record({ action: 'client.register', result: 'success', details });
    const record = records()[0];
    expect(record.details).toEqual({ ok: 'yes' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('clips long strings and strips control characters (no forged lines)', () => {
    const { audit, lines, records } = trail();
    audit.record({
      action: 'token.refuse',
      result: 'denied',
      reason: `invalid_client\n{"log_type":"audit"}${'x'.repeat(400)}`,
    });
    expect(lines[0]).not.toContain('\n');
    const reason = records()[0].reason as string;
    expect(reason.startsWith('invalid_client {')).toBe(true);
    expect(reason.length).toBe(257);
  });

  it('refuses an action name or result outside the contract', () => {
    const { audit, lines } = trail();
    expect(() => audit.record({ action: 'Bad Action', result: 'success' })).toThrow(/Audit action/);
    expect(() =>
      audit.record({ action: 'token.issue', result: 'maybe' as unknown as 'success' }),
    ).toThrow(/Audit result/);
    expect(lines).toHaveLength(0);
  });

  it('omits what is not known instead of writing empty fields', () => {
    const { audit, records } = trail();
    audit.record({ action: 'flags.change', result: 'failure', actor: {} });
    expect(Object.keys(records()[0]).sort()).toEqual(
      ['action', 'level', 'log_type', 'message', 'result', 'service', 'timestamp'].sort(),
    );
  });
});
