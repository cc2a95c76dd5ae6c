import type { FastifyPluginAsync } from 'fastify';
import type { ModelRegistry } from '../../review/registry.js';
import type { TrainingRunner } from '../../review/training.js';
import type { Store } from '../../storage/store.js';
import type { QueueAccess } from '../queue-access.js';
import { reviewArticlesRoutes } from './review-articles.js';
import { reviewModelsRoutes } from './review-models.js';
import { reviewQueueRoutes } from './review-queue.js';
import { reviewReprocessRoutes, type ReprocessQueue } from './review-reprocess.js';

export interface ReviewRouteOptions {
  store: Store;
  access: QueueAccess;
  /** Folder exported fixtures are written into (and training reads). */
  fixturesDir: string;
  registry: ModelRegistry;
  training: TrainingRunner;
  /** Queue of reprocess jobs; without it the reprocess routes answer 503. */
  reprocessQueue: ReprocessQueue | undefined;
}

/**
 * The review API under `/v1/review`, behind the bearer token like every other route: articles
 * and corrections, the review queue and stats, export/train/compare/promote, reprocessing.
 * Every GET only reads; every change is a POST, which security.ts refuses from other origins.
 */
export const reviewRoutes: FastifyPluginAsync<ReviewRouteOptions> = async (app, options) => {
  const { store, access, fixturesDir, registry, training, reprocessQueue } = options;
  await app.register(reviewArticlesRoutes, { store });
  await app.register(reviewQueueRoutes, { store, fixturesDir });
  await app.register(reviewModelsRoutes, { store, fixturesDir, registry, training });
  await app.register(reviewReprocessRoutes, { store, registry, access, queue: reprocessQueue });
};
