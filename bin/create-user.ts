#!/usr/bin/env node
/**
 * Creates a person who may sign in to the console (npm run user:create -- ...).
 *
 *   --username alice --scopes "platform/read platform/admin"
 *   --users-table <UsersTableName output>     (the deployed platform's users table), or
 *   --local                                   (the running local platform, from .local/platform.json)
 *
 * The password is generated and printed once, as JSON on stdout; only its scrypt hash is stored.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDbUsersRepository,
  generatePassword,
  UserError,
} from '../functions/auth/users/users';
import { AUTH_ENV } from '../functions/runtime/contract';

interface LocalPlatformFile {
  awsEndpoint: string;
  region: string;
  functions: { environment: Record<string, string> }[];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      username: { type: 'string' },
      scopes: { type: 'string', default: 'platform/read' },
      'users-table': { type: 'string' },
      local: { type: 'boolean', default: false },
    },
  });
  if (!values.username) throw new UserError('missing --username');
  let tableName = values['users-table'];
  let client: DynamoDBClient;
  if (values.local) {
    const stateDir = process.env.LOCAL_STATE_DIR ?? path.join(__dirname, '..', '.local');
    const file = JSON.parse(
      readFileSync(path.join(stateDir, 'platform.json'), 'utf8'),
    ) as LocalPlatformFile;
    tableName ??= file.functions.map((fn) => fn.environment[AUTH_ENV.usersTableName]).find(Boolean);
    client = new DynamoDBClient({
      endpoint: file.awsEndpoint,
      region: file.region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  } else {
    client = new DynamoDBClient({});
  }
  if (!tableName) throw new UserError('missing --users-table (or --local with a running platform)');
  const password = generatePassword();
  try {
    const created = await new DynamoDbUsersRepository(tableName, client).create({
      username: values.username,
      password,
      scopes: values.scopes!.split(/\s+/).filter(Boolean),
      createdBy: 'user:create',
    });
    process.stdout.write(
      `${JSON.stringify({ username: created.username, password, scopes: created.scopes }, null, 2)}\n`,
    );
  } finally {
    client.destroy();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`user:create: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
