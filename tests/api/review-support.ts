import { randomUUID } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { buildApp, type ApiQueues } from '../../src/api/app.js';
import type { ReprocessQueue } from '../../src/api/routes/review-reprocess.js';
import { currentVersion, loadModel } from '../../src/classify/model.js';
import { moderateBytes } from '../../src/pipeline.js';
import type { TrainingRunner } from '../../src/review/training.js';
import { openStore } from '../../src/storage/open-store.js';
import type { Store, StoredArticle } from '../../src/storage/store.js';
import { createProducerConnection, createQueues, createReprocessQueue, waitForReady } from '../../workers/queues.js';
import { FIXTURE_PAGES, ROOT } from '../queue/harness.js';
import { TOKEN } from './helpers.js';

/** The shipped models folder (read only: tests that promote copy it first). */
export const SHIPPED_MODELS = join(ROOT, 'models');

/** A review app on a real SQLite file, real queues on their own prefix, and its own fixtures folder. */
export interface ReviewFixture {
  app: FastifyInstance;
  store: Store;
  queues: ApiQueues;
  reprocessQueue: ReprocessQueue;
  connection: Redis;
  /** Temp folder holding the database, `fixtures/` and (when seeded) `models/`. */
  dir: string;
  fixturesDir: string;
  modelDir: string;
  close(): Promise<void>;
}

export interface ReviewFixtureOptions {
  /** Copy the shipped models into a temp folder the app may promote in. @defaultValue false (shipped folder, read only) */
  ownModels?: boolean;
  /** Fixture pages (slugs of fixtures/pages) copied into the app's fixtures folder. @defaultValue none */
  fixtures?: string[];
  /** Builds the training runner from the app's folders. @defaultValue the app's own default runner */
  training?: (dirs: { fixturesDir: string; modelDir: string }) => TrainingRunner;
}

export async function openReviewApi(redisUrl: string, options: ReviewFixtureOptions = {}): Promise<ReviewFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'winnow-review-api-'));
  const fixturesDir = join(dir, 'fixtures');
  mkdirSync(fixturesDir);
  for (const slug of options.fixtures ?? []) cpSync(join(FIXTURE_PAGES, slug), join(fixturesDir, slug), { recursive: true });
  const modelDir = options.ownModels ? seedModels(join(dir, 'models')) : SHIPPED_MODELS;

  const store = await openStore({ sqlitePath: join(dir, 'winnow.db'), databaseUrl: '' });
  const connection = createProducerConnection(redisUrl);
  connection.on('error', () => undefined);
  await waitForReady(connection);
  const prefix = `{t-${randomUUID().slice(0, 8)}}`;
  const queues = createQueues(connection, { prefix });
  const reprocessQueue = createReprocessQueue(connection, { prefix });
  const training = options.training?.({ fixturesDir, modelDir });
  const app = await buildApp({ store, queues, reprocessQueue, token: TOKEN, fixturesDir, modelDir, ...(training ? { training } : {}) });
  await app.ready();
  return {
    app,
    store,
    queues,
    reprocessQueue,
    connection,
    dir,
    fixturesDir,
    modelDir,
    async close() {
      await app.close();
      for (const queue of [queues.fetch, queues.moderate, reprocessQueue]) await queue.close().catch(() => undefined);
      await connection.quit().catch(() => connection.disconnect());
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A models folder holding the shipped current model, as `winnow train` leaves one. */
function seedModels(modelDir: string): string {
  mkdirSync(modelDir, { recursive: true });
  const version = currentVersion(SHIPPED_MODELS);
  cpSync(join(SHIPPED_MODELS, `${version}.json`), join(modelDir, `${version}.json`));
  writeFileSync(join(modelDir, 'current.json'), `${JSON.stringify({ version, createdAt: new Date().toISOString() })}\n`);
  return modelDir;
}

/**
 * Store a fixture page as a scraped page: its raw bytes, then the article the real pipeline
 * makes of them with the shipped model, as the moderate worker would.
 */
export async function storeFixturePage(store: Store, slug: string, url: string): Promise<StoredArticle> {
  const raw = readFileSync(join(FIXTURE_PAGES, slug, 'page.html'));
  const { page } = await store.putPage({ url, source: 'api', raw, contentType: 'text/html; charset=utf-8' });
  const article = moderateBytes(raw, { url, engine: 'linkedom', model: loadModel(SHIPPED_MODELS), contentType: page.contentType });
  return store.saveArticle(page.id, article);
}
