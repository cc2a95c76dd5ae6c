import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker, type Queue } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { currentVersion, saveModel, type Model } from '../../src/classify/model.js';
import { WinnowError } from '../../src/errors.js';
import type { Store } from '../../src/storage/store.js';
import { RETRY_AFTER_BACKOFF, retryAfterBackoff } from '../../workers/backoff.js';
import { createReprocessProcessor, type ReprocessStageDeps } from '../../workers/processors/reprocess.js';
import {
  createReprocessQueue,
  createWorkerConnection,
  enqueueModerate,
  enqueueReprocess,
  REPROCESS_QUEUE,
  reprocessModerateJobId,
  reprocessProgress,
  type ReprocessJobData,
  type ReprocessJobResult,
} from '../../workers/queues.js';
import { makeArticle } from '../storage/make-article.js';
import { buildDist, FIXTURE_PAGES, fixtureSlugs, ROOT, startQueueEnv, until, type QueueEnv, type QueueRig } from './harness.js';

const SHIPPED_MODELS = join(ROOT, 'models');
/** The promoted version: the shipped parameters under another version name. */
const NEW_VERSION = 'nb-f1-reprocess-test';

let env: QueueEnv;

beforeAll(async () => {
  buildDist();
  env = await startQueueEnv('winnow-reprocess-');
}, 120_000);

afterEach(() => env?.closeRigs());

afterAll(() => env?.close());

/** A producer and a results store on a fresh prefix, and the reprocess queue on the producer's connection. */
async function setUp(): Promise<QueueRig & { reprocessQueue: Queue<ReprocessJobData, ReprocessJobResult> }> {
  const rig = await env.openRig();
  return { ...rig, reprocessQueue: rig.adopt(createReprocessQueue(rig.producer.connection, { prefix: rig.prefix })) };
}

/** A reprocess worker alone (no fetch or moderate stage) on the rig's prefix, closed with the rig. */
function startReprocessWorker(rig: QueueRig, deps: Omit<ReprocessStageDeps, 'moderateQueue'>): Worker<ReprocessJobData, ReprocessJobResult> {
  return rig.adopt(
    new Worker<ReprocessJobData, ReprocessJobResult>(
      REPROCESS_QUEUE,
      createReprocessProcessor({ ...deps, moderateQueue: rig.producer.moderate }),
      { connection: createWorkerConnection(env.redis.url), prefix: rig.prefix, settings: { backoffStrategy: retryAfterBackoff } },
    ),
  );
}

/** A models folder holding the shipped model (current) and NEW_VERSION beside it (not current yet). */
function modelsFolder(name: string): { dir: string; oldVersion: string; promote(): void } {
  const dir = join(env.tmp, name);
  mkdirSync(dir, { recursive: true });
  const oldVersion = currentVersion(SHIPPED_MODELS);
  copyFileSync(join(SHIPPED_MODELS, `${oldVersion}.json`), join(dir, `${oldVersion}.json`));
  copyFileSync(join(SHIPPED_MODELS, 'current.json'), join(dir, 'current.json'));
  const model = JSON.parse(readFileSync(join(dir, `${oldVersion}.json`), 'utf8')) as Model;
  const promoted: Model = { ...model, version: NEW_VERSION, createdAt: new Date().toISOString() };
  saveModel(promoted, dir, { makeCurrent: false });
  return { dir, oldVersion, promote: () => void saveModel(promoted, dir, { makeCurrent: true }) };
}

async function storeFixturePages(target: Store, count: number, from = 0): Promise<string[]> {
  const ids: string[] = [];
  for (const slug of fixtureSlugs().slice(from, from + count)) {
    const file = join(FIXTURE_PAGES, slug, 'page.html');
    const { page } = await target.putPage({ url: `https://news.example/${slug}`, source: 'file', name: file, raw: readFileSync(file) });
    ids.push(page.id);
  }
  return ids;
}

