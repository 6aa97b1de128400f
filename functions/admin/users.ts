import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import * as z from 'zod';
import {
  MAX_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH,
  USERNAME,
  UserExistsError,
  type DynamoDbUsersRepository,
} from '../auth/users/users';
import { ADMIN_SCOPE } from '../runtime/contract/admin-routes';
import { isScopeToken, requireScopes } from '../runtime/auth/scopes';
import { jsonResponse } from '../runtime/http/json';
import { ProblemError } from '../runtime/http/problem';
import { parseJsonBody } from '../runtime/http/validation';
import { audit } from '../runtime/observability/audit';
import type { RequestScope } from '../runtime/service/service-handler';

const NewUserSchema = z
  .object({
    username: z.string().regex(USERNAME, 'a username: 3-64 of a-z 0-9 . _ @ -'),
    password: z.string().min(MIN_PASSWORD_LENGTH).max(MAX_PASSWORD_LENGTH),
    scopes: z.array(z.string().max(128).refine(isScopeToken, 'a scope token')).min(1).max(20),
  })
  .strict();

/**
 * `POST /admin/users` (scope platform/admin): creates a person who may sign in, with a scrypt
 * hash of the password. Answers 201 with the username and scopes (never the password), 409 when
 * the username is taken; audited either way it changes something.
 */
export function createUserRoute(
  users: DynamoDbUsersRepository | undefined,
): (event: APIGatewayProxyEvent, scope: RequestScope) => Promise<APIGatewayProxyResult> {
  return async (event, scope) => {
    requireScopes(scope.caller, [ADMIN_SCOPE]);
    if (!users) {
      throw new ProblemError({
        title: 'Not Found',
        status: 404,
        detail: 'People sign-in is not configured on this platform.',
      });
    }
    const input = parseJsonBody(event, NewUserSchema);
    try {
      const created = await users.create({
        ...input,
        createdBy: scope.caller?.sub,
      });
      audit({
        action: 'admin.user.create',
        result: 'success',
        target: created.username,
        actor: { sub: scope.caller?.sub, clientId: scope.caller?.clientId },
        requestId: scope.lambdaContext?.awsRequestId,
        correlationId: scope.correlationId,
        details: { scopes: created.scopes },
      });
      return jsonResponse(201, {
        username: created.username,
        scopes: created.scopes,
        createdAt: created.createdAt,
      });
    } catch (error) {
      if (error instanceof UserExistsError) {
        throw new ProblemError({
          title: 'Conflict',
          status: 409,
          detail: 'A user with this username exists.',
        });
      }
      throw error;
    }
  };
}
