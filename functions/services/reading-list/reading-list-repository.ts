import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';

export interface ReadingListEntry {
  readonly bookId: string;
  readonly title: string;
  readonly author?: string;
  readonly addedAt: string;
}

/** What is kept beside an entry: its BookAdded event's ID, and whether the event went out. */
export interface StoredEntry extends ReadingListEntry {
  readonly eventId?: string;
  readonly published?: boolean;
}

/** The service's own table: one partition per user (`USER#id`), one item per book (`BOOK#id`). */
export class ReadingListRepository {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async list(userId: string): Promise<ReadingListEntry[]> {
    const entries: ReadingListEntry[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.documents.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :book)',
          ExpressionAttributeValues: { ':pk': `USER#${userId}`, ':book': 'BOOK#' },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        entries.push({
          bookId: item.bookId,
          title: item.title,
          author: item.author,
          addedAt: item.addedAt,
        });
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return entries;
  }

  async get(userId: string, bookId: string): Promise<StoredEntry | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: `USER#${userId}`, sk: `BOOK#${bookId}` },
        ConsistentRead: true,
      }),
    );
    return Item as StoredEntry | undefined;
  }

  /** Records that the entry's event reached the bus, so a retried request does not resend it. */
  async markPublished(userId: string, bookId: string): Promise<void> {
    await this.documents.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `USER#${userId}`, sk: `BOOK#${bookId}` },
        UpdateExpression: 'SET published = :yes',
        ExpressionAttributeValues: { ':yes': true },
      }),
    );
  }

  /** Adds a book; adding one already listed keeps the first entry and reports false. */
  async add(userId: string, entry: StoredEntry): Promise<boolean> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: `USER#${userId}`, sk: `BOOK#${entry.bookId}`, ...entry },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }
}
