import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { DEFAULT_CALL_TIMEOUT_MS } from '../contract/breaker';
import { CircuitBreaker } from '../resilience/circuit-breaker';
import { CallTimeoutError, CircuitOpenError } from '../resilience/errors';
import type { CircuitBreakerOptions } from '../resilience/options';
import type { StateStore } from '../resilience/state-store';
import { serviceFunctionName } from './service-directory';
import {
  INTERNAL_REQUEST_TYPE,
  InternalResponseSchema,
  type CallerIdentity,
  type InternalRequest,
} from './internal-request';

export type ServiceCallFailure =
  | 'timeout'
  | 'function-error'
  | 'invalid-response'
  | 'status'
  | 'transport'
  | 'circuit-open'
  | 'no-instance';

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
   * @default 2000 - DEFAULT_CALL_TIMEOUT_MS (contract), the breaker's default too
   */
  readonly timeoutMs?: number;
  /** @default - a client built from the environment (honours AWS_ENDPOINT_URL_LAMBDA) */
  readonly lambda?: LambdaClient;
  /**
   * Circuit breaker and retries.
   * @default - none: one attempt with a timeout
   */
  readonly resilience?: ServiceClientResilience;
  /**
   * Finds the function of one instance of a service (service discovery with client-side load
   * balancing).
   * @default - the SERVICE_<NAME>_FUNCTION_NAME environment variable
   */
  readonly directory?: ServiceDirectory;
}

/** Where a logical service name leads: the function of one of its (healthy) instances. */
export interface ServiceDirectory {
  functionFor(service: string): Promise<string>;
}

export interface ServiceResponse<T> {
  readonly status: number;
  readonly payload: T;
  /** Set when the payload came from the fallback, with the reason. */
  readonly fallback?: 'open' | 'failure' | 'timeout';
}

/** Resilience for every call: one shared circuit per callee, bounded retries with jitter. */
export interface ServiceClientResilience {
  /** Where the fleet shares circuit state (a `DynamoDbStateStore` on the platform's table). */
  readonly store: StateStore;
  /**
   * Breaker settings for every circuit this client opens.
   * @default - the library's defaults, with `callTimeoutMs` = the client's `timeoutMs`
   */
  readonly breaker?: Omit<CircuitBreakerOptions, 'name' | 'store'>;
  /**
   * Extra attempts for calls marked idempotent, after a transport error or a 429/503.
   * @default 1
   */
  readonly maxRetries?: number;
  /**
   * Base of the exponential back-off; each wait is a random share of it (full jitter).
   * @default 50
   */
  readonly retryBaseDelayMs?: number;
  /** @default Math.random */
  readonly random?: () => number;
  /** @default setTimeout */
  readonly delay?: (ms: number) => Promise<void>;
}

export interface CallOptions<T> {
  /**
   * The circuit the call goes through.
   * @default - the target's name
   */
  readonly circuit?: string;
  /**
   * The operation may safely run twice (a read): transport errors and 429/503 are retried.
   * @default false
   */
  readonly idempotent?: boolean;
  /** Answers instead when the circuit is open or the call fails or times out. */
  readonly fallback?: (
    reason: 'open' | 'failure' | 'timeout',
    error: ServiceCallError,
  ) => T | Promise<T>;
}

/**
 * Calls another service of the platform directly (a synchronous Lambda invocation authorized
 * by IAM), not through the gateway, with a hard time limit and the caller's context attached.
 */
export class ServiceClient {
  private readonly lambda: LambdaClient;
  private readonly timeoutMs: number;
  private readonly breakers = new Map<string, CircuitBreaker>();

  constructor(private readonly options: ServiceClientOptions) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
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

  /**
   * Calls another service of the platform by its logical name: discovery picks the instance,
   * and the circuit is named after the service (one circuit per callee, whatever the instance).
   */
  async callService<T = unknown>(
    service: string,
    operation: string,
    payload: unknown,
    context: ServiceCallContext,
    options: CallOptions<T> = {},
  ): Promise<ServiceResponse<T>> {
    let functionName: string;
    try {
      functionName = this.options.directory
        ? await this.options.directory.functionFor(service)
        : serviceFunctionName(service);
    } catch (error) {
      const failure = new ServiceCallError(service, 'no-instance', describe(error), undefined, {
        cause: error,
      });
      return this.withFallback(options, () => Promise.reject(failure));
    }
    return this.call(functionName, operation, payload, context, { circuit: service, ...options });
  }

