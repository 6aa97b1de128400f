import { createHash, randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';

/**
 * What the people's grants keep between requests, in one table (partition key `pk`, TTL
 * attribute `expiresAt` in epoch seconds): authorization codes, refresh-token families and the
 * failed-login counters. Codes and refresh tokens are stored by their SHA-256 only, so a read of
 * the table yields nothing a caller could present.
 */

/** An issued authorization code and what it is bound to (RFC 6749 §4.1.3, RFC 7636 §4.6). */
export interface CodeGrant {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly codeChallenge: string;
  readonly scope: string;
  readonly sub: string;
  /** Epoch ms after which the code is refused (it stays in the table until its TTL). */
  readonly validUntil: number;
}

/** The outcome of redeeming a code: the grant, or why not. */
export type CodeRedemption =
  | { readonly kind: 'redeemed'; readonly grant: CodeGrant; readonly familyId: string }
  | { readonly kind: 'unknown' }
  /** Redeemed before: `familyId` is the family its first redemption started (now to revoke). */
  | { readonly kind: 'reused'; readonly familyId?: string };

/** A chain of rotated refresh tokens from one login (RFC 9700 §4.14.2). */
export interface RefreshFamily {
  readonly familyId: string;
  readonly clientId: string;
  readonly sub: string;
  readonly scope: string;
  /** Epoch ms: the end of the login session, whatever the rotations. */
  readonly validUntil: number;
  readonly revoked: boolean;
}

export type RefreshRotation =
  | { readonly kind: 'rotated'; readonly family: RefreshFamily; readonly refreshToken: string }
  | { readonly kind: 'invalid' }
  /** An already-rotated token came back: the family is now revoked. */
  | { readonly kind: 'reused'; readonly family: RefreshFamily };

export interface LoginFailures {
  readonly failures: number;
  /** Epoch ms until which sign-in is refused (0 when not locked). */
  readonly lockedUntil: number;
}

export interface GrantStore {
  saveCode(code: string, grant: CodeGrant): Promise<void>;
  redeemCode(code: string, now: number): Promise<CodeRedemption>;
  /** Starts a family; returns its first refresh token, or undefined if it was revoked already. */
  startFamily(family: Omit<RefreshFamily, 'revoked'>): Promise<string | undefined>;
  /** Swaps `refreshToken` for a new one if it is the family's current token. */
  rotate(refreshToken: string, clientId: string, now: number): Promise<RefreshRotation>;
  revokeFamily(familyId: string): Promise<void>;
  loginFailures(key: string, now: number): Promise<LoginFailures>;
  /** Counts one failure; the lock it now imposes is `lockFor(failures)` ms from `now`. */
  recordLoginFailure(
    key: string,
    now: number,
    lockFor: (failures: number) => number,
    forgetAfterMs: number,
  ): Promise<LoginFailures>;
  clearLoginFailures(key: string): Promise<void>;
}

export function sha256(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('base64url');
}

/** 256 random bits, base64url: codes and refresh-token secrets. */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/** A refresh token is `<familyId>.<secret>`: its family is found with one key lookup. */
const REFRESH_TOKEN = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;
/** A family may rotate this often; past it the person signs in again (bounds the item's size). */
export const MAX_ROTATIONS = 2000;

const isConditionFailure = (error: unknown) =>
  (error as { name?: string }).name === 'ConditionalCheckFailedException';

export class DynamoDbGrantStore implements GrantStore {
  private readonly doc: DynamoDBDocumentClient;
  constructor(
    private readonly tableName: string,
    client: DynamoDBClient = new DynamoDBClient({}),
  ) {
    this.doc = DynamoDBDocumentClient.from(client);
  }

  async saveCode(code: string, grant: CodeGrant): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: `code#${sha256(code)}`,
          ...grant,
          // Kept past its validity, so that a late second use is still seen as a reuse.
          expiresAt: Math.ceil(grant.validUntil / 1000) + 3600,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async redeemCode(code: string, now: number): Promise<CodeRedemption> {
    const key = { pk: `code#${sha256(code)}` };
    const familyId = randomBytes(16).toString('base64url');
    try {
      // One conditional write decides the single use, fleet-wide.
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: 'SET usedAt = :now, familyId = :family',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(usedAt)',
          ExpressionAttributeValues: { ':now': now, ':family': familyId },
          ReturnValues: 'ALL_NEW',
        }),
      );
      const item = out.Attributes ?? {};
      return {
        kind: 'redeemed',
        familyId,
        grant: {
          clientId: String(item.clientId),
          redirectUri: String(item.redirectUri),
          codeChallenge: String(item.codeChallenge),
          scope: String(item.scope),
          sub: String(item.sub),
          validUntil: Number(item.validUntil),
        },
      };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const seen = await this.doc.send(
        new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
      );
      if (!seen.Item) return { kind: 'unknown' };
      return {
        kind: 'reused',
        familyId: typeof seen.Item.familyId === 'string' ? seen.Item.familyId : undefined,
      };
    }
  }

  async startFamily(family: Omit<RefreshFamily, 'revoked'>): Promise<string | undefined> {
    const token = `${family.familyId}.${randomToken()}`;
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: `family#${family.familyId}`,
            clientId: family.clientId,
            sub: family.sub,
            scope: family.scope,
            validUntil: family.validUntil,
            revoked: false,
            currentHash: sha256(token),
            rotations: 0,
            expiresAt: Math.ceil(family.validUntil / 1000) + 3600,
          },
          // A family revoked by a code's reuse before this write stays revoked.
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
    return token;
  }

  async rotate(refreshToken: string, clientId: string, now: number): Promise<RefreshRotation> {
    const parsed = REFRESH_TOKEN.exec(refreshToken);
    if (!parsed) return { kind: 'invalid' };
    const familyId = parsed[1];
    const presented = sha256(refreshToken);
    const next = `${familyId}.${randomToken()}`;
    const key = { pk: `family#${familyId}` };
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression:
            'SET currentHash = :next, rotatedAt = :now ADD previousHashes :presentedSet, rotations :one',
          ConditionExpression:
            'currentHash = :presented AND revoked = :false AND validUntil > :now AND clientId = :client AND rotations < :max',
          ExpressionAttributeValues: {
            ':next': sha256(next),
            ':presented': presented,
            ':presentedSet': new Set([presented]),
            ':now': now,
            ':false': false,
            ':client': clientId,
            ':one': 1,
            ':max': MAX_ROTATIONS,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { kind: 'rotated', family: toFamily(familyId, out.Attributes!), refreshToken: next };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    const seen = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
    );
    const item = seen.Item;
    if (!item) return { kind: 'invalid' };
    const previous = item.previousHashes instanceof Set ? item.previousHashes : new Set();
    // A token this family once had, presented again: stolen or replayed — revoke them all.
    if (previous.has(presented) && item.clientId === clientId) {
      await this.revokeFamily(familyId);
      return { kind: 'reused', family: { ...toFamily(familyId, item), revoked: true } };
    }
    return { kind: 'invalid' };
  }

  /**
   * Marks the family revoked. A family not written yet (a code's second use racing its first)
   * gets a revoked tombstone, so that the first use's `startFamily` then fails.
   */
  async revokeFamily(familyId: string): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `family#${familyId}` },
        UpdateExpression: 'SET revoked = :true, expiresAt = if_not_exists(expiresAt, :expires)',
        ExpressionAttributeValues: {
          ':true': true,
          ':expires': Math.ceil(Date.now() / 1000) + 86_400,
        },
      }),
    );
  }

  async loginFailures(key: string, now: number): Promise<LoginFailures> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: `login#${key}` },
        ConsistentRead: true,
      }),
    );
    // TTL deletion lags (up to days): an item past its time counts as gone.
    if (!out.Item || Number(out.Item.expiresAt) * 1000 <= now)
      return { failures: 0, lockedUntil: 0 };
    return {
      failures: Number(out.Item.failures ?? 0),
      lockedUntil: Number(out.Item.lockedUntil ?? 0),
    };
  }

  async recordLoginFailure(
    key: string,
    now: number,
    lockFor: (failures: number) => number,
    forgetAfterMs: number,
  ): Promise<LoginFailures> {
    const expires = Math.ceil((now + forgetAfterMs) / 1000);
    let failures = 1;
    try {
      // ADD is atomic: concurrent failures each count, while the count is not forgotten.
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: `login#${key}` },
          UpdateExpression: 'ADD failures :one SET expiresAt = :expires',
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt > :now',
          ExpressionAttributeValues: {
            ':one': 1,
            ':expires': expires,
            ':now': Math.floor(now / 1000),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      failures = Number(out.Attributes?.failures ?? 1);
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // Forgotten but not yet deleted by TTL: start counting again.
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: `login#${key}`, failures: 1, expiresAt: expires },
        }),
      );
    }
    const lock = lockFor(failures);
    if (lock <= 0) return { failures, lockedUntil: 0 };
    const lockedUntil = now + lock;
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `login#${key}` },
        UpdateExpression: 'SET lockedUntil = :until, expiresAt = :expires',
        ExpressionAttributeValues: {
          ':until': lockedUntil,
          ':expires': Math.ceil((lockedUntil + forgetAfterMs) / 1000),
        },
      }),
    );
    return { failures, lockedUntil };
  }

  async clearLoginFailures(key: string): Promise<void> {
    await this.doc.send(
      new DeleteCommand({ TableName: this.tableName, Key: { pk: `login#${key}` } }),
    );
  }
}

function toFamily(familyId: string, item: Record<string, unknown>): RefreshFamily {
  return {
    familyId,
    clientId: String(item.clientId),
    sub: String(item.sub),
    scope: String(item.scope),
    validUntil: Number(item.validUntil),
    revoked: item.revoked === true,
  };
}
