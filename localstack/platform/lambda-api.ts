import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  answerProtocolErrors,
  closeServer,
  listenOnLoopback,
  hostProblem,
  readBody,
  send,
} from './http-util';
import { lambdaError } from './lambda-errors';
import type { LocalFunction } from './lambda-runtime';

/** Lambda's synchronous payload limit. */
const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;
/** Invoke's FunctionName constraint (name, partial or full ARN, optional qualifier). */
const FUNCTION_NAME =
  /^(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_.]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?$/;
const QUALIFIER = /^[a-zA-Z0-9$_-]{1,128}$/;
const INVOCATION_TYPES = new Set(['Event', 'RequestResponse', 'DryRun']);

/** Decides whether the caller (identified by its access key) may invoke a function. */
export type InvokeAuthorizer = (accessKeyId: string | undefined, target: LocalFunction) => boolean;

/** Another Lambda API operation served beside Invoke; resolves true when it answered. */
export type LambdaApiExtension = (
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
  query: URLSearchParams,
  accessKeyId: string | undefined,
) => Promise<boolean>;

/**
 * The Lambda Invoke API for the functions the local platform runs (as `sam local start-lambda`
 * does), so that direct service-to-service calls work through `AWS_ENDPOINT_URL_LAMBDA`.
 */
export class LocalLambdaApi {
  private server?: Server;
  private readonly extensions: LambdaApiExtension[] = [];

  constructor(
    private readonly functions: ReadonlyMap<string, LocalFunction>,
    private readonly authorize: InvokeAuthorizer,
  ) {}

  async listen(port = 0): Promise<string> {
    this.server = createServer({ requireHostHeader: false }, (request, response) => {
      this.handle(request, response).catch((error: Error) => {
        if (response.headersSent) return void response.destroy();
        lambdaError(response, 500, 'ServiceException', `Local Lambda API failed: ${error.message}`);
      });
    });
    answerProtocolErrors(this.server);
    return listenOnLoopback(this.server, port);
  }

  async close(): Promise<void> {
    await closeServer(this.server);
  }

  /** Serves one more operation (e.g. the event source mappings of the local pollers). */
  extend(extension: LambdaApiExtension): void {
    this.extensions.push(extension);
  }

  /** Finds a function by name, full or partial ARN, with an optional `$LATEST` qualifier. */
  find(identifier: string): LocalFunction | undefined {
    const unqualified = identifier.replace(/:\$LATEST$/, '');
    const name = unqualified.startsWith('arn:')
      ? unqualified.split(':')[6]
      : unqualified.split(':').pop();
    return name ? this.functions.get(name) : undefined;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = request.url ?? '/';
    const queryStart = url.indexOf('?');
    const rawPath = queryStart < 0 ? url : url.slice(0, queryStart);
    const query = new URLSearchParams(queryStart < 0 ? '' : url.slice(queryStart + 1));
    const hostRefusal = hostProblem(request);
    if (hostRefusal) return lambdaError(response, 400, 'ValidationException', hostRefusal);
    for (const extension of this.extensions) {
      const accessKey = /Credential=([^/,\s]+)/.exec(request.headers.authorization ?? '')?.[1];
      if (await extension(request, response, rawPath, query, accessKey)) return;
    }
    const match = INVOKE_PATH.exec(rawPath);
    if (request.method !== 'POST' || !match) {
      return lambdaError(
        response,
        404,
        'UnknownOperationException',
        'Only Invoke is served locally',
      );
    }
    // Bad input is Lambda's 400 ValidationException, naming the constraint, never a 500.
    const identifier = decodePathSegment(match[1]);
    if (identifier === undefined || identifier.length > 170 || !FUNCTION_NAME.test(identifier)) {
      return validationError(
        response,
        'functionName',
        'Member must satisfy regular expression pattern and have length at most 170',
      );
    }
    const qualifier = query.get('Qualifier');
    if (qualifier !== null && !QUALIFIER.test(qualifier)) {
      return validationError(
        response,
        'qualifier',
        'Member must satisfy regular expression pattern: [a-zA-Z0-9$_-]{1,128}',
      );
    }
    const invocationType = request.headers['x-amz-invocation-type'] ?? 'RequestResponse';
    if (!INVOCATION_TYPES.has(invocationType as string)) {
      return validationError(
        response,
        'invocationType',
        'Member must satisfy enum value set: [Event, RequestResponse, DryRun]',
      );
    }
    const target = this.find(identifier);
    if (!target || (qualifier && qualifier !== '$LATEST')) {
      return lambdaError(
        response,
        404,
        'ResourceNotFoundException',
        `Function not found: ${identifier}`,
      );
    }
    const accessKeyId = /Credential=([^/,\s]+)/.exec(request.headers.authorization ?? '')?.[1];
    if (!this.authorize(accessKeyId, target)) {
      return lambdaError(
        response,
        403,
        'AccessDeniedException',
        `The caller is not authorized to perform lambda:InvokeFunction on ${target.definition.arn}`,
      );
    }
    const body = await readBody(request, MAX_PAYLOAD_BYTES);
    if (body === 'too-large') {
      return lambdaError(
        response,
        413,
        'RequestTooLargeException',
        'Request must be smaller than 6291456 bytes for the InvokeFunction operation',
      );
    }
    let event: unknown;
    try {
      event = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
    } catch {
      return lambdaError(
        response,
        400,
        'InvalidRequestContentException',
        'Could not parse request body into json',
      );
    }
    const traceHeader = request.headers['x-amzn-trace-id'] as string | undefined;
    if (invocationType === 'DryRun') return send(response, 204, {}, '');
    if (invocationType === 'Event') {
      void target.invoke(event, traceHeader);
      return send(response, 202, {}, '');
    }
    const result = await target.invoke(event, traceHeader);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'x-amz-executed-version': '$LATEST',
    };
    if (result.functionError) headers['x-amz-function-error'] = result.functionError;
    send(response, 200, headers, JSON.stringify(result.payload));
  }
}

function decodePathSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** Lambda's answer to a parameter that fails its constraint (the value is not echoed). */
function validationError(response: ServerResponse, member: string, constraint: string): void {
  lambdaError(
    response,
    400,
    'ValidationException',
    `1 validation error detected: Value at '${member}' failed to satisfy constraint: ${constraint}`,
  );
}
