import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import {
  INTERNAL_REQUEST_TYPE,
  InternalResponseSchema,
  type CallerIdentity,
  type InternalRequest,
} from './internal-request';

export type ServiceCallFailure =
  'timeout' | 'function-error' | 'invalid-response' | 'status' | 'transport';

/** A call to another service that did not produce a usable answer. */
export class ServiceCallError extends Error {
  constructor(
    readonly target: string,
    readonly reason: ServiceCallFailure,
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(`${target}: ${message}`, options);
    this.name = 'ServiceCallError';
  }
}

export interface ServiceCallContext {
  readonly correlationId: string;
  readonly caller?: CallerIdentity;
  readonly traceHeader?: string;
}

export interface ServiceClientOptions {
  /** The calling service's logical name, sent to the callee. */
  readonly source: string;
  /**
   * Time allowed for one call, end to end.
   * @default 3000
   */
  readonly timeoutMs?: number;
  /** @default - a client built from the environment (honours AWS_ENDPOINT_URL_LAMBDA) */
  readonly lambda?: LambdaClient;
}

export interface ServiceResponse<T> {
  readonly status: number;
  readonly payload: T;
}

/**
 * Calls another service of the platform directly (a synchronous Lambda invocation authorized
 * by IAM), not through the gateway, with a hard time limit and the caller's context attached.
 */
export class ServiceClient {
  private readonly lambda: LambdaClient;
  private readonly timeoutMs: number;

  constructor(private readonly options: ServiceClientOptions) {
    this.timeoutMs = options.timeoutMs ?? 3000;
    this.lambda =
      options.lambda ??
      new LambdaClient({
        // One attempt: retries belong to the caller's resilience policy, not hidden in the SDK.
        maxAttempts: 1,
        requestHandler: new NodeHttpHandler({
          connectionTimeout: Math.min(1000, this.timeoutMs),
          requestTimeout: this.timeoutMs,
        }),
      });
  }

  get client(): LambdaClient {
    return this.lambda;
  }

  async call<T = unknown>(
    functionName: string,
    operation: string,
    payload: unknown,
    context: ServiceCallContext,
  ): Promise<ServiceResponse<T>> {
    const request: InternalRequest = {
      type: INTERNAL_REQUEST_TYPE,
      source: this.options.source,
      operation,
      correlationId: context.correlationId,
      traceHeader: context.traceHeader ?? process.env._X_AMZN_TRACE_ID,
      caller: context.caller,
      payload,
    };
    let output;
    try {
      output = await this.lambda.send(
        new InvokeCommand({
          FunctionName: functionName,
          InvocationType: 'RequestResponse',
          Payload: new TextEncoder().encode(JSON.stringify(request)),
        }),
        { abortSignal: AbortSignal.timeout(this.timeoutMs) },
      );
    } catch (error) {
      if (isTimeout(error)) {
        throw new ServiceCallError(
          functionName,
          'timeout',
          `no answer within ${this.timeoutMs} ms`,
          undefined,
          { cause: error },
        );
      }
      throw new ServiceCallError(functionName, 'transport', describe(error), undefined, {
        cause: error,
      });
    }
    if (output.FunctionError) {
      throw new ServiceCallError(
        functionName,
        'function-error',
        `function error (${output.FunctionError})`,
      );
    }
    let parsed;
    try {
      const text = output.Payload ? new TextDecoder().decode(output.Payload) : 'null';
      parsed = InternalResponseSchema.parse(JSON.parse(text));
    } catch (error) {
      throw new ServiceCallError(
        functionName,
        'invalid-response',
        'the answer is not an internal response',
        undefined,
        { cause: error },
      );
    }
    if (parsed.status >= 400) {
      throw new ServiceCallError(
        functionName,
        'status',
        `answered ${parsed.status}${parsed.problem?.detail ? `: ${parsed.problem.detail}` : ''}`,
        parsed.status,
      );
    }
    return { status: parsed.status, payload: parsed.payload as T };
  }
}

function isTimeout(error: unknown): boolean {
  const name = (error as { name?: string } | undefined)?.name;
  return name === 'TimeoutError' || name === 'AbortError' || name === 'RequestTimeout';
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error';
}
