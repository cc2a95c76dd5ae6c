import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { currentVersion } from '../../src/classify/model.js';
import { LABELS } from '../../src/types.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { buildDist } from '../queue/harness.js';
import { AUTH, TOKEN } from './helpers.js';
import { openReviewApi, SHIPPED_MODELS, storeFixturePage, type ReviewFixture } from './review-support.js';

/** Six pages of different templates: enough to cross-validate, quick to train. */
const TRAINING_PAGES = ['ai-news-featured-1', 'news-de-1', 'recipe-blog-1', 'product-review-1', 'forum-thread-1', 'listicle-best-laptops-1'];
const TRAINING_TIMEOUT_MS = 240_000;

let redis: TestRedis;
let api: ReviewFixture;
const shipped = currentVersion(SHIPPED_MODELS);

beforeAll(async () => {
  // The training child is forked from the compiled JavaScript.
  buildDist();
  redis = await startRedis();
  api = await openReviewApi(redis.url, { ownModels: true, fixtures: TRAINING_PAGES });
  await storeFixturePage(api.store, 'news-de-1', 'https://zeitung.example.de/politik/artikel');
}, TRAINING_TIMEOUT_MS);

afterAll(async () => {
  await api?.close();
  await redis?.stop();
});

const get = (url: string) => api.app.inject({ method: 'GET', url, headers: AUTH });
const post = (url: string, payload: object, headers: Record<string, string> = {}) =>
  api.app.inject({ method: 'POST', url, payload, headers: { ...AUTH, 'content-type': 'application/json', ...headers } });
const pointer = () => JSON.parse(readFileSync(join(api.modelDir, 'current.json'), 'utf8'));

interface Job {
  id: string;
  state: string;
  progress: { stage: string; done: number; total: number };
  candidate: string | null;
  report: Record<string, any> | null;
  error: string | null;
}

describe('train → report → promote → rollback → discard', () => {
  let job: Job;

  it('starts training in a child process and refuses a second run while it trains', async () => {
    expect((await get('/v1/review/train')).json()).toEqual({ job: null });
    const started = await post('/v1/review/train', { reviewer: 'Ana' });
    expect(started.statusCode).toBe(202);
    job = started.json().job;
    expect(job).toMatchObject({ state: 'running', by: 'Ana', candidate: null, report: null, error: null });

    const second = await post('/v1/review/train', { reviewer: 'Bea' });
    expect(second.statusCode).toBe(409);
    expect(second.json()).toMatchObject({ code: 'WINNOW_ERR_CONFLICT', current: { id: job.id, state: 'running' } });
  });

  it(
    'reports progress until the candidate is saved with its comparison report',
    async () => {
      const stages = new Set<string>();
      const deadline = Date.now() + TRAINING_TIMEOUT_MS - 10_000;
      while (job.state === 'running' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        const response = await get(`/v1/review/train/${job.id}`);
        expect(response.statusCode).toBe(200);
        job = response.json().job;
        stages.add(job.progress.stage);
        expect(job.progress.done).toBeLessThanOrEqual(Math.max(job.progress.total, 1));
      }
      expect(job.error).toBeNull();
      expect(job.state).toBe('done');
      expect(stages.size).toBeGreaterThan(2);
      expect(job.candidate).toMatch(/^nb-f\d+-[0-9a-f]+$/);
      expect((await get('/v1/review/train')).json().job).toEqual(job);

      const report = (await get(`/v1/review/models/${job.candidate}/report`)).json();
      expect(report).toEqual(job.report);
      expect(report).toMatchObject({ candidate: job.candidate, current: shipped, pages: TRAINING_PAGES.length });
      for (const side of ['candidate', 'current'] as const) {
        const metrics = report.all[side];
        expect(metrics.confusion).toHaveLength(3);
        for (const row of metrics.confusion) expect(row).toHaveLength(3);
        expect(Object.keys(metrics.perClass).sort()).toEqual([...LABELS].sort());
        expect(metrics.macroF1).toBeGreaterThan(0);
        expect(metrics.macroF1).toBeLessThanOrEqual(1);
      }

      const models = (await get('/v1/review/models')).json();
      expect(models.current).toBe(shipped);
      expect(models.models.find((entry: { version: string }) => entry.version === job.candidate)).toMatchObject({ status: 'candidate', isCurrent: false });
      expect(models.models.find((entry: { version: string }) => entry.version === shipped)).toMatchObject({ status: 'current', isCurrent: true });
    },
    TRAINING_TIMEOUT_MS,
  );

  it('answers 404 for an unknown job, model or report, and 400 for a version that names no file', async () => {
    expect((await get('/v1/review/train/no-such-job')).statusCode).toBe(404);
    expect((await get('/v1/review/models/nb-f1-0000000000/report')).statusCode).toBe(404);
    expect((await post('/v1/review/models/nb-f1-0000000000/promote', { reviewer: 'Ana' })).statusCode).toBe(404);
    for (const version of ['.hidden', 'a%2F..%2Fcurrent', 'current']) {
      const response = await post(`/v1/review/models/${version}/promote`, { reviewer: 'Ana' });
      expect(response.statusCode, version).toBe(400);
    }
    // A `..` segment (plain or percent-encoded) is resolved away before routing: no such route.
    for (const dots of ['..', '%2E%2E']) expect((await post(`/v1/review/models/${dots}/promote`, { reviewer: 'Ana' })).statusCode, dots).toBe(404);
    expect(pointer().version).toBe(shipped);
  });

  it('refuses a cross-origin promotion and leaves the current model alone', async () => {
    const response = await post(`/v1/review/models/${job.candidate}/promote`, { reviewer: 'Mallory' }, { origin: 'https://evil.test' });
    expect(response.statusCode).toBe(403);
    expect(pointer().version).toBe(shipped);
  });

  it('promotes the candidate, then rolls back to the model before it', async () => {
    const promoted = await post(`/v1/review/models/${job.candidate}/promote`, { reviewer: 'Ana' });
    expect(promoted.statusCode).toBe(200);
    expect(promoted.json()).toEqual({ current: job.candidate, previous: shipped });
    expect(pointer().version).toBe(job.candidate);
    expect((await post(`/v1/review/models/${job.candidate}/promote`, { reviewer: 'Ana' })).statusCode).toBe(400);

    const rolledBack = await post('/v1/review/models/rollback', { reviewer: 'Bea' });
    expect(rolledBack.statusCode).toBe(200);
    expect(rolledBack.json()).toEqual({ current: shipped, previous: job.candidate });
    expect(pointer().version).toBe(shipped);

    const { current, history, models } = (await get('/v1/review/models')).json();
    expect(current).toBe(shipped);
    expect(history).toEqual([
      expect.objectContaining({ version: job.candidate, previous: shipped, by: 'Ana', action: 'promote' }),
      expect.objectContaining({ version: shipped, previous: job.candidate, by: 'Bea', action: 'rollback' }),
    ]);
    expect(models.find((entry: { version: string }) => entry.version === job.candidate).status).toBe('previous');
    expect((await post('/v1/review/models/rollback', { reviewer: 'Bea' })).statusCode).toBe(400);
  });

  it('discards the candidate, which then cannot be promoted; the current model cannot be discarded', async () => {
    const discarded = await post(`/v1/review/models/${job.candidate}/discard`, { reviewer: 'Ana' });
    expect(discarded.statusCode).toBe(200);
    expect(discarded.json()).toEqual({ version: job.candidate, status: 'discarded' });
    const entry = (await get('/v1/review/models')).json().models.find((model: { version: string }) => model.version === job.candidate);
    expect(entry.status).toBe('discarded');
    expect((await post(`/v1/review/models/${job.candidate}/promote`, { reviewer: 'Ana' })).statusCode).toBe(400);
    const current = await post(`/v1/review/models/${shipped}/discard`, { reviewer: 'Ana' });
    expect(current.statusCode).toBe(400);
    expect(current.json().message).toContain('current');
    expect(pointer().version).toBe(shipped);
  });

  it('validates the reviewer on every model action', async () => {
    for (const url of ['/v1/review/train', '/v1/review/models/rollback', `/v1/review/models/${shipped}/promote`, `/v1/review/models/${shipped}/discard`, '/v1/review/reprocess']) {
      for (const body of [{}, { reviewer: '' }, { reviewer: '\u0000' }, { reviewer: 'y'.repeat(65) }]) {
        const response = await post(url, body);
        expect(response.statusCode, `${url} ${JSON.stringify(body)}`).toBe(400);
        expect(response.json().code).toBe('WINNOW_ERR_VALIDATION');
      }
    }
    expect(pointer().version).toBe(shipped);
  });
});

