import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import {
  defineService,
  ProblemError,
  jsonResponse,
  parseInput,
  parseJsonBody,
  requireScopes,
  ServiceCallError,
  userText,
  type ServiceContext,
} from '../../runtime';
import { BookAdded } from '../contracts/book-added';
import { ReadingListRepository, type StoredEntry } from './reading-list-repository';

const UserId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ or -, at most 64');
const ListQuery = z.object({ userId: UserId });
const AddBook = z.object({
  userId: UserId,
  bookId: z.string().regex(/^[a-z0-9-]{1,128}$/, 'lower-case letters, digits or -, at most 128'),
  // One-line text: no control characters, line breaks or bidi overrides (see user-text.ts).
  title: userText(300),
  author: userText(300).optional(),
});

const MaxRecommendations = z.number().int().min(0).max(10);
const DEFAULT_MAX_RECOMMENDATIONS = 3;

/**
 * How many recommendations to ask for, and whether to ask at all: central configuration, read
 * through the runtime's cache, so an operator's change takes effect within the cache age. A
 * configuration that cannot be read falls back to the defaults (the reader already logged why).
 */
async function recommendationSettings({
  config,
  logger,
}: ServiceContext): Promise<{ enabled: boolean; limit: number }> {
  const [enabled, limit] = await Promise.all([
    config.featureFlag('features', 'recommendations', { default: true }).catch((error: unknown) => {
      logger.error('Feature flags unavailable, recommendations stay on', error as Error);
      return true;
    }),
    config.parameter('max-recommendations', MaxRecommendations).catch((error: unknown) => {
      logger.error('max-recommendations unavailable, using the default', error as Error);
      return DEFAULT_MAX_RECOMMENDATIONS;
    }),
  ]);
  return { enabled, limit };
}

interface Recommendations {
  readonly recommendations: unknown[] | null;
}

/** The classic fallback: the list still comes back, recommendations are "under maintenance". */
export const RECOMMENDATIONS_FALLBACK_NOTICE =
  'Recommendations are under maintenance; your reading list is complete.';

export const RECOMMENDATIONS_OFF_NOTICE = 'Recommendations are switched off.';
export const RECOMMENDATIONS_FORBIDDEN_NOTICE =
  'Recommendations need the recommendations/read scope.';

export const handler = defineService((service) => {
  const { logger, metrics } = service;
  const repository = new ReadingListRepository(service.table.documents, service.table.name);
  return {
    routes: {
      'GET /reading-list': async (event, scope) => {
        requireScopes(scope.caller, ['reading-list/read']);
        const { userId } = parseInput(ListQuery, event.queryStringParameters ?? {}, 'query');
        const books = await repository.list(userId);
        const settings = await recommendationSettings(service);
        if (!settings.enabled || settings.limit === 0) {
          logger.info('Reading list served', {
            books: books.length,
            recommendations: 'switched off',
          });
          return jsonResponse(200, {
            userId,
            books,
            recommendations: null,
            notice: RECOMMENDATIONS_OFF_NOTICE,
          });
        }
        let answer: { payload: Recommendations; fallback?: string };
        try {
          answer = await service.services.callService<Recommendations>(
            'recommendations',
            'recommend',
            { userId, readBookIds: books.map((book) => book.bookId), limit: settings.limit },
            scope,
            {
              idempotent: true,
              fallback: (reason, error) => {
                logger.warn('Recommendations unavailable, answering with the fallback', {
                  reason,
                  failure: error.reason,
                  status: error.status,
                });
                metrics.addMetric('RecommendationsFallback', 'Count', 1);
                return { recommendations: null };
              },
            },
          );
        } catch (error) {
          // The caller may read its list without being allowed recommendations.
          if (
            !(error instanceof ServiceCallError) ||
            (error.status !== 401 && error.status !== 403)
          )
            throw error;
          return jsonResponse(200, {
            userId,
            books,
            recommendations: null,
            notice: RECOMMENDATIONS_FORBIDDEN_NOTICE,
          });
        }
        logger.info('Reading list served', {
          books: books.length,
          fallback: answer.fallback ?? null,
        });
        return jsonResponse(200, {
          userId,
          books,
          recommendations: answer.payload.recommendations,
          ...(answer.fallback ? { notice: RECOMMENDATIONS_FALLBACK_NOTICE } : {}),
        });
      },
      'POST /reading-list': async (event, scope) => {
        requireScopes(scope.caller, ['reading-list/write']);
        const input = parseJsonBody(event, AddBook);
        const entry = {
          bookId: input.bookId,
          title: input.title,
          author: input.author,
          addedAt: new Date().toISOString(),
        };
        // The event's ID is stored with the entry: a retry after a failed publish sends the same
        // event again, which consumers process once.
        const added = await repository.add(input.userId, { ...entry, eventId: randomUUID() });
        logger.info('Book added to a reading list', { added });
        if (added) metrics.addMetric('BooksAdded', 'Count', 1);
        if (!service.events.canPublish) {
          return jsonResponse(added ? 201 : 200, { userId: input.userId, book: entry, added });
        }
        const stored = await repository.get(input.userId, input.bookId);
        if (stored?.eventId && !stored.published) {
          try {
            await service.events.publish(
              BookAdded,
              { userId: input.userId, bookId: stored.bookId, title: stored.title },
              scope,
              { eventId: stored.eventId },
            );
          } catch (error) {
            logger.error('BookAdded not published', error as Error);
            throw new ProblemError({
              title: 'Service Unavailable',
              status: 503,
              detail: 'The book is on the list, but others were not told yet; repeat the request.',
            });
          }
          await repository.markPublished(input.userId, input.bookId);
          metrics.addMetric('BookAddedPublished', 'Count', 1);
        }
        const book = added || !stored ? entry : withoutEventState(stored);
        return jsonResponse(added ? 201 : 200, { userId: input.userId, book, added });
      },
    },
  };
});

/** The entry as the API shows it: its event's bookkeeping stays inside. */
function withoutEventState(stored: StoredEntry) {
  return {
    bookId: stored.bookId,
    title: stored.title,
    author: stored.author,
    addedAt: stored.addedAt,
  };
}
