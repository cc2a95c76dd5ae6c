import type { FastifyPluginAsync } from 'fastify';
import { exportReviewedPages } from '../../review/export.js';
import { rollbackTarget, type ModelRegistry } from '../../review/registry.js';
import type { TrainingRunner } from '../../review/training.js';
import type { Store } from '../../storage/store.js';
import { ApiError, errorBodySchema } from '../errors.js';
import { bearerSecurity } from '../schemas.js';
import { reviewCall } from './review-errors.js';
import {
  comparisonReportSchema,
  exportBodySchema,
  exportResultSchema,
  modelEntrySchema,
  modelSwitchSchema,
  promotionRecordSchema,
  reviewerBodySchema,
  trainingJobSchema,
  versionParamsSchema,
} from './review-schemas.js';

export interface ReviewModelsRouteOptions {
  store: Store;
  /** Folder exported fixtures are written into and training reads. */
  fixturesDir: string;
  registry: ModelRegistry;
  training: TrainingRunner;
}

interface ReviewerBody {
  reviewer: string;
}

const jobAnswer = { type: 'object', required: ['job'], properties: { job: trainingJobSchema } } as const;
const errors = { 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema, 404: errorBodySchema, 409: errorBodySchema, 415: errorBodySchema };

/**
 * From corrections to a better model: export reviewed pages as fixtures, retrain in a child
 * process (`/v1/review/train`), compare the candidate with the current model, then promote,
 * discard or roll back (`/v1/review/models`).
 */
export const reviewModelsRoutes: FastifyPluginAsync<ReviewModelsRouteOptions> = async (app, { store, fixturesDir, registry, training }) => {
  // A run still going when the server stops is stopped with it (its job fails; nothing half-saved).
  app.addHook('onClose', () => training.close());

  app.post<{ Body: { pageIds?: string[] } }>(
    '/v1/review/export',
    {
      schema: {
        summary: 'Write reviewed pages as labeled fixtures into the fixtures folder of the server',
        description: 'Each page is verified before it is written; a page that would not teach exactly the reviewed labels is skipped with a reason.',
        security: bearerSecurity,
        body: exportBodySchema,
        response: { 200: exportResultSchema, ...errors },
      },
    },
    async (request) => exportReviewedPages(store, { fixturesDir, pageIds: request.body.pageIds }),
  );

  app.post<{ Body: ReviewerBody }>(
    '/v1/review/train',
    {
      schema: {
        summary: 'Train a candidate model from the fixtures in a child process (409 while one is training)',
        description: 'The candidate is saved beside the current model with a comparison report; it is not promoted. Poll `GET /v1/review/train/:jobId`.',
        security: bearerSecurity,
        body: reviewerBodySchema,
        response: { 202: jobAnswer, ...errors },
      },
    },
    async (request, reply) => reply.code(202).send({ job: await reviewCall(() => training.start(request.body.reviewer)) }),
  );

  app.get(
    '/v1/review/train',
    {
      schema: {
        summary: 'The latest training job (null when none ran since the server started)',
        security: bearerSecurity,
        response: { 200: { type: 'object', required: ['job'], properties: { job: { anyOf: [trainingJobSchema, { type: 'null' }] } } }, 401: errorBodySchema },
      },
    },
    async () => ({ job: training.latest() }),
  );

  app.get<{ Params: { jobId: string } }>(
    '/v1/review/train/:jobId',
    {
      schema: {
        summary: 'A training job: state, progress, and the candidate with its report once done',
        security: bearerSecurity,
        params: {
          type: 'object',
          required: ['jobId'],
          properties: { jobId: { type: 'string', minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_-]+$' } },
        },
        response: { 200: jobAnswer, 400: errorBodySchema, 401: errorBodySchema, 404: errorBodySchema },
      },
    },
    async (request) => {
      const job = training.get(request.params.jobId);
      if (!job) throw new ApiError('WINNOW_ERR_NOT_FOUND', `no training job ${request.params.jobId}`);
      return { job };
    },
  );

  app.get(
    '/v1/review/models',
    {
      schema: {
        summary: 'Models in the registry: the current one, candidates, and the promotion history',
        security: bearerSecurity,
        response: {
          200: {
            type: 'object',
            required: ['current', 'models', 'history', 'rollbackTo', 'articlesByModel'],
            properties: {
              current: { type: ['string', 'null'], description: 'null until a model is trained' },
              models: { type: 'array', items: modelEntrySchema },
              history: { type: 'array', items: promotionRecordSchema },
              rollbackTo: {
                type: ['string', 'null'],
                description: 'the model a rollback restores: what the latest promotion still in effect replaced (null when every promotion was rolled back)',
              },
              articlesByModel: {
                type: 'object',
                additionalProperties: { type: 'integer' },
                description: 'stored articles per model version: any besides the current model need reprocessing',
              },
            },
          },
          401: errorBodySchema,
        },
      },
    },
    async () => {
      const models = registry.list();
      const history = registry.history();
      const articlesByModel = await store.countArticlesByModel();
      return { current: models.find((entry) => entry.isCurrent)?.version ?? null, models, history, rollbackTo: rollbackTarget(history), articlesByModel };
    },
  );

  app.get<{ Params: { version: string } }>(
    '/v1/review/models/:version/report',
    {
      schema: {
        summary: 'How a candidate compares with the model that was current when it was trained',
        security: bearerSecurity,
        params: versionParamsSchema,
        response: { 200: comparisonReportSchema, 400: errorBodySchema, 401: errorBodySchema, 404: errorBodySchema },
      },
    },
    async (request) => {
      const report = await reviewCall(() => registry.report(request.params.version));
      if (!report) throw new ApiError('WINNOW_ERR_NOT_FOUND', `no comparison report for model ${request.params.version}`);
      return report;
    },
  );

  app.post<{ Params: { version: string }; Body: ReviewerBody }>(
    '/v1/review/models/:version/promote',
    {
      schema: {
        summary: 'Make a model current (workers pick it up on their next job)',
        security: bearerSecurity,
        params: versionParamsSchema,
        body: reviewerBodySchema,
        response: { 200: modelSwitchSchema, ...errors },
      },
    },
    async (request) => {
      const record = await reviewCall(() => registry.promote(request.params.version, request.body.reviewer));
      return { current: record.version, previous: record.previous };
    },
  );

  app.post<{ Body: ReviewerBody }>(
    '/v1/review/models/rollback',
    {
      schema: {
        summary: 'Make the model that was current before the last promotion current again',
        security: bearerSecurity,
        body: reviewerBodySchema,
        response: { 200: modelSwitchSchema, ...errors },
      },
    },
    async (request) => {
      const record = await reviewCall(() => registry.rollback(request.body.reviewer));
      return { current: record.version, previous: record.previous };
    },
  );

  app.post<{ Params: { version: string }; Body: ReviewerBody }>(
    '/v1/review/models/:version/discard',
    {
      schema: {
        summary: 'Set a candidate aside (kept on disk, never promoted); the current model cannot be discarded',
        security: bearerSecurity,
        params: versionParamsSchema,
        body: reviewerBodySchema,
        response: {
          200: { type: 'object', required: ['version', 'status'], properties: { version: { type: 'string' }, status: { type: 'string', enum: ['discarded'] } } },
          ...errors,
        },
      },
    },
    async (request) => {
      const { version } = request.params;
      await reviewCall(() => registry.discard(version, request.body.reviewer));
      return { version, status: 'discarded' };
    },
  );
};
