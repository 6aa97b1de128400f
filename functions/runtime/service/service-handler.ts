import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { SERVICE_ENV } from '../contract/environment';
import { SERVICE_METRICS } from '../contract/metrics';
import { errorToResponse, ProblemError, type Problem } from '../http/problem';
import { CORRELATION_ID_HEADER, resolveCorrelationId } from '../observability/correlation';
import type { Powertools } from '../observability/powertools';
import { xrayTracing } from '../observability/tracing';
import { jsonResponse } from '../http/json';
import { callerFromGatewayEvent } from './caller';
import { checkHealth, type HealthCheck } from './health';
import {
  InternalRequestSchema,
  looksLikeInternalRequest,
  type CallerIdentity,
  type InternalResponse,
} from './internal-request';

/** What every route and operation handler receives beside its input. */
export interface RequestScope {
  readonly correlationId: string;
  /** The original caller, from the authorizer or carried by an internal call. */
  readonly caller?: CallerIdentity;
  /** The service that invoked this one directly; undefined for gateway requests. */
  readonly sourceService?: string;
  readonly traceHeader?: string;
  readonly lambdaContext: Context;
}

export type RouteHandler = (
  event: APIGatewayProxyEvent,
  scope: RequestScope,
) => Promise<APIGatewayProxyResult>;
export type OperationHandler = (payload: unknown, scope: RequestScope) => Promise<unknown>;

export interface ServiceHandlerOptions {
  /** The service's logical name; its health route is `GET /{serviceName}/health`. */
  readonly serviceName: string;
  /**
   * Version reported by the health route.
   * @default - the SERVICE_VERSION environment variable, else 'unknown'
   */
  readonly version?: string;
  readonly powertools: Powertools;
  /**
   * Dependencies the health route checks (the service's table, its configuration...).
   * @default - none: the service is UP when its function answers
   */
  readonly healthChecks?: Record<string, HealthCheck>;
  /** Gateway routes, keyed `METHOD /resource/template` as API Gateway names them. */
  readonly routes?: Record<string, RouteHandler>;
  /** Operations other services may invoke directly. */
  readonly operations?: Record<string, OperationHandler>;
  /**
   * Injected faults to apply before every route and operation (not the health route).
   * @default - none
   */
  readonly faults?: { apply(): Promise<void> };
  /**
   * Work to finish before the invocation ends (e.g. the service client's `flush()`): a frozen
   * environment cannot do it later.
   * @default - none
   */
  readonly afterInvocation?: () => Promise<void>;
  /**
   * Serve internal invocations that carry no original caller. Off by default: a call made on
   * nobody's behalf could not be checked against anyone's scopes.
   * @default false
   */
  readonly allowAnonymousInternalCalls?: boolean;
}

/** The internal operation every service answers with its health report. */
export const HEALTH_OPERATION = 'health';

export type ServiceLambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

/**
 * The one entry point of a service function: it serves gateway requests and direct internal
 * invocations alike, binds the correlation ID to every log line, turns errors into RFC 9457
 * problems (never a stack trace) and flushes metrics.
 */
