import type { APIGatewayProxyResult } from 'aws-lambda';

/** RFC 9457 problem details. `type` defaults to `about:blank`, whose title is the HTTP status text. */
export interface Problem {
  readonly type?: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly instance?: string;
  readonly [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** An error a handler throws on purpose: it becomes a problem+json answer with its status. */
export class ProblemError extends Error {
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.detail ?? problem.title);
    this.name = 'ProblemError';
    this.problem = problem;
  }
}

export function badRequest(detail: string, extensions: Record<string, unknown> = {}): ProblemError {
  return new ProblemError({ title: 'Bad Request', status: 400, detail, ...extensions });
}

export function notFound(detail: string): ProblemError {
  return new ProblemError({ title: 'Not Found', status: 404, detail });
}

export function forbidden(detail: string): ProblemError {
  return new ProblemError({ title: 'Forbidden', status: 403, detail });
}

export function problemResponse(
  problem: Problem,
  headers: Record<string, string> = {},
): APIGatewayProxyResult {
  return {
    statusCode: problem.status,
    headers: { 'content-type': PROBLEM_CONTENT_TYPE, ...headers },
    body: JSON.stringify({ type: 'about:blank', ...problem }),
  };
}

/**
 * Turns anything a handler threw into a response. Deliberate problems keep their status;
 * anything else is a 500 whose body says nothing about the cause (no stack, no message).
 */
export function errorToResponse(
  error: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyResult {
  if (error instanceof ProblemError) return problemResponse(error.problem, headers);
  return problemResponse(
    {
      title: 'Internal Server Error',
      status: 500,
      detail: 'The service could not complete the request.',
    },
    headers,
  );
}
