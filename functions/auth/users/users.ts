import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { isScopeToken } from '../../runtime/auth/scopes';
import { hashSecret, verifySecret } from '../token/secret-hash';

/** A person who may sign in on the login page, as stored in the users table (key `username`). */
export interface UserRecord {
  readonly username: string;
  /** `scrypt$N$r$p$salt$hash`, a random salt per user. */
  readonly passwordHash: string;
  /** The scopes this person may be granted (the console asks for `platform/read`, `platform/admin`). */
  readonly scopes: string[];
  readonly disabled?: boolean;
  readonly createdAt?: string;
  /** Who created the user (`sub` of an admin, or the command line). */
  readonly createdBy?: string;
}

export interface UsersRepository {
  find(username: string): Promise<UserRecord | undefined>;
}

/**
 * Lower-case letters, digits and `._@-`, 3-64 long, starting with a letter or digit: no markup,
 * no whitespace, nothing a login page or an audit line must escape twice.
 */
export const USERNAME = /^[a-z0-9][a-z0-9._@-]{2,63}$/;
export const MIN_PASSWORD_LENGTH = 12;
/** scrypt hashes whatever it gets; a cap keeps one request from buying a lot of CPU. */
export const MAX_PASSWORD_LENGTH = 256;

export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

export class UserExistsError extends UserError {
  constructor(username: string) {
    super(`user '${username}' exists`);
    this.name = 'UserExistsError';
  }
}

export interface NewUser {
  readonly username: string;
  readonly password: string;
  readonly scopes: readonly string[];
  readonly createdBy?: string;
}

/** Checks a new user's fields; throws UserError naming what is wrong (never the password). */
export function validateNewUser(user: NewUser): void {
  if (!USERNAME.test(user.username)) {
    throw new UserError(
      'username must be 3-64 lower-case letters, digits, dot, underscore, @ or hyphen, starting with a letter or digit',
    );
  }
  if (user.password.length < MIN_PASSWORD_LENGTH || user.password.length > MAX_PASSWORD_LENGTH) {
    throw new UserError(
      `password must be ${MIN_PASSWORD_LENGTH}-${MAX_PASSWORD_LENGTH} characters long`,
    );
  }
  const invalid = user.scopes.filter((scope) => !isScopeToken(scope));
  if (invalid.length) throw new UserError('scopes must be RFC 6749 scope tokens');
  if (user.scopes.length === 0) throw new UserError('give the user at least one scope');
}

/** A random password for generated users (the local demo operator, `user:create` without one). */
export function generatePassword(): string {
  return randomBytes(24).toString('base64url');
}

/** The users table through the DynamoDB document client. */
export class DynamoDbUsersRepository implements UsersRepository {
  private readonly doc: DynamoDBDocumentClient;
  constructor(
    private readonly tableName: string,
    client: DynamoDBClient = new DynamoDBClient({}),
  ) {
    this.doc = DynamoDBDocumentClient.from(client);
  }

  async find(username: string): Promise<UserRecord | undefined> {
    if (!USERNAME.test(username)) return undefined;
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { username }, ConsistentRead: true }),
    );
    return out.Item ? toUserRecord(out.Item) : undefined;
  }

  /**
   * Creates a user with a scrypt hash of the password; an existing username is refused
   * (UserExistsError) and left as it was.
   */
  async create(user: NewUser, now: Date = new Date()): Promise<UserRecord> {
    validateNewUser(user);
    const record: UserRecord = {
      username: user.username,
      passwordHash: await hashSecret(user.password),
      scopes: [...new Set(user.scopes)],
      createdAt: now.toISOString(),
      ...(user.createdBy ? { createdBy: user.createdBy } : {}),
    };
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...record },
          ConditionExpression: 'attribute_not_exists(username)',
        }),
      );
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') {
        throw new UserExistsError(user.username);
      }
      throw error;
    }
    return record;
  }
}

/** Tolerates hand-written items (string sets, space-separated scopes). */
export function toUserRecord(item: Record<string, unknown>): UserRecord | undefined {
  if (typeof item.username !== 'string' || typeof item.passwordHash !== 'string') return undefined;
  const scopes =
    item.scopes instanceof Set || Array.isArray(item.scopes)
      ? [...(item.scopes as Iterable<unknown>)].filter((s): s is string => typeof s === 'string')
      : typeof item.scopes === 'string'
        ? item.scopes.split(' ').filter(Boolean)
        : [];
  return {
    username: item.username,
    passwordHash: item.passwordHash,
    scopes,
    disabled: item.disabled === true,
    createdAt: typeof item.createdAt === 'string' ? item.createdAt : undefined,
  };
}

/**
 * The user whose password matches, else undefined. An unknown or disabled user costs the same
 * scrypt work as a wrong password (a dummy hash), so timing does not tell who exists.
 */
export async function checkPassword(
  users: UsersRepository,
  username: string,
  password: string,
): Promise<UserRecord | undefined> {
  const candidate =
    USERNAME.test(username) && password.length <= MAX_PASSWORD_LENGTH
      ? await users.find(username)
      : undefined;
  const usable = candidate && !candidate.disabled ? candidate.passwordHash : undefined;
  const ok = await verifySecret(password.slice(0, MAX_PASSWORD_LENGTH), usable);
  return ok ? candidate : undefined;
}
