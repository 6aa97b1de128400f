import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { parseTokenForm } from '../../../../functions/auth/token/form';
import { OAuthError } from '../../../../functions/auth/token/oauth-error';

const form = (body: string) =>
  ({
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
    isBase64Encoded: false,
  }) as unknown as APIGatewayProxyEvent;

function refusal(body: string): OAuthError {
  try {
    parseTokenForm(form(body));
  } catch (error) {
    expect(error).toBeInstanceOf(OAuthError);
    return error as OAuthError;
  }
  throw new Error('expected an OAuthError, nothing was thrown');
}

describe('the token request form', () => {
  it('keeps prototype-named fields as plain entries beside the real ones', () => {
    const params = parseTokenForm(
      form('__proto__=a&constructor=b&toString=c&hasOwnProperty=d&grant_type=client_credentials'),
    );
    expect(params).toBeInstanceOf(Map);
    expect(params.get('__proto__')).toBe('a');
    expect(params.get('constructor')).toBe('b');
    expect(params.get('grant_type')).toBe('client_credentials');
    expect(params.get('valueOf')).toBeUndefined();
  });

  it('sees a repeated prototype-named field as repeated, without naming it', () => {
    const error = refusal('constructor=a&constructor=b');
    expect(error.error).toBe('invalid_request');
    expect(error.description).toBe('A parameter is repeated.');
    expect(refusal('__proto__=a&__proto__=b').description).toBe('A parameter is repeated.');
  });
});
