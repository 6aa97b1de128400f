import { InvokeCommand, type InvokeCommandOutput, type LambdaClient } from '@aws-sdk/client-lambda';
import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import { systemClock, type Clock } from '../../runtime/resilience';
import {
  INTERNAL_REQUEST_TYPE,
  InternalResponseSchema,
  type InternalRequest,
} from '../../runtime/service';

/** The logical name the control loop gives as `source` of its probes. */
export const CONTROL_LOOP_SOURCE = 'control-loop';
/** The built-in operation every service handler answers with its HealthReport. */
export const HEALTH_OPERATION = 'health';

/** What one probe concluded. The reason is short, fixed-form text: safe to log and return. */
export interface ProbeResult {
  readonly status: 'UP' | 'DOWN';
  readonly reason: string;
}

export interface InstanceProberOptions {
  readonly lambda: LambdaClient;
  /**
   * Time one attempt may take. Short: a probe stuck behind a hung function must not hold the
   * whole loop, and an instance that cannot answer a health check in this time would fail its
   * callers' timeouts too.
   * @default 3000
   */
  readonly timeoutMs?: number;
  /**
   * Attempts per probe. The second attempt absorbs a cold start or one dropped connection, so
   * that a single slow invocation does not take an instance out of rotation for a whole
   * schedule period. Only timeouts and transport errors are retried: a DOWN answer is final.
   * @default 2
   */
  readonly attempts?: number;
  /** @default systemClock */
  readonly clock?: Clock;
  /** @default crypto.randomUUID */
  readonly newCorrelationId?: () => string;
}

/** Probes the instance whose function is `functionName`; never throws. */
export type InstanceProber = (functionName: string) => Promise<ProbeResult>;

/** The part of a HealthReport (runtime/service/health.ts) the verdict depends on. */
const HealthPayloadSchema = z
  .object({
    status: z.enum(['UP', 'DOWN']),
    components: z.record(z.string(), z.object({ status: z.string() }).loose()).optional(),
  })
  .loose();

class ProbeTimeout extends Error {}

interface Attempt extends ProbeResult {
  /** Worth another attempt: the function gave no verdict of its own. */
  readonly retryable: boolean;
}

/**
 * Makes the prober: invokes a service's function directly with the internal envelope asking
 * for the `health` operation (no caller: the probe acts for nobody), and reads the answer.
 * UP only when the function answers `{ status: 200, payload: { status: 'UP' } }`; a DOWN report
 * (status 200 or 503), any other status, a function error, a malformed answer, a transport
 * error and a timeout are all DOWN, each with its reason.
 */
export function createInstanceProber(options: InstanceProberOptions): InstanceProber {
  const timeoutMs = options.timeoutMs ?? 3000;
  const attempts = Math.max(1, options.attempts ?? 2);
  const clock = options.clock ?? systemClock;
  const newCorrelationId = options.newCorrelationId ?? randomUUID;

  async function attempt(functionName: string, request: InternalRequest): Promise<Attempt> {
    const controller = new AbortController();
    let timer: unknown;
    // The race is ours, not only the SDK's abort signal, so that the limit holds (and a fake
    // clock can drive it) whatever the client does with the signal.
    const timedOut = new Promise<never>((_, reject) => {
      timer = clock.setTimeout(() => {
        controller.abort();
        reject(new ProbeTimeout());
      }, timeoutMs);
    });
    let output: InvokeCommandOutput;
    try {
      output = await Promise.race([
        options.lambda.send(
          new InvokeCommand({
            FunctionName: functionName,
            InvocationType: 'RequestResponse',
            Payload: new TextEncoder().encode(JSON.stringify(request)),
          }),
          { abortSignal: controller.signal },
        ),
        timedOut,
      ]);
    } catch (error) {
      if (error instanceof ProbeTimeout || controller.signal.aborted) {
        return { status: 'DOWN', reason: `no answer within ${timeoutMs} ms`, retryable: true };
      }
      return {
        status: 'DOWN',
        reason: `invoke failed: ${error instanceof Error ? error.name : 'unknown'}`,
        retryable: isRetryableSdkError(error),
      };
    } finally {
      clock.clearTimeout(timer);
    }
    return { ...interpret(output), retryable: false };
  }

  return async (functionName) => {
    const request: InternalRequest = {
      type: INTERNAL_REQUEST_TYPE,
      source: CONTROL_LOOP_SOURCE,
      operation: HEALTH_OPERATION,
      correlationId: newCorrelationId(),
      payload: {},
    };
    let result: Attempt | undefined;
    for (let tried = 0; tried < attempts; tried++) {
      result = await attempt(functionName, request);
      if (!result.retryable) break;
    }
    const { status, reason } = result as Attempt;
    return { status, reason };
  };
}

/** Reads a completed invocation's answer. */
export function interpret(output: InvokeCommandOutput): ProbeResult {
  if (output.FunctionError) {
    return { status: 'DOWN', reason: `function error (${output.FunctionError})` };
  }
  let response;
  try {
    const text = output.Payload ? new TextDecoder().decode(output.Payload) : 'null';
    response = InternalResponseSchema.parse(JSON.parse(text));
  } catch {
    return { status: 'DOWN', reason: 'invalid answer: not an internal response' };
  }
  const report = HealthPayloadSchema.safeParse(response.payload);
  if (response.status === 200 && report.success && report.data.status === 'UP') {
    return { status: 'UP', reason: 'UP' };
  }
  if ((response.status === 200 || response.status === 503) && report.success) {
    const down = Object.entries(report.data.components ?? {})
      .filter(([, component]) => component.status !== 'UP')
      .map(([name]) => name)
      .sort();
    return {
      status: 'DOWN',
      reason: down.length > 0 ? `reported DOWN: ${down.join(', ')}` : 'reported DOWN',
    };
  }
  if (response.status === 200)
    return { status: 'DOWN', reason: 'invalid answer: no health report' };
  const title = response.problem?.title;
  return { status: 'DOWN', reason: `answered ${response.status}${title ? ` ${title}` : ''}` };
}

/** A 4xx from the Lambda API (no such function, access denied) will not change on retry. */
function isRetryableSdkError(error: unknown): boolean {
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return status === undefined || status === 429 || status >= 500;
}
