import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';

/**
 * Remembers client-assertion `jti`s until the assertion expires (RFC 7523 §3 item 7), so that an
 * assertion cannot be replayed.
 */
export interface ReplayStore {
  /** True when `id` was not seen before (and is now recorded until `expiresAtSeconds`). */
  claim(id: string, expiresAtSeconds: number): Promise<boolean>;
}

/**
 * Per warm environment only: a replay to another concurrent environment is not caught. Use the
 * DynamoDB store (ASSERTION_REPLAY_TABLE_NAME) in production.
 */
export class InMemoryReplayStore implements ReplayStore {
  private readonly seen = new Map<string, number>();
  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 10_000,
  ) {}

  async claim(id: string, expiresAtSeconds: number): Promise<boolean> {
    const nowSeconds = this.now() / 1000;
    if (this.seen.size >= this.maxEntries) {
      for (const [key, expiry] of this.seen) if (expiry <= nowSeconds) this.seen.delete(key);
      if (this.seen.size >= this.maxEntries) return false; // fail closed under a flood
    }
    const expiry = this.seen.get(id);
    if (expiry !== undefined && expiry > nowSeconds) return false;
    this.seen.set(id, expiresAtSeconds);
    return true;
  }
}

/** Fleet-wide: a conditional put per assertion; table key `pk` (string), TTL attribute `expiresAt`. */
export class DynamoDbReplayStore implements ReplayStore {
  private readonly doc: DynamoDBDocumentClient;
  constructor(
    private readonly tableName: string,
    client: DynamoDBClient = new DynamoDBClient({}),
    private readonly now: () => number = Date.now,
  ) {
    this.doc = DynamoDBDocumentClient.from(client);
  }

  async claim(id: string, expiresAtSeconds: number): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: `jti#${id}`, expiresAt: Math.ceil(expiresAtSeconds) },
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
          ExpressionAttributeValues: { ':now': Math.floor(this.now() / 1000) },
        }),
      );
      return true;
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }
}
