import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbUsersRepository, generatePassword } from '../../functions/auth/users/users';
import { AUTH_ENV, CONSOLE_SCOPES } from '../../functions/runtime/contract';
import { functionEnvironments, type DeployedStack } from './function-environments';
import type { AwsClientSettings } from './provision';

/** A person who can sign in to the console on the local platform (platform.json `operators`). */
export interface PlatformOperator {
  readonly username: string;
  readonly password: string;
}

export const DEMO_OPERATOR = 'operator';

/**
 * Creates the demo operator in the authorization server's users table, with the console's scopes
 * (`platform/read`, `platform/admin`). The password is generated for this run only (written to
 * platform.json, never committed) and stored as a scrypt hash, as on AWS.
 */
export async function createDemoOperators(
  deployed: readonly DeployedStack[],
  settings: AwsClientSettings,
): Promise<PlatformOperator[]> {
  const usersTable = functionEnvironments(deployed)
    .map((variables) => variables[AUTH_ENV.usersTableName])
    .find((name): name is string => typeof name === 'string' && name !== '');
  if (!usersTable) return [];
  const operator = { username: DEMO_OPERATOR, password: generatePassword() };
  const dynamodb = new DynamoDBClient(settings);
  try {
    await new DynamoDbUsersRepository(usersTable, dynamodb).create({
      ...operator,
      scopes: [...CONSOLE_SCOPES],
      createdBy: 'local-platform',
    });
  } finally {
    dynamodb.destroy();
  }
  return [operator];
}
