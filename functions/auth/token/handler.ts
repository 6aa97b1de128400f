import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { CachedKeyDocument, keyStoreFromEnv } from '../../runtime/auth/key-store';
import { createPowertools } from '../../runtime/observability/powertools';
import { AUTH_ENV } from '../../runtime/contract/environment';
import { DynamoDbUsersRepository } from '../users/users';
import { DynamoDbClientsRepository } from './clients';
import type { PeopleGrants } from './code-grant';
import { DynamoDbGrantStore } from './grant-store';
import { parsePublicClients } from './public-clients';
import { DynamoDbReplayStore, InMemoryReplayStore } from './replay';
import { createTokenService, type TokenServiceOptions } from './token-service';

/**
 * Token service entry point (API Gateway REST proxy events).
 *
 * Environment:
 * - CLIENTS_TABLE_NAME (required): clients table, partition key `clientId`;
 * - SIGNING_KEYS_PATH and SIGNING_KEY_SET_PARAMETER: the signing keys (see SsmKeyStore);
 * - ISSUER_URL: the issuer identifier (recommended; derived from the request otherwise);
 * - ACCESS_TOKEN_AUDIENCE (default: the issuer), ACCESS_TOKEN_TTL_SECONDS (default 900),
 *   CLOCK_TOLERANCE_SECONDS (default 30), KEY_CACHE_SECONDS (default 60),
 *   SCOPES_SUPPORTED (space-separated, for the metadata), ASSERTION_REPLAY_TABLE_NAME (optional:
 *   fleet-wide private_key_jwt replay protection; per-environment memory otherwise);
 * - people's sign-in, when USERS_TABLE_NAME, GRANTS_TABLE_NAME and PUBLIC_CLIENTS are all set:
 *   REFRESH_TOKEN_TTL_SECONDS (default 28800), AUTHORIZATION_CODE_TTL_SECONDS (default 60).
 */
export function tokenOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): TokenServiceOptions {
  const int = (value: string | undefined) =>
    value && /^\d+$/.test(value) ? Number(value) : undefined;
  return {
    issuer: env.ISSUER_URL || undefined,
    audience: env.ACCESS_TOKEN_AUDIENCE || undefined,
    accessTokenTtlSeconds: int(env.ACCESS_TOKEN_TTL_SECONDS),
    clockToleranceSeconds: int(env.CLOCK_TOLERANCE_SECONDS),
    scopesSupported: (env.SCOPES_SUPPORTED ?? '').split(/[\s,]+/).filter(Boolean),
    codeTtlSeconds: int(env[AUTH_ENV.authorizationCodeTtlSeconds]),
  };
}

/** People's sign-in from the environment; undefined (machines only) unless fully configured. */
export function peopleGrantsFromEnv(
  dynamo: DynamoDBClient,
  env: NodeJS.ProcessEnv = process.env,
): PeopleGrants | undefined {
  const usersTable = env[AUTH_ENV.usersTableName];
  const grantsTable = env[AUTH_ENV.grantsTableName];
  const { clients } = parsePublicClients(env[AUTH_ENV.publicClients]);
  if (!usersTable || !grantsTable || clients.length === 0) return undefined;
  const ttl = env[AUTH_ENV.refreshTokenTtlSeconds];
  return {
    clients: new Map(clients.map((client) => [client.clientId, client])),
    users: new DynamoDbUsersRepository(usersTable, dynamo),
    grants: new DynamoDbGrantStore(grantsTable, dynamo),
    refreshTokenTtlSeconds: ttl && /^\d+$/.test(ttl) ? Number(ttl) : undefined,
  };
}

let service: ReturnType<typeof createTokenService> | undefined;
let powertools: ReturnType<typeof createPowertools> | undefined;

export const handler = async (
  event: APIGatewayProxyEvent,
  context: Context,
): Promise<APIGatewayProxyResult> => {
  if (!service) {
    const tableName = process.env.CLIENTS_TABLE_NAME;
    if (!tableName) throw new Error('CLIENTS_TABLE_NAME is not set');
    powertools = createPowertools('token-service');
    const dynamo = new DynamoDBClient({});
    const replayTable = process.env.ASSERTION_REPLAY_TABLE_NAME;
    service = createTokenService({
      clients: new DynamoDbClientsRepository(tableName, dynamo),
      keys: new CachedKeyDocument(
        keyStoreFromEnv(),
        1000 * Number(process.env.KEY_CACHE_SECONDS ?? 60),
      ),
      replay: replayTable
        ? new DynamoDbReplayStore(replayTable, dynamo)
        : new InMemoryReplayStore(),
      powertools,
      options: tokenOptionsFromEnv(),
      people: peopleGrantsFromEnv(dynamo),
    });
  }
  powertools?.logger.addContext(context);
  return service(event);
};
