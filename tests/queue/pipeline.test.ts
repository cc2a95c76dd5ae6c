import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { StartWorkersOptions } from '../../workers/main.js';
import { enqueueFetch, enqueueModerate, fetchJobId } from '../../workers/queues.js';
import { buildDist, fixtureSlugs, startFixtureServer, startQueueEnv, until, type FixtureServer, type QueueEnv, type QueueRig } from './harness.js';

/** Retries in milliseconds, not seconds, so a retried job fails within the test. */
const FAST_RETRIES = { attempts: 3, backoff: { type: 'exponential', delay: 50 }, removeOnComplete: { count: 1000 }, removeOnFail: { count: 5000 } };

let env: QueueEnv;
let server: FixtureServer;

beforeAll(async () => {
  buildDist();
  env = await startQueueEnv('winnow-queue-');
  server = await startFixtureServer();
}, 120_000);

afterEach(() => env?.closeRigs());

afterAll(async () => {
  await server?.close();
  await env?.close();
});

/** A producer, a results store and (unless `start` is false) workers, all on a fresh prefix and SQLite file. */
async function setUp(options: Partial<StartWorkersOptions> & { start?: boolean } = {}): Promise<QueueRig> {
  const rig = await env.openRig({ jobOptions: options.jobOptions });
  if (options.start !== false) {
    await rig.startWorkers({
      fetchConcurrency: 8,
      moderateConcurrency: 2,
      // Every fixture page is on one local host: no per-host pacing here (tests/queue/politeness.test.ts covers it).
      hostConcurrency: 64,
      ...options,
    });
  }
  return rig;
}