describe('reprocessing stored pages with a promoted model', () => {
  it('moderates every stored page again with the new model, and progress reaches the total', async () => {
    const models = modelsFolder('models-e2e');
    const { producer, store, reprocessQueue, startWorkers } = await setUp();
    await startWorkers({ stages: ['moderate'], moderateConcurrency: 2, modelDir: models.dir });
    const pageIds = await storeFixturePages(store, 5);
    for (const pageId of pageIds) await enqueueModerate(producer.moderate, pageId);
    await until('5 articles by the old model', async () => (await store!.countArticlesByModel())[models.oldVersion] === 5, 45_000);

    models.promote();
    // A page moderated after the promotion gets the new model without a worker restart.
    const [late] = await storeFixturePages(store, 1, 5);
    await enqueueModerate(producer.moderate, late);
    await until('the late page moderated', async () => (await store!.getPage(late))?.status === 'done', 30_000);
    expect((await store.getArticle(late))!.model).toBe(NEW_VERSION);

    const run = await enqueueReprocess(reprocessQueue, { model: NEW_VERSION, by: 'reviewer@example.com' });
    expect(run).toEqual({ jobId: `r-${NEW_VERSION}`, created: true });
    // One run per model version.
    expect((await enqueueReprocess(reprocessQueue, { model: NEW_VERSION, by: 'someone else' })).created).toBe(false);

    await until('every article on the new model', async () => (await store!.countArticlesByModel())[NEW_VERSION] === 6, 60_000);
    await until('the reprocess run to complete', async () => (await reprocessQueue!.getJobState(run.jobId)) === 'completed');
    // An article is committed just before its job completes.
    await until('12 moderate jobs completed', async () => (await producer!.moderate.getCompletedCount()) === 12);

    expect(await store.countArticlesByModel()).toEqual({ [NEW_VERSION]: 6 });
    for (const summary of await store.listArticles({ limit: 100 })) expect(summary.model).toBe(NEW_VERSION);
    expect(await reprocessProgress(reprocessQueue, store, run.jobId)).toEqual({
      id: run.jobId,
      state: 'completed',
      progress: { done: 6, total: 6, model: NEW_VERSION },
    });
    const job = await reprocessQueue.getJob(run.jobId);
    expect(job!.returnvalue).toEqual({ model: NEW_VERSION, enqueued: 6 });
    expect(job!.data).toEqual({ model: NEW_VERSION, by: 'reviewer@example.com' });
    // Each page got its own reprocess job beside the `p-<pageId>` job that first moderated it.
    for (const pageId of [...pageIds, late]) {
      const moderated = await producer.moderate.getJob(reprocessModerateJobId(pageId, NEW_VERSION));
      expect(moderated, pageId).toBeDefined();
      expect(moderated!.data).toEqual({ pageId, model: NEW_VERSION });
      expect(moderated!.returnvalue.model).toBe(NEW_VERSION);
    }
    expect(await reprocessProgress(reprocessQueue, store, 'r-no-such-model')).toBeNull();
  }, 120_000);

  it('resumes from its checkpoint when retried, adding each page once', async () => {
    const models = modelsFolder('models-resume');
    const rig = await setUp();
    const { producer, store, reprocessQueue } = rig;
    const pageIds: string[] = [];
    for (const [i, slug] of ['a', 'b', 'c', 'd', 'e'].entries()) {
      const { page } = await store.putPage({ url: `https://news.example/${slug}`, source: 'url', raw: new TextEncoder().encode(`<p>page ${i}</p>`) });
      await store.saveArticle(page.id, makeArticle({ url: page.url, model: models.oldVersion }));
      pageIds.push(page.id);
    }
    pageIds.sort();
    // The database fails once, on the second batch: the first attempt dies after one checkpoint.
    const calls: (string | undefined)[] = [];
    const real = store;
    const flaky: Pick<Store, 'listDonePageIds' | 'countArticlesByModel'> = {
      countArticlesByModel: () => real.countArticlesByModel(),
      listDonePageIds: async (options) => {
        calls.push(options?.afterId);
        if (calls.length === 2) throw new Error('database is locked');
        return real.listDonePageIds(options);
      },
    };
    const progress: unknown[] = [];
    const worker = startReprocessWorker(rig, { store: flaky, modelDir: models.dir, batchSize: 2 });
    worker.on('progress', (_job, value) => progress.push(value));
    await reprocessQueue.add(REPROCESS_QUEUE, { model: NEW_VERSION, by: 'test' }, { jobId: `r-${NEW_VERSION}`, attempts: 3, backoff: { type: RETRY_AFTER_BACKOFF, delay: 20 } });

    await until('the run to complete', async () => (await reprocessQueue!.getJobState(`r-${NEW_VERSION}`)) === 'completed');

    const job = await reprocessQueue.getJob(`r-${NEW_VERSION}`);
    expect(job!.attemptsMade).toBe(2);
    expect(job!.returnvalue).toEqual({ model: NEW_VERSION, enqueued: 5 });
    // First attempt: from the start, then the failing call after page 2. The retry starts after page 2.
    expect(calls).toEqual([undefined, pageIds[1], pageIds[1], pageIds[3]]);
    expect(progress).toEqual([
      { enqueued: 2, total: 5, afterId: pageIds[1] },
      { enqueued: 4, total: 5, afterId: pageIds[3] },
      { enqueued: 5, total: 5, afterId: pageIds[4] },
      { enqueued: 5, total: 5, afterId: pageIds[4] },
    ]);
    const added = await producer.moderate.getJobs(['prioritized', 'waiting']);
    expect(added.map((moderate) => moderate.id).sort()).toEqual(pageIds.map((pageId) => reprocessModerateJobId(pageId, NEW_VERSION)).sort());
    // Fresh submissions go first: reprocess jobs wait behind jobs without a priority.
    expect(added.every((moderate) => moderate.opts.priority === 10)).toBe(true);
  });

  it('fails a run at once when its model is not in the models folder', async () => {
    const models = modelsFolder('models-missing');
    const rig = await setUp();
    const { producer, reprocessQueue } = rig;
    startReprocessWorker(rig, { store: rig.store, modelDir: models.dir });
    const { jobId } = await enqueueReprocess(reprocessQueue, { model: 'nb-f1-0000000000', by: 'test' });

    await until('the run to fail', async () => (await reprocessQueue!.getJobState(jobId)) === 'failed');

    const job = await reprocessQueue.getJob(jobId);
    expect(job!.attemptsMade).toBe(1);
    expect(job!.failedReason).toMatch(/^no_model: no model file .*nb-f1-0000000000\.json/);
    expect(await producer.moderate.count()).toBe(0);
  });

  it('refuses a version that cannot be a model file or job id, and a run nobody asked for', async () => {
    const { reprocessQueue } = await setUp();
    for (const model of ['', 'a:b', '../etc/passwd', 'x'.repeat(200)]) {
      await expect(enqueueReprocess(reprocessQueue, { model, by: 'test' }), model).rejects.toThrow(WinnowError);
    }
    await expect(enqueueReprocess(reprocessQueue, { model: NEW_VERSION, by: ' ' })).rejects.toMatchObject({ code: 'bad_input', message: 'a reprocess run needs `by` (who asked for it)' });
    expect(await reprocessQueue.count()).toBe(0);
  });
});
