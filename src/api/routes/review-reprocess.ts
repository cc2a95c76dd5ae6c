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

/** Job states after which a reprocess job adds no more work. */
const ENDED_STATES = new Set(['completed', 'failed']);

/**
 * A reprocess job's progress with `finished`: the reprocess job itself only queues one moderate
 * job per page and completes long before those have run, so a run is finished when every page
 * it covers is stored with its model (or the job failed), not when the job completes.
 */
export function withFinished<T extends { state: string; progress: { done: number; total: number } }>(job: T): T & { finished: boolean } {
  const finished = job.state === 'failed' || (job.state === 'completed' && job.progress.done >= job.progress.total);
  return { ...job, finished };
}

/**
 * `POST /v1/review/reprocess` moderates every stored page again with the current model, through
 * a `reprocess` job the workers run; `GET /v1/review/reprocess/:id` reports how far it got.
 * There is one job per model version, so asking twice while a run goes on reports that run. A
 * run of this model that ended earlier (before a promotion and a rollback back to this model,
 * say) is replaced by a new one when stored articles carry another model.
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
      const by = request.body.reviewer;
      let enqueued = await access.run(() => enqueueReprocess(reprocess, { model, by }));
      if (!enqueued.created && ENDED_STATES.has(String(enqueued.existingState)) && (await othersStored(store, model))) {
        const ended = enqueued.jobId;
        await access.run(async () => (await reprocess.getJob(ended))?.remove());
        enqueued = await access.run(() => enqueueReprocess(reprocess, { model, by }));
        request.log.info({ jobId: ended, model }, 'an ended reprocess run of this model was replaced: stored articles carry other models');
      }
      const { jobId } = enqueued;
      request.log.info({ jobId, model, reviewer: by }, 'reprocessing queued');
      const job = await access.run(() => reprocessProgress(reprocess, store, jobId));
      // Only a run that had finished and was evicted in between can be missing here.
      if (!job) throw new ApiError('WINNOW_ERR_NOT_FOUND', `reprocess job ${jobId} is no longer kept in the queue`);
      return reply.code(202).send({ job: withFinished(job) });
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
      return { job: withFinished(job) };
    },
  );
};

/** Whether any stored article carries a model other than `model`. */
async function othersStored(store: Store, model: string): Promise<boolean> {
  const counts = await store.countArticlesByModel();
  return Object.entries(counts).some(([version, articles]) => version !== model && articles > 0);
}
