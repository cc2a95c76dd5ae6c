import type { FastifyPluginAsync } from 'fastify';
import { explainBlock } from '../../review/explain.js';
import { rankReviewQueue } from '../../review/queue.js';
import { trainingSites } from '../../review/training-sites.js';
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

/** Share of the queue given to random confident blocks when no `audit` is given. */
export const DEFAULT_AUDIT_RATE = 0.1;

export interface ReviewQueueRouteOptions {
  store: Store;
  /** Fixture pages folder: the sites the model trained on are read from it (new sites rank higher). */
  fixturesDir?: string;
}

interface QueueQuery {
  site?: string;
  label?: Label;
  limit: number;
  audit: number;
}

/** `GET /v1/review/queue` (blocks most likely wrong, ranked and diverse) and `GET /v1/review/stats`. */
export const reviewQueueRoutes: FastifyPluginAsync<ReviewQueueRouteOptions> = async (app, { store, fixturesDir }) => {
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
            audit: {
              type: 'number',
              minimum: 0,
              maximum: 1,
              default: DEFAULT_AUDIT_RATE,
              description: 'share of the queue given to blocks drawn at random among those the model was sure of (reason `audit`)',
            },
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
      const { site, label, limit, audit } = request.query;
      const filter: ReviewCandidateFilter = { audit: Math.round(limit * audit) };
      if (site !== undefined) filter.site = site;
      if (label !== undefined) filter.label = label;
      const candidates = await store.listReviewCandidates(filter);
      // With no fixture page to read sites from, which sites are new is unknown, not "all of them".
      const sites = fixturesDir ? trainingSites(fixturesDir) : null;
      const seenSites = sites && sites.size > 0 ? sites : undefined;
      const items = rankReviewQueue(candidates, { limit, seenSites }).map((item) => ({ ...item, why: explainBlock(item) }));
      return { items, stats: await store.reviewStats() };
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
