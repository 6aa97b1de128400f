import type { APIGatewayProxyEvent } from 'aws-lambda';
import { findHeader } from '../../runtime/observability/correlation';
import { OAuthError } from './oauth-error';

export const DEFAULT_MAX_BODY_BYTES = 8 * 1024;

/** Parameter names worth naming in an error message (anything else is attacker text). */
const KNOWN = new Set([
  'grant_type',
  'scope',
  'client_id',
  'client_secret',
  'client_assertion',
  'client_assertion_type',
  'resource',
  'audience',
]);

/**
 * The form body of a token request (RFC 6749 §4.4.2, Appendix B): the content type must be
 * application/x-www-form-urlencoded, the body at most `maxBytes`, valid UTF-8, and no parameter
 * may appear twice (§3.2). Empty values count as omitted (§3.1).
 */
export function parseTokenForm(
  event: APIGatewayProxyEvent,
  maxBytes = DEFAULT_MAX_BODY_BYTES,
): Map<string, string> {
  const contentType = findHeader(event.headers, 'content-type');
  const mediaType = contentType?.split(';')[0].trim().toLowerCase();
  if (mediaType !== 'application/x-www-form-urlencoded') {
    throw new OAuthError(
      'invalid_request',
      'The request body must be application/x-www-form-urlencoded.',
    );
  }
  const raw = event.body ?? '';
  // Refuse before decoding: a base64 body is 4/3 of its bytes.
  if (raw.length > (event.isBase64Encoded ? Math.ceil((maxBytes * 4) / 3) + 4 : maxBytes)) {
    throw new OAuthError('invalid_request', 'The request body is too large.');
  }
  let bytes: Buffer;
  if (event.isBase64Encoded) {
    const compact = raw.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) {
      throw new OAuthError('invalid_request', 'The request body is not valid base64.');
    }
    bytes = Buffer.from(compact, 'base64');
  } else {
    bytes = Buffer.from(raw, 'utf8');
  }
  if (bytes.length > maxBytes)
    throw new OAuthError('invalid_request', 'The request body is too large.');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new OAuthError('invalid_request', 'The request body is not valid UTF-8.');
  }
  const params = new Map<string, string>();
  const seen = new Set<string>();
  for (const [name, value] of new URLSearchParams(text)) {
    if (seen.has(name)) {
      throw new OAuthError(
        'invalid_request',
        KNOWN.has(name) ? `The parameter ${name} is repeated.` : 'A parameter is repeated.',
      );
    }
    seen.add(name);
    if (value !== '') params.set(name, value);
  }
  return params;
}
