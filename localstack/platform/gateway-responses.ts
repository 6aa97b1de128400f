import type { GatewayResponseDefinition } from './rest-api-model';

export interface RenderedResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** API Gateway's default status of each response type it makes itself. */
const DEFAULT_STATUS: Record<string, number> = {
  ACCESS_DENIED: 403,
  UNAUTHORIZED: 401,
  MISSING_AUTHENTICATION_TOKEN: 403,
  RESOURCE_NOT_FOUND: 404,
  THROTTLED: 429,
  QUOTA_EXCEEDED: 429,
  REQUEST_TOO_LARGE: 413,
  INTEGRATION_TIMEOUT: 504,
  INTEGRATION_FAILURE: 504,
  AUTHORIZER_FAILURE: 500,
  AUTHORIZER_CONFIGURATION_ERROR: 500,
  BAD_REQUEST_BODY: 400,
  BAD_REQUEST_PARAMETERS: 400,
  DEFAULT_4XX: 400,
  DEFAULT_5XX: 500,
};

/**
 * Renders a gateway-made response as the deployed API would: the template's own response for
 * the type if it has one, else its DEFAULT_4XX/DEFAULT_5XX, else API Gateway's `{"message"}`.
 * Only the `$context` variables the platform's templates use are substituted.
 */
export function renderGatewayResponse(
  responses: ReadonlyMap<string, GatewayResponseDefinition>,
  type: string,
  message: string,
  context: { path: string; requestId: string },
  status = DEFAULT_STATUS[type] ?? 500,
): RenderedResponse {
  const definition =
    responses.get(type) ?? responses.get(status >= 500 ? 'DEFAULT_5XX' : 'DEFAULT_4XX');
  const finalStatus = responses.get(type)?.statusCode ?? status;
  if (!definition?.template) {
    return {
      status: finalStatus,
      headers: { 'content-type': 'application/json', ...definition?.headers },
      body: JSON.stringify({ message }),
    };
  }
  // The variables sit inside JSON strings in the templates: each value is escaped as a JSON
  // string's content, so a path or message can never close the string and add members. The
  // replacement is a function: `$&` or `$'` in a value must stay literal text.
  const inString = (value: string) => JSON.stringify(value).slice(1, -1);
  const variables: Record<string, string> = {
    '$context.error.messageString': JSON.stringify(message),
    '$context.error.message': inString(message),
    '$context.path': inString(context.path),
    '$context.requestId': inString(context.requestId),
  };
  const body = definition.template.replace(
    /\$context\.(?:error\.messageString|error\.message|path|requestId)/g,
    (name) => variables[name],
  );
  const headers = Object.fromEntries(
    Object.entries(definition.headers).map(([k, v]) => [k.toLowerCase(), v]),
  );
  return { status: finalStatus, headers: { 'content-type': 'application/json', ...headers }, body };
}
