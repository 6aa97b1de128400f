/** A small fixed catalogue: recommendations are about the platform, not about a data set. */
export interface Book {
  readonly bookId: string;
  readonly title: string;
  readonly author: string;
  readonly topics: readonly string[];
}

export const CATALOG: readonly Book[] = [
  {
    bookId: 'building-microservices',
    title: 'Building Microservices',
    author: 'Sam Newman',
    topics: ['microservices', 'architecture'],
  },
  {
    bookId: 'release-it',
    title: 'Release It!',
    author: 'Michael T. Nygard',
    topics: ['resilience', 'operations'],
  },
  {
    bookId: 'ddd',
    title: 'Domain-Driven Design',
    author: 'Eric Evans',
    topics: ['architecture', 'modelling'],
  },
  {
    bookId: 'designing-data-intensive-applications',
    title: 'Designing Data-Intensive Applications',
    author: 'Martin Kleppmann',
    topics: ['data', 'distributed-systems'],
  },
  {
    bookId: 'site-reliability-engineering',
    title: 'Site Reliability Engineering',
    author: 'Beyer, Jones, Petoff, Murphy',
    topics: ['operations', 'resilience'],
  },
  {
    bookId: 'enterprise-integration-patterns',
    title: 'Enterprise Integration Patterns',
    author: 'Gregor Hohpe, Bobby Woolf',
    topics: ['messaging', 'architecture'],
  },
  {
    bookId: 'continuous-delivery',
    title: 'Continuous Delivery',
    author: 'Jez Humble, David Farley',
    topics: ['delivery', 'operations'],
  },
  {
    bookId: 'microservice-patterns',
    title: 'Microservices Patterns',
    author: 'Chris Richardson',
    topics: ['microservices', 'messaging'],
  },
  {
    bookId: 'oauth2-in-action',
    title: 'OAuth 2 in Action',
    author: 'Justin Richer, Antonio Sanso',
    topics: ['security'],
  },
  {
    bookId: 'observability-engineering',
    title: 'Observability Engineering',
    author: 'Majors, Fong-Jones, Miranda',
    topics: ['operations', 'observability'],
  },
];

/**
 * Books sharing the most topics with the ones already read come first; ties keep catalogue
 * order so answers are stable. Books already on the list are never recommended.
 */
export function recommend(readBookIds: readonly string[], limit: number): Book[] {
  const read = new Set(readBookIds);
  const interests = new Set(
    CATALOG.filter((book) => read.has(book.bookId)).flatMap((book) => book.topics),
  );
  return CATALOG.filter((book) => !read.has(book.bookId))
    .map((book, index) => ({
      book,
      index,
      score: book.topics.filter((topic) => interests.has(topic)).length,
    }))
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .slice(0, limit)
    .map(({ book }) => book);
}
