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

  it('puts no request path in the platform’s problem bodies: VTL cannot escape it', () => {
    const path = '/reading-list/health","title":"injected","y":"\\';
    const rendered = renderGatewayResponse(
      responses,
      'MISSING_AUTHENTICATION_TOKEN',
      'Missing Authentication Token',
      { path, requestId: 'req-1' },
    );
    const body = JSON.parse(rendered.body) as Record<string, unknown>;
    expect(body.title).toBe('Not Found');
    expect(Object.keys(body)).toEqual(['type', 'title', 'status', 'detail', 'requestId']);
  });

  it('escapes the path as JSON text in a template that uses it: a quote cannot add members', () => {
    const path = '/reading-list/health","title":"injected","y":"\\';
    const custom = new Map<string, GatewayResponseDefinition>([
      [
        'DEFAULT_4XX',
        {
          responseType: 'DEFAULT_4XX',
          statusCode: 404,
          headers: { 'Content-Type': 'application/problem+json' },
          template: '{"title":"Not Found","instance":"$context.path"}',
        },
      ],
    ]);
    const rendered = renderGatewayResponse(
      custom,
      'DEFAULT_4XX',
      'x',
      { path, requestId: 'r' },
      404,
    );
    const body = JSON.parse(rendered.body) as Record<string, unknown>;
    expect(body).toEqual({ title: 'Not Found', instance: path });
  });

  it('keeps $-patterns in a value literal', () => {
    const rendered = renderGatewayResponse(responses, 'DEFAULT_4XX', "$& $' $`", {
      path: "/$'",
      requestId: "req-$'",
    });
    expect(JSON.parse(rendered.body)).toMatchObject({ detail: "$& $' $`", requestId: "req-$'" });
  });
});
