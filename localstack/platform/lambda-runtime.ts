import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { Worker } from 'node:worker_threads';
import { runtimeModulesDir } from './package-paths';
import {
  requestBreakdowns,
  type InvocationBreakdown,
  type RequestBreakdown,
} from './request-breakdown';

/** Where the runtime-provided modules (the AWS SDK v3) come from locally. */
const RUNTIME_MODULES = runtimeModulesDir();

export interface LocalFunctionDefinition {
  readonly logicalId: string;
  readonly functionName: string;
  readonly arn: string;
  /** Absolute path of the bundled entry file (e.g. `cdk.out/asset.…/index.js`). */
  readonly entryFile: string;
  /** `index.handler` → `handler`. */
  readonly handlerName: string;
  readonly environment: Record<string, string>;
  readonly timeoutSeconds: number;
  readonly memorySize: number;
  readonly logGroupName: string;
  /** Logical service name for console prefixes, when known. */
  readonly label: string;
}

export interface InvocationResult {
  /** What the handler returned (or the error document when it failed). */
  readonly payload: unknown;
  /** `Unhandled` when the function threw or timed out, as Lambda reports it. */
  readonly functionError?: 'Unhandled';
}

/**
 * Traces invocations as Lambda does with active tracing (the local platform's X-Ray stand-in,
 * `tracing/local-tracing.ts`): the function's segment, and the daemon its SDK sends to.
 */
export interface InvocationTracer {
  environmentFor(fn: TracedFunctionRef): Promise<Record<string, string>>;
  beginInvocation(
    fn: TracedFunctionRef,
    incomingHeader?: string,
  ): { readonly traceHeader: string; end(outcome: { failed: boolean; requestId: string }): void };
}

interface TracedFunctionRef {
  readonly functionName: string;
  readonly arn: string;
  readonly serviceName: string;
}

interface Environment {
  readonly worker: Worker;
  busy: boolean;
  /** The measured request the running invocation belongs to: its log lines count there. */
  breakdown?: RequestBreakdown;
}

interface Pending {
  resolve(result: InvocationResult, breakdown?: InvocationBreakdown): void;
}

/**
 * Runs one function's bundle in worker threads: each worker is one execution environment with
 * its own environment variables; concurrent invocations get more workers (up to a cap), and a
 * timed-out environment is discarded, as Lambda does.
 */
export class LocalFunction {
  private readonly environments: Environment[] = [];
  private readonly pending = new Map<string, Pending>();
  private readonly waiters: ((environment: Environment) => void)[] = [];
  /** Told of every line written to the log (the local platform's subscription filter). */
  onLogLine?: (line: string) => void;
  private tracingEnvironment?: Record<string, string>;

  constructor(
    readonly definition: LocalFunctionDefinition,
    private readonly options: {
      logDir: string;
      maxConcurrency?: number;
      echo?: boolean;
      tracing?: InvocationTracer;
    },
  ) {
    mkdirSync(options.logDir, { recursive: true });
  }

  get logFile(): string {
    return path.join(this.options.logDir, `${this.definition.functionName}.log`);
  }

  async invoke(event: unknown, traceHeader?: string): Promise<InvocationResult> {
    const breakdown = requestBreakdowns.forTraceHeader(traceHeader);
    const invoked = breakdown ? performance.now() : 0;
    const environment = await this.acquire();
    const acquired = breakdown ? performance.now() : 0;
    environment.breakdown = breakdown;
    const id = randomUUID();
    const requestId = randomUUID();
    const timeoutMs = this.definition.timeoutSeconds * 1000;
    const segment = this.options.tracing?.beginInvocation(this.tracedRef, traceHeader);
    try {
      const result = await new Promise<InvocationResult>((resolve) => {
        const timer = setTimeout(() => {
          this.pending.delete(id);
          this.discard(environment);
          resolve({
            functionError: 'Unhandled',
            payload: {
              errorType: 'Sandbox.Timedout',
              errorMessage: `Task timed out after ${this.definition.timeoutSeconds.toFixed(2)} seconds`,
            },
          });
        }, timeoutMs);
        this.pending.set(id, {
          resolve: (result, measured) => {
            clearTimeout(timer);
            if (breakdown && measured) this.account(breakdown, invoked, acquired, measured);
            resolve(result);
          },
        });
        environment.worker.postMessage({
          id,
          event,
          requestId,
          deadline: Date.now() + timeoutMs,
          traceHeader: segment?.traceHeader ?? traceHeader,
          invokedFunctionArn: this.definition.arn,
          ...(breakdown ? { measure: true } : {}),
        });
      });
      segment?.end({ failed: result.functionError !== undefined, requestId });
      return result;
    } finally {
      environment.breakdown = undefined;
      this.release(environment);
    }
  }

