import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { requireScopes } from '../../runtime/auth/scopes';
import { jsonResponse } from '../../runtime/http/json';
import { parseInput, parseJsonBody } from '../../runtime/http/validation';
import { createPowertools } from '../../runtime/observability/powertools';
import { ServiceCallError, ServiceClient } from '../../runtime/service/service-client';
import { serviceFunctionName } from '../../runtime/service/service-directory';
import { createServiceHandler } from '../../runtime/service/service-handler';
import { tableHealthCheck } from '../../runtime/service/table-health';
import { ReadingListRepository } from './reading-list-repository';

const SERVICE = 'reading-list';
const powertools = createPowertools(SERVICE);
const { logger, metrics, tracer } = powertools;

const dynamodb = tracer.captureAWSv3Client(new DynamoDBClient({}));
const tableName = process.env.TABLE_NAME ?? '';
const repository = new ReadingListRepository(DynamoDBDocumentClient.from(dynamodb), tableName);
const services = new ServiceClient({ source: SERVICE, timeoutMs: 2000 });
tracer.captureAWSv3Client(services.client);

const UserId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ or -, at most 64');
const ListQuery = z.object({ userId: UserId });
const AddBook = z.object({
  userId: UserId,
  bookId: z.string().regex(/^[a-z0-9-]{1,128}$/, 'lower-case letters, digits or -, at most 128'),
  title: z.string().trim().min(1).max(300),
  author: z.string().trim().min(1).max(300).optional(),
});

interface Recommendations {
  readonly recommendations: unknown[];
}

export const handler = createServiceHandler({
  serviceName: SERVICE,
  powertools,
  healthChecks: { table: tableHealthCheck(dynamodb, tableName) },
  routes: {
    [`GET /${SERVICE}`]: async (event, scope) => {
      requireScopes(scope.caller, ['reading-list/read']);
      const { userId } = parseInput(ListQuery, event.queryStringParameters ?? {}, 'query');
      const books = await repository.list(userId);
      let recommendations: unknown[] | null = null;
      let notice: string | undefined;
      try {
        const answer = await services.call<Recommendations>(
          serviceFunctionName('recommendations'),
          'recommend',
          { userId, readBookIds: books.map((book) => book.bookId), limit: 3 },
          scope,
        );
        recommendations = answer.payload.recommendations;
      } catch (error) {
        if (!(error instanceof ServiceCallError)) throw error;
        // The list is the point of this service; recommendations only enrich it.
        logger.warn('Recommendations unavailable', { reason: error.reason, status: error.status });
        metrics.addMetric('RecommendationsUnavailable', 'Count', 1);
        notice = 'Recommendations are unavailable right now.';
      }
      logger.info('Reading list served', {
        books: books.length,
        enriched: recommendations !== null,
      });
      return jsonResponse(200, { userId, books, recommendations, ...(notice ? { notice } : {}) });
    },
    [`POST /${SERVICE}`]: async (event, scope) => {
      requireScopes(scope.caller, ['reading-list/write']);
      const input = parseJsonBody(event, AddBook);
      const entry = {
        bookId: input.bookId,
        title: input.title,
        author: input.author,
        addedAt: new Date().toISOString(),
      };
      const added = await repository.add(input.userId, entry);
      logger.info('Book added to a reading list', { added });
      if (added) metrics.addMetric('BooksAdded', 'Count', 1);
      return jsonResponse(added ? 201 : 200, { userId: input.userId, book: entry, added });
    },
  },
});
