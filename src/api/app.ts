import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { AllowList } from '../fetch/ssrf.js';
import { ALLOW_PRIVATE_ENV } from '../fetch/options.js';
import { defaultModelDir } from '../classify/model.js';
import { ModelRegistry } from '../review/registry.js';
import { TrainingRunner } from '../review/training.js';
import type { Store } from '../storage/store.js';
import { defaultFixtureDir } from '../train/fixtures.js';
import { registerAuth } from './auth.js';
import { ApiError, registerErrorHandlers } from './errors.js';
import { DEFAULT_QUEUE_TIMEOUT_MS, QueueAccess, type ApiQueues } from './queue-access.js';
import { articlesRoutes } from './routes/articles.js';
import { healthRoutes } from './routes/health.js';
import { MAX_JSON_BYTES, pagesRoutes } from './routes/pages.js';
import { reviewRoutes } from './routes/review.js';
import type { ReprocessQueue } from './routes/review-reprocess.js';
import { reviewUiRoutes } from './review-ui.js';
import { dashboardRoutes } from './dashboard.js';
import { registerSecurity } from './security.js';

export type { ApiQueues } from './queue-access.js';

export interface AppOptions {
  /** Where pages and articles are stored; the caller opens and closes it. */
  store: Store;
  /** Fetch and moderate queues on a producer connection (`createProducerConnection`); the caller closes them. */
  queues: ApiQueues;
  /**
   * Bearer token every route but /healthz requires (at least 32 characters), or null to turn
   * authentication off (`--insecure-no-token`, local use only).
   */
  token: string | null;
  /**
   * Hosts/CIDRs a submitted URL may name despite the SSRF guard's address and port checks.
   * @defaultValue the comma-separated list in env `WINNOW_ALLOW_PRIVATE`, else none
   */
  allowPrivate?: readonly string[];
  /** Longest a Redis call may take before a request is answered 503. @defaultValue 1500 */
  queueTimeoutMs?: number;
  /** Fastify logger settings. @defaultValue false (quiet, as tests want) */
  logger?: FastifyServerOptions['logger'];
  /** Labeled fixture pages: review exports are written here and training reads them. @defaultValue defaultFixtureDir() */
  fixturesDir?: string;
  /** Model registry (trained models and current.json). @defaultValue defaultModelDir() */
  modelDir?: string;
  /** Runs training jobs in child processes. @defaultValue a runner on `fixturesDir` and `modelDir` */
  training?: TrainingRunner;
  /** Queue of reprocess jobs, on the same producer connection; the caller closes it. Without it reprocessing answers 503. */
  reprocessQueue?: ReprocessQueue;
}

/**
 * The HTTP API as a fastify instance that is ready to `inject()` or `listen()`: it never listens
 * by itself (see server.ts). Routes, one plugin per concern: health, pages, articles, review
 * (API under /v1/review, page under /review); security headers and the cross-origin guard cover
 * them all (security.ts). The OpenAPI description is served at `GET /v1/openapi.json`.
 */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: MAX_JSON_BYTES,
  });
  const access = new QueueAccess(options.queues, options.queueTimeoutMs ?? DEFAULT_QUEUE_TIMEOUT_MS);
  const allowPrivate = AllowList.from(options.allowPrivate ?? allowListFromEnv());

  registerErrorHandlers(app);
  await registerSecurity(app);
  registerAuth(app, options.token);
  registerJsonOnly(app);

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'winnow', description: 'Queue pages for moderation and read the stored articles.', version: '1' },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
    },
  });

  await app.register(healthRoutes, { access });
  await app.register(pagesRoutes, { store: options.store, access, allowPrivate });
  await app.register(articlesRoutes, { store: options.store });
  const fixturesDir = options.fixturesDir ?? defaultFixtureDir();
  const modelDir = options.modelDir ?? defaultModelDir();
  await app.register(reviewRoutes, {
    store: options.store,
    access,
    fixturesDir,
    registry: new ModelRegistry(modelDir),
    training: options.training ?? new TrainingRunner({ fixturesDir, modelDir }),
    reprocessQueue: options.reprocessQueue,
  });
  await app.register(reviewUiRoutes);
  const dashboardQueues = [options.queues.fetch, options.queues.moderate, ...(options.reprocessQueue ? [options.reprocessQueue] : [])];
  await app.register(dashboardRoutes, { token: options.token, queues: dashboardQueues });

  app.get('/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  return app;
}

/**
 * JSON is the only body type: fastify's text/plain parser goes (so text/plain is a 415), and the
 * JSON parser is fastify's own (prototype-poisoning safe) wrapped to note the body size, which
 * `POST /v1/pages` needs to hold bodies without HTML to 1 MiB.
 */
function registerJsonOnly(app: FastifyInstance): void {
  app.decorateRequest('bodyBytes', 0);
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    request.bodyBytes = Buffer.byteLength(text, 'utf8');
    parseJson(request, text, (error, parsed) => {
      if (error) done(new ApiError('WINNOW_ERR_BAD_JSON', 'body is not valid JSON', { cause: error }), undefined);
      else done(null, parsed);
    });
  });
}

function allowListFromEnv(): string[] {
  return (process.env[ALLOW_PRIVATE_ENV] ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}
