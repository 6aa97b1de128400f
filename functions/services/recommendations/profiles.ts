import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';

/** What recommendations knows of a user: only what events told it. */
export interface Profile {
  readonly readBookIds: string[];
  /** BookAdded events applied: counts each event once, or idempotency failed. */
  readonly booksAdded: number;
}

/** The service's own table: one profile item per user (`USER#id`, `profile`). */
export class ProfileStore {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(userId: string): Promise<Profile> {
    const { Item } = await this.documents.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: `USER#${userId}`, sk: 'profile' },
        ConsistentRead: true,
      }),
    );
    const read = Item?.readBookIds as Set<string> | undefined;
    return {
      readBookIds: read ? [...read].sort() : [],
      booksAdded: Number(Item?.booksAdded ?? 0),
    };
  }

  /** Notes a book the user added (one event, one call: the counter is not idempotent). */
  async noteBook(userId: string, bookId: string, signal?: AbortSignal): Promise<void> {
    await this.documents.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `USER#${userId}`, sk: 'profile' },
        UpdateExpression: 'ADD readBookIds :book, booksAdded :one',
        ExpressionAttributeValues: { ':book': new Set([bookId]), ':one': 1 },
      }),
      { abortSignal: signal },
    );
  }
}
