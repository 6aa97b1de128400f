import { Tracer } from '@aws-lambda-powertools/tracer';
import { describe, expect, it } from 'vitest';
import { xrayTracing } from '../../../../functions/runtime/observability/tracing';

describe('xrayTracing', () => {
  // Outside Lambda (no AWS_EXECUTION_ENV) Powertools leaves tracing off: the interface must then
  // cost nothing and change nothing.
  const tracing = xrayTracing(new Tracer({ serviceName: 'test' }));

  it('runs an invocation and hands back its result when tracing is off', async () => {
    await expect(tracing.traceInvocation('handler', async () => 42)).resolves.toBe(42);
  });

  it('throws the invocation’s error on unchanged', async () => {
    const failure = new Error('boom');
    await expect(tracing.traceInvocation('handler', () => Promise.reject(failure))).rejects.toBe(
      failure,
    );
  });

  it('has no trace ID and ignores annotations when not traced', () => {
    expect(tracing.traceId()).toBeUndefined();
    expect(() => tracing.annotate('correlationId', 'c-1')).not.toThrow();
  });

  it('leaves an AWS SDK client as it is, without the X-Ray middleware, when not traced', async () => {
    const { LambdaClient } = await import('@aws-sdk/client-lambda');
    const client = new LambdaClient({ region: 'us-east-1' });
    expect(tracing.traceAwsClient(client)).toBe(client);
    const names = client.middlewareStack.identify();
    expect(names.some((name) => name.startsWith('XRaySDKInstrumentation'))).toBe(false);
  });
});
