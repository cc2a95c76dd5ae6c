import { Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentVersion, loadModel, modelVersion, saveModel } from '../../src/classify/model.js';
import type { StoredArticle } from '../../src/storage/store.js';
import { createWorkerConnection } from '../../workers/queues.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { AUTH } from './helpers.js';
import { openReviewApi, SHIPPED_MODELS, storeFixturePage, type ReviewFixture } from './review-support.js';

let redis: TestRedis;
let api: ReviewFixture;
let stored: StoredArticle;
const shipped = currentVersion(SHIPPED_MODELS);
/** A second model: the shipped one with another temperature, so another version. */
let other: string;

beforeAll(async () => {
  redis = await startRedis();
  api = await openReviewApi(redis.url, { ownModels: true });
  stored = await storeFixturePage(api.store, 'news-de-1', 'https://zeitung.example.de/politik/artikel');
  const model = loadModel(api.modelDir);
  const changed = { ...model, temperature: model.temperature + 0.5 };
  changed.version = modelVersion(changed);
  saveModel(changed, api.modelDir, { makeCurrent: false });
  other = changed.version;
}, 60_000);

afterAll(async () => {
  await api?.close();
  await redis?.stop();
});

const get = (url: string) => api.app.inject({ method: 'GET', url, headers: AUTH });
const post = (url: string, payload: object) => api.app.inject({ method: 'POST', url, payload, headers: { ...AUTH, 'content-type': 'application/json' } });

/**
 * Let the reprocess job itself run to completion without moderating anything, as happens when
 * the job has queued its moderate jobs and they have not run yet.
 */
async function completeReprocessJob(id: string): Promise<void> {
  const connection = createWorkerConnection(redis.url);
  const worker = new Worker(api.reprocessQueue.name, async () => ({ enqueued: 0 }), { connection, prefix: api.reprocessQueue.opts.prefix });
  try {
    const deadline = Date.now() + 10_000;
    while ((await api.reprocessQueue.getJobState(id)) !== 'completed') {
      if (Date.now() > deadline) throw new Error(`reprocess job ${id} did not complete`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await worker.close();
    await connection.quit();
  }
}

/** Store the page's article as a moderate job with `model` would. */
async function moderatedWith(model: string): Promise<void> {
  const article = await api.store.getArticle(stored.pageId);
  await api.store.saveArticle(stored.pageId, { ...article!, model });
}

describe('reprocess and rollback state', () => {
  it('reports a run as unfinished while its job has completed but the pages are not stored with its model yet', async () => {
    const promoted = await post(`/v1/review/models/${other}/promote`, { reviewer: 'Ana' });
    expect(promoted.statusCode).toBe(200);
    const started = await post('/v1/review/reprocess', { reviewer: 'Ana' });
    expect(started.statusCode).toBe(202);
    const { job } = started.json();
    expect(job).toMatchObject({ id: `r-${other}`, finished: false });

    await completeReprocessJob(job.id);
    // The job completed (it only queues moderate jobs); no page carries the new model yet.
    const halfway = (await get(`/v1/review/reprocess/${job.id}`)).json().job;
    expect(halfway).toMatchObject({ state: 'completed', finished: false, progress: { done: 0, total: 1, model: other } });

    await moderatedWith(other);
    expect((await get(`/v1/review/reprocess/${job.id}`)).json().job).toMatchObject({ state: 'completed', finished: true, progress: { done: 1, total: 1 } });
  });

  it('after a rollback, says which stored articles carry the rolled-back model and why nothing is left to roll back', async () => {
    const rolled = await post('/v1/review/models/rollback', { reviewer: 'Ana' });
    expect(rolled.statusCode).toBe(200);
    const models = (await get('/v1/review/models')).json();
    expect(models.current).toBe(shipped);
    expect(models.history).toHaveLength(2);
    expect(models.rollbackTo).toBeNull();
    expect(models.articlesByModel).toEqual({ [other]: 1 });
  });

  it('reprocesses again for a model whose earlier run ended, when stored articles carry another model', async () => {
    // An earlier run for the shipped model, ended long ago.
    await api.reprocessQueue.add('reprocess', { model: shipped, by: 'Old' }, { jobId: `r-${shipped}` });
    await completeReprocessJob(`r-${shipped}`);

    const started = await post('/v1/review/reprocess', { reviewer: 'Bea' });
    expect(started.statusCode).toBe(202);
    const { job } = started.json();
    expect(job.id).toBe(`r-${shipped}`);
    // A new run, not the ended one reporting "completed: 0 of 1".
    expect(job.state).not.toBe('completed');
    expect(job.finished).toBe(false);
    expect((await api.reprocessQueue.getJob(job.id))?.data).toEqual({ model: shipped, by: 'Bea' });

    // While that run goes on, asking again reports the same run.
    const again = (await post('/v1/review/reprocess', { reviewer: 'Cy' })).json().job;
    expect(again.id).toBe(job.id);
    expect((await api.reprocessQueue.getJob(job.id))?.data).toEqual({ model: shipped, by: 'Bea' });
  });
});
