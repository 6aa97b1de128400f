import { describe, expect, it } from 'vitest';
import {
  badRequest,
  errorToResponse,
  forbidden,
  notFound,
  PROBLEM_CONTENT_TYPE,
  ProblemError,
  problemResponse,
} from '../../../../functions/runtime/http/problem';

describe('ProblemError', () => {
  it('carries its problem and uses the detail (else the title) as message', () => {
    const withDetail = new ProblemError({
      title: 'Conflict',
      status: 409,
      detail: 'Already there.',
    });
    expect(withDetail).toBeInstanceOf(Error);
    expect(withDetail.name).toBe('ProblemError');
    expect(withDetail.message).toBe('Already there.');
    expect(withDetail.problem).toEqual({
      title: 'Conflict',
      status: 409,
      detail: 'Already there.',
    });
    expect(new ProblemError({ title: 'Gone', status: 410 }).message).toBe('Gone');
  });

  it('helpers build 400, 403 and 404 problems', () => {
    expect(badRequest('Bad input.', { errors: [{ pointer: '/a' }] }).problem).toEqual({
      title: 'Bad Request',
      status: 400,
      detail: 'Bad input.',
      errors: [{ pointer: '/a' }],
    });
    expect(forbidden('No.').problem).toEqual({ title: 'Forbidden', status: 403, detail: 'No.' });
    expect(notFound('Nothing.').problem).toEqual({
      title: 'Not Found',
      status: 404,
      detail: 'Nothing.',
    });
  });
});

describe('problemResponse', () => {
  it('answers application/problem+json with the status and type about:blank by default', () => {
    const response = problemResponse(
      { title: 'Not Found', status: 404, detail: 'x' },
      { 'x-correlation-id': 'c-1' },
    );
    expect(response.statusCode).toBe(404);
    expect(response.headers).toEqual({
      'content-type': PROBLEM_CONTENT_TYPE,
      'x-correlation-id': 'c-1',
    });
    expect(PROBLEM_CONTENT_TYPE).toBe('application/problem+json');
    expect(JSON.parse(response.body)).toEqual({
      type: 'about:blank',
      title: 'Not Found',
      status: 404,
      detail: 'x',
    });
  });

  it('keeps an explicit problem type', () => {
    const response = problemResponse({
      type: 'https://example.com/out-of-stock',
      title: 'Out of stock',
      status: 409,
    });
    expect(JSON.parse(response.body).type).toBe('https://example.com/out-of-stock');
  });
});

describe('errorToResponse', () => {
  it('keeps the status and body of a deliberate ProblemError', () => {
    const response = errorToResponse(badRequest('Invalid query.'), { 'x-correlation-id': 'c-2' });
    expect(response.statusCode).toBe(400);
    expect(response.headers?.['x-correlation-id']).toBe('c-2');
    expect(JSON.parse(response.body)).toMatchObject({
      title: 'Bad Request',
      status: 400,
      detail: 'Invalid query.',
    });
  });

  it('turns an unexpected error into a 500 that leaks neither its message nor its stack', () => {
    const error = new TypeError('secret-table-name is undefined');
    const response = errorToResponse(error);
    expect(response.statusCode).toBe(500);
    expect(response.headers?.['content-type']).toBe(PROBLEM_CONTENT_TYPE);
    expect(JSON.parse(response.body)).toEqual({
      type: 'about:blank',
      title: 'Internal Server Error',
      status: 500,
      detail: 'The service could not complete the request.',
    });
    expect(response.body).not.toContain('secret-table-name');
    expect(response.body).not.toContain('TypeError');
    expect(response.body).not.toContain('at ');
  });

  it('turns a thrown non-error into a 500 as well', () => {
    expect(errorToResponse('boom').statusCode).toBe(500);
    expect(errorToResponse(undefined).statusCode).toBe(500);
  });
});
