import { describe, expect, it } from 'vitest';
import { renderGatewayResponse } from '../../../localstack/platform/gateway-responses';
import type { GatewayResponseDefinition } from '../../../localstack/platform/rest-api-model';
import { defaultGatewayProblems, problemTemplate } from '../../../lib/gateway/problem-responses';

const responses = new Map<string, GatewayResponseDefinition>(
  defaultGatewayProblems('demo').map((problem) => [
    problem.type.responseType,
    {
      responseType: problem.type.responseType,
      statusCode: problem.status,
      headers: { 'Content-Type': 'application/problem+json', ...problem.headers },
      template: problemTemplate(problem),
    },
  ]),
);
const context = { path: '/x', requestId: 'req-1' };

describe('rendering gateway responses from the template', () => {
  it('renders the type’s own problem document, status and headers', () => {
    const rendered = renderGatewayResponse(responses, 'UNAUTHORIZED', 'Unauthorized', context);
    expect(rendered.status).toBe(401);
    expect(rendered.headers['content-type']).toBe('application/problem+json');
    expect(rendered.headers['www-authenticate']).toBe('Bearer realm="demo", error="invalid_token"');
    expect(JSON.parse(rendered.body)).toEqual({
      type: 'about:blank',
      title: 'Unauthorized',
      status: 401,
      detail: 'Unauthorized',
      instance: '/x',
      requestId: 'req-1',
    });
  });

  it('escapes the message as JSON inside the template', () => {
    const rendered = renderGatewayResponse(
      responses,
      'DEFAULT_4XX',
      'a "quoted" \\ message',
      context,
      400,
    );
    expect(JSON.parse(rendered.body).detail).toBe('a "quoted" \\ message');
  });

  it('falls back to DEFAULT_5XX for a 5xx type the template does not define', () => {
    const rendered = renderGatewayResponse(
      responses,
      'AUTHORIZER_CONFIGURATION_ERROR',
      'Authorizer error',
      context,
    );
    expect(rendered.status).toBe(500);
    expect(JSON.parse(rendered.body)).toMatchObject({
      title: 'Bad Gateway',
      detail: 'Authorizer error',
    });
  });

  it('answers API Gateway’s own {"message"} body when the template defines nothing', () => {
    const rendered = renderGatewayResponse(
      new Map(),
      'MISSING_AUTHENTICATION_TOKEN',
      'Missing Authentication Token',
      context,
    );
    expect(rendered).toEqual({
      status: 403,
      headers: { 'content-type': 'application/json' },
      body: '{"message":"Missing Authentication Token"}',
    });
  });

  it('escapes the path as JSON text: a quote in it cannot add members to the problem', () => {
    const path = '/reading-list/health","title":"injected","y":"\\';
    const rendered = renderGatewayResponse(
      responses,
      'MISSING_AUTHENTICATION_TOKEN',
      'Missing Authentication Token',
      { path, requestId: 'req-1' },
    );
    const body = JSON.parse(rendered.body) as Record<string, unknown>;
    expect(body.title).toBe('Not Found');
    expect(body.instance).toBe(path);
    expect(Object.keys(body)).toEqual([
      'type',
      'title',
      'status',
      'detail',
      'instance',
      'requestId',
    ]);
  });

  it('keeps $-patterns in a value literal', () => {
    const rendered = renderGatewayResponse(responses, 'DEFAULT_4XX', "$& $' $`", {
      path: "/$'",
      requestId: 'req-1',
    });
    expect(JSON.parse(rendered.body)).toMatchObject({ detail: "$& $' $`", instance: "/$'" });
  });
});