describe('queue pipeline: fetch → store → sandboxed moderate', () => {
  it('stores one article for each of 20 enqueued URLs', async () => {
    const { producer, store } = await setUp();
    const urls = fixtureSlugs().slice(0, 20).map((slug) => server.url(`/pages/${slug}`));
    expect(urls).toHaveLength(20);
    for (const url of urls) expect((await enqueueFetch(producer.fetch, url)).created).toBe(true);

    await until('20 moderate jobs completed', async () => (await producer.moderate.getCompletedCount()) === 20, 45_000);

    expect(await producer.fetch.getJobCounts('completed', 'failed', 'active', 'waiting', 'delayed')).toEqual({
      completed: 20, failed: 0, active: 0, waiting: 0, delayed: 0,
    });
    expect(await producer.moderate.getFailedCount()).toBe(0);
    const articles = await store.listArticles({ limit: 1000 });
    expect(articles).toHaveLength(20);
    expect(new Set(articles.map((article) => article.pageId)).size).toBe(20);
    for (const url of urls) {
      const article = await store.getArticle(url);
      expect(article, url).not.toBeNull();
      expect(article!.url).toBe(url);
      expect(article!.blocks.length).toBeGreaterThan(0);
      // Each page was fetched once: nothing was retried or delivered twice.
      expect(server.hits.get(new URL(url).pathname)).toBe(1);
    }
    const fetchJob = await producer.fetch.getJob(fetchJobId(urls[0]));
    expect(fetchJob!.returnvalue.moderateJobId).toBe(`p-${fetchJob!.returnvalue.pageId}`);
  }, 60_000);

  it('keeps one job for the same URL enqueued twice while pending', async () => {
    const { producer } = await setUp({ start: false });
    const url = server.url('/pages/news-wire-1');
    const first = await enqueueFetch(producer.fetch, url);
    const again = await enqueueFetch(producer.fetch, url);
    // Same page after URL normalisation: tracking parameters and the fragment do not count.
    const variant = await enqueueFetch(producer.fetch, `${url}?utm_source=feed#top`);

    expect(first.created).toBe(true);
    expect(again).toEqual({ jobId: first.jobId, created: false, existingState: 'waiting' });
    expect(variant.jobId).toBe(first.jobId);
    expect(variant.created).toBe(false);
    expect(first.jobId).toMatch(/^u-[0-9a-f]{64}$/);
    expect(await producer.fetch.getJobCounts('waiting')).toEqual({ waiting: 1 });
  });

  it('fails a 404 and an image/png URL at once, with the reason recorded in the database', async () => {
    const { producer, store } = await setUp({ stages: ['fetch'] });
    const missing = server.url('/status/404');
    const image = server.url('/image.png');
    await enqueueFetch(producer.fetch, missing);
    await enqueueFetch(producer.fetch, image);

    await until('2 failed fetch jobs', async () => (await producer.fetch.getFailedCount()) === 2);

    for (const url of [missing, image]) {
      const job = await producer.fetch.getJob(fetchJobId(url));
      expect(job!.attemptsMade).toBe(1);
      expect(job!.opts.attempts).toBe(5);
    }
    expect(server.hits.get('/status/404')).toBe(1);
    expect(server.hits.get('/image.png')).toBe(1);
    const failures = await store.listFailures();
    expect(failures.map((page) => [page.url, page.errorCode]).sort()).toEqual(
      [
        [image, 'unsupported_type'],
        [missing, 'http_error'],
      ].sort(),
    );
    expect(await producer.moderate.count()).toBe(0);
  });

  it('retries a 503 with backoff and records the failure after the last attempt', async () => {
    const { producer, store } = await setUp({ stages: ['fetch'], jobOptions: FAST_RETRIES });
    const unavailable = server.url('/status/503');
    await enqueueFetch(producer.fetch, unavailable);

    await until('the 503 job to fail', async () => (await producer.fetch.getFailedCount()) === 1);

    const job = await producer.fetch.getJob(fetchJobId(unavailable));
    expect(job!.attemptsMade).toBe(3);
    expect(job!.failedReason).toBe('HTTP 503');
    expect(server.hits.get('/status/503')).toBe(3);
    const [failure] = await store.listFailures();
    expect(failure).toMatchObject({ url: unavailable, status: 'failed', errorCode: 'http_error', errorMessage: 'HTTP 503' });
  });

  it('fails a moderate job for binary bytes as not_text, without a retry', async () => {
    const { producer, store } = await setUp({ stages: ['moderate'] });
    const binary = new Uint8Array(4096).map((_, i) => (i % 7 === 0 ? 0 : (i * 31) % 256));
    const { page } = await store.putPage({ url: 'https://example.com/binary', source: 'url', raw: binary, contentType: 'text/html' });
    const { jobId } = await enqueueModerate(producer.moderate, page.id);

    await until('the moderate job to fail', async () => (await producer.moderate.getFailedCount()) === 1, 30_000);

    const job = await producer.moderate.getJob(jobId);
    expect(job!.attemptsMade).toBe(1);
    expect(job!.failedReason).toMatch(/^not_text: /);
    expect(await store.getPage(page.id)).toMatchObject({ status: 'failed', errorCode: 'not_text' });
    expect(await store.getArticle(page.id)).toBeNull();
  }, 40_000);

  it('kills a sandboxed child that runs over the job timeout, retries, then records `timeout`', async () => {
    const { producer, store } = await setUp({
      stages: ['moderate'],
      moderateConcurrency: 1,
      jobTimeoutMs: 300,
      jobOptions: { ...FAST_RETRIES, attempts: 2 },
    });
    // About 4 MB of prose: seconds of parsing and classifying, far over 300 ms.
    const paragraph = '<p>The council met on Tuesday to discuss the budget for the coming year and the new library.</p>';
    const huge = new TextEncoder().encode(`<html><body><article>${paragraph.repeat(40_000)}</article></body></html>`);
    const { page } = await store.putPage({ url: 'https://example.com/huge', source: 'url', raw: huge, contentType: 'text/html' });
    const { jobId } = await enqueueModerate(producer.moderate, page.id);

    await until('the timed-out job to fail', async () => (await producer.moderate.getFailedCount()) === 1, 30_000);

    const job = await producer.moderate.getJob(jobId);
    expect(job!.attemptsMade).toBe(2);
    expect(job!.failedReason).toMatch(/SIGALRM/);
    await until('the timeout to be recorded', async () => (await store.getPage(page.id))?.status === 'failed', 5000);
    expect(await store.getPage(page.id)).toMatchObject({ errorCode: 'timeout' });
  }, 40_000);
});