  /**
   * One measured invocation's share of its request: waiting for a free environment, the handler,
   * the worker-thread hand-over both ways (what is left), and each round trip the handler made.
   */
  private account(
    breakdown: RequestBreakdown,
    invoked: number,
    acquired: number,
    measured: InvocationBreakdown,
  ): void {
    const name = this.definition.label;
    const total = performance.now() - invoked;
    breakdown.add(`${name}.wait-environment`, acquired - invoked);
    breakdown.add(`${name}.handler`, measured.handlerMs);
    breakdown.add(
      `${name}.worker-messaging`,
      Math.max(0, total - (acquired - invoked) - measured.handlerMs),
    );
    for (const trip of measured.roundTrips) breakdown.add(`${name}.${trip.to}`, trip.ms);
  }

  /** Starts one execution environment and loads the handler in it (a cold start done ahead). */
  async warm(): Promise<InvocationResult> {
    const environment = await this.acquire();
    const id = randomUUID();
    try {
      return await new Promise<InvocationResult>((resolve) => {
        this.pending.set(id, { resolve });
        environment.worker.postMessage({ id, warm: true });
      });
    } finally {
      this.release(environment);
    }
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.environments.splice(0).map((environment) => environment.worker.terminate()),
    );
  }

  private get tracedRef(): TracedFunctionRef {
    const { functionName, arn, label } = this.definition;
    return { functionName, arn, serviceName: label };
  }

  private async acquire(): Promise<Environment> {
    // The daemon address is known before the first environment starts.
    this.tracingEnvironment ??= (await this.options.tracing?.environmentFor(this.tracedRef)) ?? {};
    const idle = this.environments.find((environment) => !environment.busy);
    if (idle) {
      idle.busy = true;
      return idle;
    }
    if (this.environments.length < (this.options.maxConcurrency ?? 4)) {
      const created = this.spawn();
      created.busy = true;
      return created;
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private release(environment: Environment): void {
    if (!this.environments.includes(environment)) return;
    const next = this.waiters.shift();
    if (next) next(environment);
    else environment.busy = false;
  }

  private discard(environment: Environment): void {
    const index = this.environments.indexOf(environment);
    if (index >= 0) this.environments.splice(index, 1);
    void environment.worker.terminate();
    const next = this.waiters.shift();
    if (next) {
      const fresh = this.spawn();
      fresh.busy = true;
      next(fresh);
    }
  }

  private spawn(): Environment {
    const { definition } = this;
    const worker = new Worker(new URL('./lambda-worker.mjs', `file://${__dirname}/`), {
      env: { ...definition.environment, ...this.tracingEnvironment },
      stdout: true,
      stderr: true,
      workerData: {
        entryFile: definition.entryFile,
        handlerName: definition.handlerName,
        functionName: definition.functionName,
        memorySize: definition.memorySize,
        logGroupName: definition.logGroupName,
        runtimeModules: RUNTIME_MODULES,
      },
    });
    const environment: Environment = { worker, busy: false };
    worker.on(
      'message',
      (message: {
        id: string;
        ok: boolean;
        result?: unknown;
        error?: unknown;
        log?: string;
        breakdown?: InvocationBreakdown;
      }) => {
        if (message.log !== undefined) {
          const logging = environment.breakdown ? performance.now() : 0;
          let lines = 0;
          for (const line of message.log.split('\n')) {
            if (!line) continue;
            this.writeLog(line);
            lines++;
          }
          environment.breakdown?.add(
            `${this.definition.label}.log-lines`,
            performance.now() - logging,
            lines,
          );
          return;
        }
        const pending = this.pending.get(message.id);
        if (!pending) return;
        this.pending.delete(message.id);
        pending.resolve(
          message.ok
            ? { payload: message.result }
            : { payload: message.error, functionError: 'Unhandled' },
          message.breakdown,
        );
      },
    );
    worker.on('error', (error) => {
      this.writeLog(
        JSON.stringify({
          level: 'ERROR',
          message: 'Runtime exited',
          errorType: error.name,
          errorMessage: error.message,
        }),
      );
      const index = this.environments.indexOf(environment);
      if (index >= 0) this.environments.splice(index, 1);
    });
    // Anything written past the redirected streams (native code, early start-up) still lands.
    for (const stream of [worker.stdout, worker.stderr]) {
      createInterface({ input: stream }).on('line', (line) => this.writeLog(line));
    }
    this.environments.push(environment);
    return environment;
  }

  /** The local "log group": one file per function, plus the console with a prefix. */
  private writeLog(line: string): void {
    appendFileSync(this.logFile, `${line}\n`);
    this.onLogLine?.(line);
    if (this.options.echo) process.stdout.write(`[${this.definition.label}] ${line}\n`);
  }
}
