import * as z from 'zod';
import { defineService, jsonResponse, on, parseInput, requireScopes } from '../../runtime';
import { BookAdded } from '../contracts/book-added';
import { recommend } from './catalog';
import { ProfileStore } from './profiles';

/** The circuit around the service's own store: while it is open, consumption pauses. */
export const STORE_CIRCUIT = 'recommendations-store';

const RecommendQuery = z.object({
  userId: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ or -, at most 64')
    .optional(),
  limit: z.coerce.number().int().min(1).max(10).default(3),
});

/** What other services send: the books a user already has, so they are not suggested again. */
const RecommendRequest = z.object({
  userId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  readBookIds: z.array(z.string().max(128)).max(500),
  limit: z.number().int().min(1).max(10).default(3),
});

export const handler = defineService((service) => {
  const { logger, metrics } = service;
  const profiles = new ProfileStore(service.table.documents, service.table.name);
  const store = service.events.circuit(STORE_CIRCUIT);
  return {
    routes: {
      // With a userId, the books that user's BookAdded events named are never recommended:
      // recommendations learns them only through the events, never by asking reading-list.
      'GET /recommendations': async (event, scope) => {
        requireScopes(scope.caller, ['recommendations/read']);
        const query = parseInput(RecommendQuery, event.queryStringParameters ?? {}, 'query');
        const read = query.userId ? (await profiles.get(query.userId)).readBookIds : [];
        return jsonResponse(200, {
          ...(query.userId ? { userId: query.userId } : {}),
          recommendations: recommend(read, query.limit),
        });
      },
    },
    operations: {
      // Defense in depth: the original caller must hold the scope, whoever relays the call.
      recommend: async (payload, scope) => {
        requireScopes(scope.caller, ['recommendations/read']);
        const request = parseInput(RecommendRequest, payload, 'recommend request');
        const books = recommend(request.readBookIds, request.limit);
        logger.info('Recommended books', { count: books.length, source: scope.sourceService });
        metrics.addMetric('RecommendationsServed', 'Count', books.length);
        return { recommendations: books };
      },
    },
    consumes: [
      on(BookAdded, async (book, event) => {
        await store.execute((signal) => profiles.noteBook(book.userId, book.bookId, signal));
        logger.info('Book noted for recommendations', {
          publishedBy: event.metadata.publishedBy,
          receiveCount: event.receiveCount,
        });
        metrics.addMetric('BooksNoted', 'Count', 1);
      }),
    ],
  };
});
