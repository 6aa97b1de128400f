import { DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';

export interface ReadingListEntry {
  readonly bookId: string;
  readonly title: string;
  readonly author?: string;
  readonly addedAt: string;
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

  /** Adds a book; adding one already listed keeps the first entry and reports false. */
  async add(userId: string, entry: ReadingListEntry): Promise<boolean> {
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
