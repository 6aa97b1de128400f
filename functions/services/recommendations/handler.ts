import { z } from 'zod';
import { defineService, jsonResponse, parseInput, requireScopes } from '../../runtime';
import { recommend } from './catalog';

const RecommendQuery = z.object({
  limit: z.coerce.number().int().min(1).max(10).default(3),
});

/** What other services send: the books a user already has, so they are not suggested again. */
const RecommendRequest = z.object({
  userId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  readBookIds: z.array(z.string().max(128)).max(500),
  limit: z.number().int().min(1).max(10).default(3),
});

export const handler = defineService(({ logger, metrics }) => ({
  routes: {
    'GET /recommendations': async (event, scope) => {
      requireScopes(scope.caller, ['recommendations/read']);
      const query = parseInput(RecommendQuery, event.queryStringParameters ?? {}, 'query');
      return jsonResponse(200, { recommendations: recommend([], query.limit) });
    },
  },
  operations: {
    // Defense in depth: the original caller must hold the scope, whoever relays the call.
    recommend: async (payload, scope) => {
      requireScopes(scope.caller, ['recommendations/read']);
      const request = parseInput(RecommendRequest, payload, 'recommend request');
      const books = recommend(request.readBookIds, request.limit);
      logger.info('Recommended books', {
        count: books.length,
        source: scope.sourceService,
      });
      metrics.addMetric('RecommendationsServed', 'Count', books.length);
      return { recommendations: books };
    },
  },
}));
