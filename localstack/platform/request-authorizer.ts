import type { APIGatewayProxyEvent, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import type { AuthorizerDefinition } from './rest-api-model';
import type { InvocationResult } from './lambda-runtime';

export type AuthorizerOutcome =
  | {
      readonly kind: 'allow';
      readonly context: Record<string, unknown>;
      readonly principalId: string;
    }
  | { readonly kind: 'unauthorized' }
  | { readonly kind: 'denied' }
  | { readonly kind: 'error'; readonly message: string };

interface PolicyStatement {
  readonly Effect?: string;
  readonly Action?: string | string[];
  readonly Resource?: string | string[];
}

interface AuthorizerResult {
  readonly principalId?: string;
  readonly policyDocument?: { Statement?: PolicyStatement[] };
  readonly context?: Record<string, unknown>;
}

interface CacheEntry {
  readonly result: AuthorizerResult;
  readonly expiresAt: number;
}

/**
 * Runs a Lambda REQUEST authorizer the way API Gateway does: no identity source → 401 without
 * calling it; `Unauthorized` thrown → 401; otherwise the returned policy decides, and the result
 * is cached per identity-source value for the authorizer's TTL and evaluated for each method.
 */
export class LocalRequestAuthorizer {
  private readonly cache = new Map<string, CacheEntry>();

  constructor(
    private readonly definition: AuthorizerDefinition,
    private readonly invoke: (
      event: APIGatewayRequestAuthorizerEvent,
      traceHeader?: string,
    ) => Promise<InvocationResult>,
    private readonly now: () => number = Date.now,
  ) {}

  async authorize(
    event: APIGatewayProxyEvent,
    methodArn: string,
    traceHeader?: string,
  ): Promise<AuthorizerOutcome> {
    const identity = this.identityValue(event);
    if (identity === undefined) return { kind: 'unauthorized' };
    let result = this.cache.get(identity);
    if (!result || result.expiresAt <= this.now()) {
      const invocation = await this.invoke(
        {
          type: 'REQUEST',
          methodArn,
          resource: event.resource,
          path: event.path,
          httpMethod: event.httpMethod,
          headers: event.headers,
          multiValueHeaders: event.multiValueHeaders,
          queryStringParameters: event.queryStringParameters,
          multiValueQueryStringParameters: event.multiValueQueryStringParameters,
          pathParameters: event.pathParameters,
          stageVariables: event.stageVariables,
          requestContext: event.requestContext,
        } as APIGatewayRequestAuthorizerEvent,
        traceHeader,
      );
      if (invocation.functionError) {
        const message = (invocation.payload as { errorMessage?: string } | null)?.errorMessage;
        return message === 'Unauthorized'
          ? { kind: 'unauthorized' }
          : { kind: 'error', message: 'Authorizer error' };
      }
      const returned = invocation.payload as AuthorizerResult | null;
      if (!returned?.policyDocument || typeof returned.principalId !== 'string') {
        return { kind: 'error', message: 'Authorizer error' };
      }
      result = {
        result: returned,
        expiresAt: this.now() + this.definition.resultTtlSeconds * 1000,
      };
      if (this.definition.resultTtlSeconds > 0) this.cache.set(identity, result);
    }
    const decision = evaluatePolicy(result.result.policyDocument?.Statement ?? [], methodArn);
    if (decision !== 'allow') return { kind: 'denied' };
    return {
      kind: 'allow',
      context: result.result.context ?? {},
      principalId: result.result.principalId ?? '',
    };
  }

  /** The identity-source values joined; undefined when one is missing (API Gateway answers 401). */
  private identityValue(event: APIGatewayProxyEvent): string | undefined {
    const sources = (this.definition.identitySource ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const values: string[] = [];
    for (const source of sources) {
      const header = /^method\.request\.header\.(.+)$/.exec(source);
      const query = /^method\.request\.querystring\.(.+)$/.exec(source);
      let value: string | undefined;
      if (header) {
        const wanted = header[1].toLowerCase();
        value = Object.entries(event.headers ?? {}).find(
          ([name]) => name.toLowerCase() === wanted,
        )?.[1];
      } else if (query) {
        value = event.queryStringParameters?.[query[1]];
      }
      if (!value) return undefined;
      values.push(value);
    }
    return values.join(',');
  }
}

/** IAM evaluation for execute-api: an explicit Deny wins, then any Allow, else implicit deny. */
export function evaluatePolicy(
  statements: readonly PolicyStatement[],
  methodArn: string,
): 'allow' | 'deny' {
  const matching = statements.filter(
    (statement) =>
      list(statement.Action).some((action) =>
        wildcardMatch(action.toLowerCase(), 'execute-api:invoke'),
      ) && list(statement.Resource).some((resource) => wildcardMatch(resource, methodArn)),
  );
  if (matching.some((statement) => statement.Effect === 'Deny')) return 'deny';
  return matching.some((statement) => statement.Effect === 'Allow') ? 'allow' : 'deny';
}

export function wildcardMatch(pattern: string, value: string): boolean {
  const expression = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${expression}$`, 's').test(value);
}

function list(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}
