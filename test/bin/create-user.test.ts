import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPassword, DynamoDbUsersRepository } from '../../functions/auth/users/users';
import { startPeopleTables } from '../functions/auth/people-fixtures';

const run = promisify(execFile);
const ROOT = path.join(__dirname, '..', '..');
let tables: Awaited<ReturnType<typeof startPeopleTables>>;
let endpoint: string;

beforeAll(async () => {
  tables = await startPeopleTables();
  const resolved = await tables.client.config.endpoint!();
  endpoint = `${resolved.protocol}//${resolved.hostname}:${resolved.port}`;
});
afterAll(async () => tables?.close());

function createUser(args: string[]) {
  return run(
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'bin/create-user.ts'), ...args],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        AWS_ENDPOINT_URL: endpoint,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
      },
    },
  );
}

describe('npm run user:create', () => {
  it('creates a user with a generated password printed once, stored as a scrypt hash that signs in', async () => {
    const { stdout } = await createUser([
      '--username',
      'alice',
      '--scopes',
      'platform/read platform/admin',
      '--users-table',
      tables.usersTable,
    ]);
    const printed = JSON.parse(stdout) as { username: string; password: string; scopes: string[] };
    expect(printed.username).toBe('alice');
    expect(printed.scopes).toEqual(['platform/read', 'platform/admin']);
    const users = new DynamoDbUsersRepository(tables.usersTable, tables.client);
    const stored = await users.find('alice');
    expect(stored?.passwordHash).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(stored?.passwordHash).not.toContain(printed.password);
    expect((await checkPassword(users, 'alice', printed.password))?.username).toBe('alice');
    expect(await checkPassword(users, 'alice', `${printed.password}x`)).toBeUndefined();
  });

  it('refuses a taken username and a malformed one, changing nothing', async () => {
    const args = ['--scopes', 'platform/read', '--users-table', tables.usersTable];
    await expect(createUser(['--username', 'alice', ...args])).rejects.toMatchObject({
      stderr: expect.stringContaining("user 'alice' exists"),
    });
    await expect(createUser(['--username', '<b>Bob</b>', ...args])).rejects.toMatchObject({
      stderr: expect.stringContaining('username must be'),
    });
    const users = new DynamoDbUsersRepository(tables.usersTable, tables.client);
    expect(await users.find('bob')).toBeUndefined();
  });
});
