import type { APIGatewayProxyResult } from 'aws-lambda';

export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'server_error'
  | 'temporarily_unavailable';

/** A token-endpoint error response (RFC 6749 §5.2). The description never echoes request values. */
export class OAuthError extends Error {
  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
    readonly status: number = 400,
    readonly headers: Record<string, string> = {},
  ) {
    super(`${error}: ${description}`);
    this.name = 'OAuthError';
  }
}

export const NO_STORE_HEADERS = { 'cache-control': 'no-store', pragma: 'no-cache' } as const;

export function oauthErrorResponse(error: OAuthError): APIGatewayProxyResult {
  return {
    statusCode: error.status,
    headers: {
      'content-type': 'application/json;charset=UTF-8',
      ...NO_STORE_HEADERS,
      ...error.headers,
    },
    body: JSON.stringify({ error: error.error, error_description: error.description }),
  };
}