  async call<T = unknown>(
    functionName: string,
    operation: string,
    payload: unknown,
    context: ServiceCallContext,
    options: CallOptions<T> = {},
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
    const resilience = this.options.resilience;
    if (!resilience) {
      return this.withFallback(options, () =>
        this.invokeOnce<T>(functionName, request, AbortSignal.timeout(this.timeoutMs)),
      );
    }
    const breaker = this.breakerFor(options.circuit ?? functionName, resilience);
    const attempts = options.idempotent ? 1 + (resilience.maxRetries ?? 1) : 1;
    return this.withFallback(options, async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await breaker.execute((signal) =>
            this.invokeOnce<T>(functionName, request, signal),
          );
        } catch (error) {
          const failure = asServiceCallError(functionName, error, this.timeoutMs);
          if (attempt >= attempts || !isRetryable(failure)) throw failure;
          const ceiling = (resilience.retryBaseDelayMs ?? 50) * 2 ** (attempt - 1);
          const wait = Math.floor((resilience.random ?? Math.random)() * ceiling);
          await (
            resilience.delay ?? ((ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)))
          )(wait);
        }
      }
    });
  }

  /** Writes pending circuit counts and metrics; call at the end of every invocation. */
  async flush(): Promise<void> {
    await Promise.all([...this.breakers.values()].map((breaker) => breaker.flush()));
  }

  private breakerFor(name: string, resilience: ServiceClientResilience): CircuitBreaker {
    let breaker = this.breakers.get(name);
    if (!breaker) {
      breaker = new CircuitBreaker({
        callTimeoutMs: this.timeoutMs,
        ...resilience.breaker,
        name,
        store: resilience.store,
      });
      this.breakers.set(name, breaker);
    }
    return breaker;
  }

  private async withFallback<T>(
    options: CallOptions<T>,
    work: () => Promise<ServiceResponse<T>>,
  ): Promise<ServiceResponse<T>> {
    try {
      return await work();
    } catch (error) {
      if (!options.fallback || !(error instanceof ServiceCallError)) throw error;
      // A 4xx other than 429 says the request was wrong, not that the dependency is down: the
      // caller must see it (as the breaker does not count it), not a maintenance notice.
      if (
        error.reason === 'status' &&
        error.status !== undefined &&
        error.status < 500 &&
        error.status !== 429
      ) {
        throw error;
      }
      const reason =
        error.reason === 'circuit-open'
          ? 'open'
          : error.reason === 'timeout'
            ? 'timeout'
            : 'failure';
      return { status: 200, payload: await options.fallback(reason, error), fallback: reason };
    }
  }

  private async invokeOnce<T>(
    functionName: string,
    request: InternalRequest,
    signal: AbortSignal,
  ): Promise<ServiceResponse<T>> {
    let output;
    try {
      output = await this.lambda.send(
        new InvokeCommand({
          FunctionName: functionName,
          InvocationType: 'RequestResponse',
          Payload: new TextEncoder().encode(JSON.stringify(request)),
        }),
        { abortSignal: signal },
      );
    } catch (error) {
      if (isTimeout(error)) {
        throw new ServiceCallError(
          functionName,
          'timeout',
          `no answer within ${this.timeoutMs} ms`,
          undefined,
          {
            cause: error,
          },
        );
      }
      throw new ServiceCallError(
        functionName,
        'transport',
        describe(error),
        httpStatusOfSdkError(error),
        {
          cause: error,
        },
      );
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
        {
          cause: error,
        },
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

function asServiceCallError(target: string, error: unknown, timeoutMs: number): ServiceCallError {
  if (error instanceof ServiceCallError) return error;
  if (error instanceof CircuitOpenError) {
    return new ServiceCallError(target, 'circuit-open', 'the circuit is open', undefined, {
      cause: error,
    });
  }
  if (error instanceof CallTimeoutError) {
    return new ServiceCallError(target, 'timeout', `no answer within ${timeoutMs} ms`, undefined, {
      cause: error,
    });
  }
  return new ServiceCallError(target, 'transport', describe(error), undefined, { cause: error });
}

/** Only failures where the callee did not run, or said to come back: never a plain 5xx or a timeout. */
function isRetryable(error: ServiceCallError): boolean {
  if (error.reason === 'transport')
    return error.status === undefined || error.status === 429 || error.status >= 500;
  return error.reason === 'status' && (error.status === 429 || error.status === 503);
}

function httpStatusOfSdkError(error: unknown): number | undefined {
  const status = (error as { $metadata?: { httpStatusCode?: unknown } } | undefined)?.$metadata
    ?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

function isTimeout(error: unknown): boolean {
  const name = (error as { name?: string } | undefined)?.name;
  return name === 'TimeoutError' || name === 'AbortError' || name === 'RequestTimeout';
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error';
}