describe('reprocessing', () => {
  it('queues one reprocess job for the current model and reports its progress', async () => {
    const started = await post('/v1/review/reprocess', { reviewer: 'Ana' });
    expect(started.statusCode).toBe(202);
    const { job } = started.json();
    expect(job.id).toBe(`r-${shipped}`);
    expect(['waiting', 'prioritized', 'active']).toContain(job.state);
    expect(job.progress).toMatchObject({ model: shipped });
    expect(job.progress.done).toBeLessThanOrEqual(job.progress.total);

    const queued = await api.reprocessQueue.getJob(job.id);
    expect(queued?.data).toEqual({ model: shipped, by: 'Ana' });

    const again = await post('/v1/review/reprocess', { reviewer: 'Bea' });
    expect(again.statusCode).toBe(202);
    expect(again.json().job.id).toBe(job.id);
    expect(await api.reprocessQueue.getJobCounts('waiting', 'prioritized')).toEqual({ waiting: 1, prioritized: 0 });

    const read = await get(`/v1/review/reprocess/${job.id}`);
    expect(read.statusCode).toBe(200);
    expect(read.json().job).toMatchObject({ id: job.id, progress: { model: shipped } });
    expect((await get('/v1/review/reprocess/r-no-such-model')).statusCode).toBe(404);
  });

  it('answers 503 when the server has no reprocess queue', async () => {
    const app = await buildApp({ store: api.store, queues: api.queues, token: TOKEN, modelDir: api.modelDir, fixturesDir: api.fixturesDir });
    try {
      const response = await app.inject({ method: 'POST', url: '/v1/review/reprocess', headers: { ...AUTH, 'content-type': 'application/json' }, payload: { reviewer: 'Ana' } });
      expect(response.statusCode).toBe(503);
      expect(response.json()).toMatchObject({ code: 'WINNOW_ERR_QUEUE_UNAVAILABLE' });
    } finally {
      await app.close();
    }
  });
});
