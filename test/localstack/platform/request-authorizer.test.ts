import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { InvocationResult } from '../../../localstack/platform/lambda-runtime';
import {
  evaluatePolicy,
  LocalRequestAuthorizer,
} from '../../../localstack/platform/request-authorizer';

const ARN = 'arn:aws:execute-api:us-east-1:123456789012:api/dev/GET/reading-list';
const definition = {
  logicalId: 'Auth',
  type: 'REQUEST',
  identitySource: 'method.request.header.Authorization',
  resultTtlSeconds: 300,
};
const event = (authorization?: string) =>
  ({
    resource: '/reading-list',
    path: '/reading-list',
    httpMethod: 'GET',
    headers: authorization ? { Authorization: authorization } : {},
  }) as unknown as APIGatewayProxyEvent;
const allowAll: InvocationResult = {
  payload: {
    principalId: 'client-1',
    policyDocument: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 'execute-api:Invoke',
          Resource: 'arn:aws:execute-api:us-east-1:123456789012:api/dev/GET/reading-list',
        },
      ],
    },
    context: { sub: 'client-1', scope: 'reading-list/read' },
  },
};

describe('running a REQUEST authorizer as API Gateway does', () => {
  it('answers 401 without calling the authorizer when the identity source is missing', async () => {
    let calls = 0;
    const authorizer = new LocalRequestAuthorizer(definition, async () => {
      calls++;
      return allowAll;
    });
    expect(await authorizer.authorize(event(), ARN)).toEqual({ kind: 'unauthorized' });
    expect(calls).toBe(0);
  });

  it('allows with the returned context, and caches the result per token for the TTL', async () => {
    let now = 0;
    let calls = 0;
    const authorizer = new LocalRequestAuthorizer(
      definition,
      async () => {
        calls++;
        return allowAll;
      },
      () => now,
    );
    expect(await authorizer.authorize(event('Bearer a'), ARN)).toEqual({
      kind: 'allow',
      principalId: 'client-1',
      context: { sub: 'client-1', scope: 'reading-list/read' },
    });
    await authorizer.authorize(event('Bearer a'), ARN);
    expect(calls).toBe(1);
    now = 300_000;
    await authorizer.authorize(event('Bearer a'), ARN);
    expect(calls).toBe(2);
  });

  it('denies a method the cached policy does not cover', async () => {
    const authorizer = new LocalRequestAuthorizer(definition, async () => allowAll);
    await authorizer.authorize(event('Bearer a'), ARN);
    expect(await authorizer.authorize(event('Bearer a'), ARN.replace('GET', 'POST'))).toEqual({
      kind: 'denied',
    });
  });

  it('maps a thrown "Unauthorized" to 401 and any other failure to an authorizer error', async () => {
    const unauthorized = new LocalRequestAuthorizer(definition, async () => ({
      functionError: 'Unhandled',
      payload: { errorType: 'Error', errorMessage: 'Unauthorized' },
    }));
    expect(await unauthorized.authorize(event('Bearer x'), ARN)).toEqual({ kind: 'unauthorized' });
    const broken = new LocalRequestAuthorizer(definition, async () => ({
      payload: { principalId: 'x' },
    }));
    expect(await broken.authorize(event('Bearer x'), ARN)).toEqual({
      kind: 'error',
      message: 'Authorizer error',
    });
  });
});

describe('evaluating an execute-api policy', () => {
  it('lets an explicit Deny win over an Allow, and denies when nothing matches', () => {
    const allow = {
      Effect: 'Allow',
      Action: 'execute-api:Invoke',
      Resource: 'arn:aws:execute-api:*:*:api/dev/GET/*',
    };
    const deny = { Effect: 'Deny', Action: 'execute-api:*', Resource: ARN };
    expect(evaluatePolicy([allow], ARN)).toBe('allow');
    expect(evaluatePolicy([allow, deny], ARN)).toBe('deny');
    expect(evaluatePolicy([allow], ARN.replace('GET', 'POST'))).toBe('deny');
    expect(evaluatePolicy([], ARN)).toBe('deny');
  });
});
