import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReadingListRepository } from '../../../functions/services/reading-list/reading-list-repository';
import { emulatorClientConfig } from '../aws-clients';

const tableName = `reading-list-${Date.now().toString(36)}`;
let client: DynamoDBClient;
let repository: ReadingListRepository;

beforeAll(async () => {
  client = new DynamoDBClient(emulatorClientConfig());
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  repository = new ReadingListRepository(DynamoDBDocumentClient.from(client), tableName);
});

afterAll(() => client.destroy());

describe('ReadingListRepository against the emulator', () => {
  it('lists only the books of the user asked for', async () => {
    await repository.add('grace', {
      bookId: 'ddd',
      title: 'Domain-Driven Design',
      addedAt: '2026-01-01T00:00:00.000Z',
    });
    await repository.add('grace', {
      bookId: 'release-it',
      title: 'Release It!',
      addedAt: '2026-01-02T00:00:00.000Z',
    });
    await repository.add('linus', {
      bookId: 'ddd',
      title: 'Domain-Driven Design',
      addedAt: '2026-01-03T00:00:00.000Z',
    });

    const books = await repository.list('grace');
    expect(books.map((book) => book.bookId).sort()).toEqual(['ddd', 'release-it']);
    expect(await repository.list('nobody')).toEqual([]);
  });

  it('keeps the first entry when the same book is added twice, and says so', async () => {
    expect(
      await repository.add('alan', {
        bookId: 'ddd',
        title: 'First',
        addedAt: '2026-01-01T00:00:00.000Z',
      }),
    ).toBe(true);
    expect(
      await repository.add('alan', {
        bookId: 'ddd',
        title: 'Second',
        addedAt: '2026-02-01T00:00:00.000Z',
      }),
    ).toBe(false);
    expect(await repository.list('alan')).toEqual([
      { bookId: 'ddd', title: 'First', author: undefined, addedAt: '2026-01-01T00:00:00.000Z' },
    ]);
  });
});
