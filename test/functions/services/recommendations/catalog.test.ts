import { describe, expect, it } from 'vitest';
import { CATALOG, recommend } from '../../../../functions/services/recommendations/catalog';

const ids = (books: { bookId: string }[]) => books.map((book) => book.bookId);

describe('recommend', () => {
  it('has a catalogue with unique book IDs', () => {
    expect(new Set(ids([...CATALOG])).size).toBe(CATALOG.length);
  });

  it('never recommends a book already read', () => {
    const read = ['release-it', 'ddd', 'building-microservices', 'observability-engineering'];
    const books = recommend(read, CATALOG.length);
    expect(books).toHaveLength(CATALOG.length - read.length);
    for (const id of read) expect(ids(books)).not.toContain(id);
  });

  it('recommends nothing once every book has been read', () => {
    expect(recommend(ids([...CATALOG]), 5)).toEqual([]);
  });

  it('puts books sharing the most topics with the ones read first', () => {
    // release-it: resilience + operations. site-reliability-engineering shares both, then the
    // books sharing 'operations' in catalogue order, then the unrelated ones in catalogue order.
    expect(ids(recommend(['release-it'], 4))).toEqual([
      'site-reliability-engineering',
      'continuous-delivery',
      'observability-engineering',
      'building-microservices',
    ]);
  });

  it('ranks every shared-topic book before any unrelated one', () => {
    const read = ['building-microservices'];
    const interests = new Set(
      CATALOG.find((book) => book.bookId === 'building-microservices')!.topics,
    );
    const scores = recommend(read, CATALOG.length).map(
      (book) => book.topics.filter((topic) => interests.has(topic)).length,
    );
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(scores[0]).toBeGreaterThan(0);
  });

  it('keeps catalogue order among ties, so answers are stable', () => {
    expect(ids(recommend([], 3))).toEqual(ids(CATALOG.slice(0, 3)));
    expect(recommend(['ddd'], 5)).toEqual(recommend(['ddd'], 5));
    // The order of the books read does not change the answer.
    expect(recommend(['ddd', 'release-it'], 6)).toEqual(recommend(['release-it', 'ddd'], 6));
  });

  it('respects the limit', () => {
    expect(recommend([], 3)).toHaveLength(3);
    expect(recommend(['ddd'], 1)).toHaveLength(1);
    expect(recommend([], 0)).toEqual([]);
    expect(recommend([], 100)).toHaveLength(CATALOG.length);
  });

  it('ignores unknown book IDs', () => {
    expect(recommend(['no-such-book'], 3)).toEqual(recommend([], 3));
  });
});
