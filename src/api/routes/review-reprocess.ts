import type { FastifyPluginAsync } from 'fastify';
import type { ModelRegistry } from '../../review/registry.js';
import type { Store } from '../../storage/store.js';
import { enqueueReprocess, reprocessProgress } from '../../../workers/queues.js';
import { ApiError, errorBodySchema } from '../errors.js';
import type { QueueAccess } from '../queue-access.js';
import { bearerSecurity } from '../schemas.js';
import { reviewCall } from './review-errors.js';
import { reprocessJobSchema, reviewerBodySchema } from './review-schemas.js';

/** The queue reprocess jobs go to (built on the API's producer connection). */
export type ReprocessQueue = Parameters<typeof enqueueReprocess>[0];

export interface ReviewReprocessRouteOptions {
  store: Store;
  registry: ModelRegistry;
  /** Runs queue calls with a bound and answers 503 while Redis is down. */
  access: QueueAccess;
  /** Without it (an app built without Redis queues for reprocessing) both routes answer 503. */
  queue: ReprocessQueue | undefined;
}

const jobAnswer = { type: 'object', required: ['job'], properties: { job: reprocessJobSchema } } as const;

/**
 * `POST /v1/review/reprocess` moderates every stored page again with the current model, through
 * a `reprocess` job the workers run; `GET /v1/review/reprocess/:id` reports how far it got.
 * There is one job per model version, so asking twice for the same model reports the first job.
 */
export const reviewReprocessRoutes: FastifyPluginAsync<ReviewReprocessRouteOptions> = async (app, { store, registry, access, queue }) => {
  const requireQueue = (): ReprocessQueue => {
    if (!queue) throw new ApiError('WINNOW_ERR_QUEUE_UNAVAILABLE', 'reprocessing needs the reprocess queue, which this server was started without');
    return queue;
  };

  app.post<{ Body: { reviewer: string } }>(
    '/v1/review/reprocess',
    {
      schema: {
        summary: 'Moderate every stored page again with the current model (a queue job)',
        security: bearerSecurity,
        body: reviewerBodySchema,
        response: {
          202: jobAnswer,
          400: errorBodySchema,
          401: errorBodySchema,
          403: errorBodySchema,
          404: errorBodySchema,
          415: errorBodySchema,
          503: errorBodySchema,
        },
      },
    },
    async (request, reply) => {
      const reprocess = requireQueue();
      const model = await reviewCall(() => registry.current());
      await access.ensureUp();
      const { jobId } = await access.run(() => enqueueReprocess(reprocess, { model, by: request.body.reviewer }));
      request.log.info({ jobId, model, reviewer: request.body.reviewer }, 'reprocessing queued');
      const job = await access.run(() => reprocessProgress(reprocess, store, jobId));
      // Only a run that had finished and was evicted in between can be missing here.
      if (!job) throw new ApiError('WINNOW_ERR_NOT_FOUND', `reprocess job ${jobId} is no longer kept in the queue`);
      return reply.code(202).send({ job });
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/review/reprocess/:id',
    {
      schema: {
        summary: 'A reprocess job: its state, and how many stored articles carry its model so far',
        security: bearerSecurity,
        params: {
          type: 'object',
          required: ['id'],
          properties: { id: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9._-]+$' } },
        },
        response: { 200: jobAnswer, 400: errorBodySchema, 401: errorBodySchema, 404: errorBodySchema, 503: errorBodySchema },
      },
    },
    async (request) => {
      const reprocess = requireQueue();
      const job = await access.run(() => reprocessProgress(reprocess, store, request.params.id));
      if (!job) throw new ApiError('WINNOW_ERR_NOT_FOUND', `no reprocess job ${request.params.id}`);
      return { job };
    },
  );
};