export function createServiceHandler(options: ServiceHandlerOptions): ServiceLambdaHandler {
  const { logger, metrics } = options.powertools;
  const tracing = xrayTracing(options.powertools.tracer);
  const health = async () => {
    const report = await checkHealth(options.healthChecks ?? {}, {
      service: options.serviceName,
      version: options.version ?? process.env[SERVICE_ENV.version] ?? 'unknown',
    });
    if (report.status === 'DOWN')
      logger.warn('Health check failed', { components: report.components });
    return report;
  };
  const healthRoute: RouteHandler = async () => {
    const report = await health();
    return jsonResponse(report.status === 'UP' ? 200 : 503, report, {
      'cache-control': 'no-store',
    });
  };
  const routes: Record<string, RouteHandler> = {
    [`GET /${options.serviceName}/health`]: healthRoute,
    ...options.routes,
  };
  const operations = options.operations ?? {};

  async function serveGateway(
    event: APIGatewayProxyEvent,
    context: Context,
  ): Promise<APIGatewayProxyResult> {
    const correlationId = resolveCorrelationId(event.headers, event.requestContext?.requestId);
    logger.appendKeys({ correlation_id: correlationId });
    tracing.annotate('correlationId', correlationId);
    const headers = { [CORRELATION_ID_HEADER]: correlationId };
    const route = routes[`${event.httpMethod} ${event.resource}`];
    try {
      if (!route)
        throw new ProblemError({ title: 'Not Found', status: 404, detail: 'No such route.' });
      if (route !== healthRoute) await injectFaults();
      const result = await route(event, {
        correlationId,
        caller: callerFromGatewayEvent(event),
        lambdaContext: context,
      });
      return { ...result, headers: { ...headers, ...result.headers } };
    } catch (error) {
      logFailure(error);
      return errorToResponse(error, headers);
    }
  }

  async function serveInternal(event: unknown, context: Context): Promise<InternalResponse> {
    const parsed = InternalRequestSchema.safeParse(event);
    if (!parsed.success) {
      logger.warn('Rejected a malformed internal request', { issues: parsed.error.issues.length });
      return problemOf({
        title: 'Bad Request',
        status: 400,
        detail: 'Malformed internal request.',
      });
    }
    const request = parsed.data;
    logger.appendKeys({ correlation_id: request.correlationId, source_service: request.source });
    tracing.annotate('correlationId', request.correlationId);
    noteCallerTrace(request.traceHeader);
    // The health control loop probes every instance directly, on nobody's behalf: the one
    // operation that needs no caller, and it reveals only the health report.
    if (request.operation === HEALTH_OPERATION) {
      const report = await health();
      return { status: report.status === 'UP' ? 200 : 503, payload: report };
    }
    const operation = operations[request.operation];
    try {
      if (!request.caller && !options.allowAnonymousInternalCalls) {
        throw new ProblemError({
          title: 'Unauthorized',
          status: 401,
          detail: 'An internal call must carry the identity of the caller it acts for.',
        });
      }
      if (!operation)
        throw new ProblemError({ title: 'Not Found', status: 404, detail: 'No such operation.' });
      await injectFaults();
      const payload = await operation(request.payload, {
        correlationId: request.correlationId,
        caller: request.caller,
        sourceService: request.source,
        traceHeader: request.traceHeader,
        lambdaContext: context,
      });
      return { status: 200, payload };
    } catch (error) {
      logFailure(error);
      const response = errorToResponse(error);
      return problemOf(JSON.parse(response.body) as Problem);
    }
  }

  /**
   * Lambda continues the caller's trace from the Invoke's X-Amzn-Trace-Id (the caller's Lambda
   * client is traced). The envelope carries the caller's header too: when the two differ (an
   * untraced caller, a relay), the caller's trace is kept as an annotation so both can be found.
   */
  function noteCallerTrace(traceHeader: string | undefined): void {
    const callerTrace = /(?:^|;)Root=(1-[0-9a-f]{8}-[0-9a-f]{24})(?:;|$)/.exec(
      traceHeader ?? '',
    )?.[1];
    if (callerTrace && callerTrace !== tracing.traceId())
      tracing.annotate('callerTraceId', callerTrace);
  }

  async function injectFaults(): Promise<void> {
    if (!options.faults) return;
    try {
      await options.faults.apply();
    } catch (error) {
      metrics.addMetric(SERVICE_METRICS.injectedFaults, 'Count', 1);
      throw new ProblemError({
        title: 'Service Unavailable',
        status: 503,
        detail: error instanceof Error ? error.message : 'Injected fault.',
      });
    }
  }

  function logFailure(error: unknown): void {
    if (error instanceof ProblemError && error.problem.status < 500) {
      logger.info('Request refused', { status: error.problem.status, title: error.problem.title });
    } else {
      logger.error('Request failed', error as Error);
      metrics.addMetric(SERVICE_METRICS.errors, 'Count', 1);
    }
  }

  return async (event, context) => {
    logger.addContext(context);
    try {
      // One span per invocation under the function's segment, where the annotations go.
      return await tracing.traceInvocation<unknown>('handler', () =>
        looksLikeInternalRequest(event)
          ? serveInternal(event, context)
          : serveGateway(event as APIGatewayProxyEvent, context),
      );
    } finally {
      await Promise.resolve()
        .then(() => options.afterInvocation?.())
        .catch((error: unknown) => {
          logger.warn('After-invocation work failed', {
            error: error instanceof Error ? error.name : 'unknown',
          });
        });
      logger.resetKeys();
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    }
  };
}

function problemOf(problem: Problem): InternalResponse {
  return {
    status: problem.status,
    problem: { ...problem, title: problem.title, status: problem.status },
  };
}
