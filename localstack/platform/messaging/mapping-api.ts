import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, send } from '../http-util';
import { lambdaError } from '../lambda-errors';
import type { LocalEventSourceMappings } from './event-source-mappings';

const COLLECTION = /^\/2015-03-31\/event-source-mappings\/?$/;
const ITEM = /^\/2015-03-31\/event-source-mappings\/([^/]+)$/;

/** Who signs a request: the operator, or a function (its ARN), or nobody known. */
export type CallerResolver = (accessKeyId: string | undefined) => 'operator' | string | undefined;

/**
 * The Lambda API's event source mapping operations for the local mappings: list (with the
 * `FunctionName` and `EventSourceArn` filters), get, and update (`Enabled`). A function may
 * update only its own mappings — the grant the construct gives it — the operator any.
 * Returns false for any other path, so Invoke keeps its own handling.
 */
export function eventSourceMappingRoutes(
  mappings: LocalEventSourceMappings,
  callerOf: CallerResolver,
) {
  return async (
    request: IncomingMessage,
    response: ServerResponse,
    path: string,
    query: URLSearchParams,
    accessKeyId: string | undefined,
  ): Promise<boolean> => {
    const item = ITEM.exec(path);
    if (!COLLECTION.test(path) && !item) return false;
    const caller = callerOf(accessKeyId);
    if (!caller) {
      lambdaError(response, 403, 'AccessDeniedException', 'Unknown caller');
      return true;
    }
    if (!item) {
      if (request.method !== 'GET') {
        lambdaError(response, 404, 'UnknownOperationException', 'Only listing is served');
        return true;
      }
      const functionName = query.get('FunctionName') ?? undefined;
      const listed = mappings
        .list({ eventSourceArn: query.get('EventSourceArn') ?? undefined })
        .filter(
          (mapping) =>
            !functionName ||
            mapping.definition.target.arn === functionName ||
            mapping.definition.target.arn.endsWith(`:function:${functionName}`),
        );
      json(response, 200, { EventSourceMappings: listed.map((mapping) => mapping.configuration) });
      return true;
    }
    const mapping = mappings.get(decodeURIComponent(item[1]));
    if (!mapping) {
      lambdaError(response, 404, 'ResourceNotFoundException', 'No such event source mapping');
      return true;
    }
    if (request.method === 'GET') {
      json(response, 200, mapping.configuration);
      return true;
    }
    if (request.method !== 'PUT') {
      lambdaError(response, 404, 'UnknownOperationException', 'Not served locally');
      return true;
    }
    if (caller !== 'operator' && caller !== mapping.definition.target.arn) {
      lambdaError(
        response,
        403,
        'AccessDeniedException',
        `The caller is not authorized to perform lambda:UpdateEventSourceMapping on ${mapping.definition.uuid}`,
      );
      return true;
    }
    const body = await readBody(request, 64 * 1024);
    let update: { Enabled?: unknown };
    try {
      update = body === 'too-large' ? { Enabled: 'invalid' } : JSON.parse(body.toString('utf8'));
    } catch {
      update = { Enabled: 'invalid' };
    }
    if (update.Enabled !== undefined && typeof update.Enabled !== 'boolean') {
      lambdaError(response, 400, 'InvalidParameterValueException', 'Enabled must be a boolean');
      return true;
    }
    if (typeof update.Enabled === 'boolean') mapping.setEnabled(update.Enabled);
    json(response, 202, mapping.configuration);
    return true;
  };
}

function json(response: ServerResponse, status: number, body: unknown): void {
  send(response, status, { 'content-type': 'application/json' }, JSON.stringify(body));
}
