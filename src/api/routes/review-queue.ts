import type { FastifyPluginAsync } from 'fastify';
import { rankReviewQueue } from '../../review/queue.js';
import type { ReviewCandidateFilter } from '../../review/types.js';
import type { Store } from '../../storage/store.js';
import { LABELS, type Label } from '../../types.js';
import { errorBodySchema } from '../errors.js';
import { bearerSecurity } from '../schemas.js';
import { rankedCandidateSchema, reviewStatsSchema } from './review-schemas.js';

/** Blocks in the review queue when no `limit` is given. */
export const DEFAULT_QUEUE_LIMIT = 50;
/** Largest queue one request may ask for. */
export const MAX_QUEUE_LIMIT = 500;

export interface ReviewQueueRouteOptions {
  store: Store;
}

interface QueueQuery {
  site?: string;
  label?: Label;
  limit: number;
}

/** `GET /v1/review/queue` (blocks most likely wrong, ranked and diverse) and `GET /v1/review/stats`. */
export const reviewQueueRoutes: FastifyPluginAsync<ReviewQueueRouteOptions> = async (app, { store }) => {
  app.get<{ Querystring: QueueQuery }>(
    '/v1/review/queue',
    {
      schema: {
        summary: 'Blocks most likely labeled wrong, not reviewed yet, spread over sites, articles and listings',
        security: bearerSecurity,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            site: { type: 'string', minLength: 1, maxLength: 253, description: 'host name of the article URL (exact)' },
            label: { type: 'string', enum: [...LABELS], description: 'only blocks currently carrying this label' },
            limit: { type: 'integer', minimum: 1, maximum: MAX_QUEUE_LIMIT, default: DEFAULT_QUEUE_LIMIT },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['items', 'stats'],
            properties: { items: { type: 'array', items: rankedCandidateSchema }, stats: reviewStatsSchema },
          },
          400: errorBodySchema,
          401: errorBodySchema,
        },
      },
    },
    async (request) => {
      const { site, label, limit } = request.query;
      const filter: ReviewCandidateFilter = {};
      if (site !== undefined) filter.site = site;
      if (label !== undefined) filter.label = label;
      const candidates = await store.listReviewCandidates(filter);
      return { items: rankReviewQueue(candidates, { limit }), stats: await store.reviewStats() };
    },
  );

  app.get(
    '/v1/review/stats',
    {
      schema: {
        summary: 'How much has been reviewed, and by whom',
        security: bearerSecurity,
        response: { 200: reviewStatsSchema, 401: errorBodySchema },
      },
    },
    async () => store.reviewStats(),
  );
};
