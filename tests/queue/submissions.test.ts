import { PassThrough } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { parseDuration, requeuePendingCommand } from '../../workers/commands.js';
import { fetchJobId } from '../../workers/queues.js';
import { requeuePending, submitFetch } from '../../workers/submissions.js';
import { startQueueEnv, until, type QueueEnv, type QueueRig } from './harness.js';
import { PAGE, siteGroup, type Site } from './site-server.js';

describe('parseDuration', () => {
  it.each([
    ['10m', 600_000],
    ['90s', 90_000],
    ['90', 90_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['250ms', 250],
    [' 0m ', 0],
  ])('%s → %i ms', (value, ms) => {
    expect(parseDuration(value)).toBe(ms);
  });

  it.each(['', 'm', '10 minutes', '-5m', '1.5h', '10y'])('refuses %j', (value) => {
    expect(() => parseDuration(value)).toThrow(/^not a duration: /);
  });
});

describe('submission ledger (pending pages) and requeue-pending', () => {
  let env: QueueEnv;
  const sites = siteGroup();

  beforeAll(async () => {
    env = await startQueueEnv('winnow-ledger-');
  }, 60_000);

  afterEach(async () => {
    await env?.closeRigs();
    await sites.closeAll();
  });

  afterAll(() => env?.close());

  /** A producer and a results store on a fresh prefix; `rig.startWorkers()` adds a fetch-stage worker there. */
  async function setUp(): Promise<QueueRig> {
    // Every page is on the one local host; politeness is tested elsewhere.
    return env.openRig({ workers: { stages: ['fetch'], hostConcurrency: 8 } });
  }

  /** A site with a page at /page and a 404 at /missing, and a rig whose fetch worker runs. */
  async function setUpWithSite(): Promise<QueueRig & { site: Site; ok: string; missing: string }> {
    const site = await sites.start({ '/missing': (response) => response.writeHead(404).end() });
    const rig = await setUp();
    await rig.startWorkers();
    return { ...rig, site, ok: site.url('/page'), missing: site.url('/missing') };
  }

  const future = (): string => new Date(Date.now() + 60_000).toISOString();

  it('records a submission as a pending page before its job is queued', async () => {
    const { producer, store } = await setUp();
    const url = 'https://news.example/a?utm_source=feed';
    const enqueued = await submitFetch(producer.fetch, store, { url, source: 'api' });

    expect(enqueued).toEqual({ jobId: fetchJobId(url), created: true });
    const pending = await store.listPendingSubmissions({ olderThan: future() });
    expect(pending.map((page) => [page.url, page.status, page.source])).toEqual([[url, 'pending', 'api']]);
    // Submitting the same page again keeps one ledger row.
    await submitFetch(producer.fetch, store, { url: 'https://news.example/a', source: 'api' });
    expect(await store.listPendingSubmissions({ olderThan: future() })).toHaveLength(1);
  });

  it('queues again, after Redis lost its data, the submissions whose job is gone, and only those', async () => {
    const { producer, store } = await setUp();
    const urls = ['https://news.example/1', 'https://news.example/2'];
    for (const url of urls) await submitFetch(producer.fetch, store, { url, source: 'url' });
    await env.redis.restart();
    await until('the producer to reconnect', () => producer.connection.status === 'ready');
    expect(await producer.fetch.getJobState(fetchJobId(urls[0]))).toBe('unknown');

    const young = await requeuePending({ ledger: store, queue: producer.fetch, olderThanMs: 60_000 });
    expect(young).toEqual({ pending: 0, requeued: [], queued: {} });

    const out = new PassThrough();
    const summary = await requeuePendingCommand({ olderThan: '0s', config: { redisUrl: env.redis.url, queuePrefix: producer.prefix }, store, stdout: out });
    expect(summary.requeued.sort()).toEqual(urls);
    for (const url of urls) expect(await producer.fetch.getJobState(fetchJobId(url))).toBe('waiting');
    expect(String(out.read())).toContain('2 pending, 2 requeued');

    // A second pass finds the jobs in Redis and adds nothing.
    expect(await requeuePending({ ledger: store, queue: producer.fetch, olderThanMs: 0 })).toEqual({ pending: 2, requeued: [], queued: { waiting: 2 } });
  });

  it('settles a submission when its page is stored, and keeps a failed one as the failure record', async () => {
    const { producer, store, ok, missing } = await setUpWithSite();
    await submitFetch(producer.fetch, store, { url: ok, source: 'url' });
    await submitFetch(producer.fetch, store, { url: missing, source: 'url' });

    await until('both fetch jobs to finish', async () => (await producer.fetch.getCompletedCount()) === 1 && (await producer.fetch.getFailedCount()) === 1);

    expect(await store.listPendingSubmissions({ olderThan: future() })).toEqual([]);
    const [failure] = await store.listFailures();
    expect(failure).toMatchObject({ url: missing, status: 'failed', errorCode: 'http_error' });
    const { pageId } = (await producer.fetch.getJob(fetchJobId(ok)))!.returnvalue;
    expect(await store.getPage(pageId)).toMatchObject({ url: ok, status: 'fetched' });
  });

  it('queues again a submission whose job had finished when the same URL came again', async () => {
    const { producer, store, site, ok, missing } = await setUpWithSite();
    const urls = [ok, missing].sort();
    const pendingUrls = async (): Promise<(string | null)[]> => (await store.listPendingSubmissions({ olderThan: future() })).map((page) => page.url).sort();
    const finished = async (): Promise<boolean> =>
      (await producer.fetch.getJobState(fetchJobId(ok))) === 'completed' && (await producer.fetch.getJobState(fetchJobId(missing))) === 'failed';
    for (const url of urls) await submitFetch(producer.fetch, store, { url, source: 'api' });
    await until('both fetch jobs to finish', finished);

    // Redis still keeps the finished jobs: the submissions are duplicates, yet pending again in the ledger.
    for (const url of urls) expect(await submitFetch(producer.fetch, store, { url, source: 'api' })).toMatchObject({ created: false });
    expect(await pendingUrls()).toEqual(urls);

    const summary = await requeuePending({ ledger: store, queue: producer.fetch, olderThanMs: 0 });
    expect(summary.requeued.sort()).toEqual(urls);
    await until('both submissions to be settled', async () => (await pendingUrls()).length === 0 && (await finished()));
    expect(site.seen.filter((seen) => seen.path === '/page')).toHaveLength(2);
    expect(site.seen.filter((seen) => seen.path === '/missing')).toHaveLength(2);
    expect(await store.listFailures()).toEqual([expect.objectContaining({ url: missing, status: 'failed', errorCode: 'http_error' })]);
  });

  it('loses none of 20 API submissions when Redis restarts empty: requeue-pending queues them again and every page is stored', async () => {
    const site = await sites.start();
    const { producer, store, startWorkers } = await setUp();
    const urls = Array.from({ length: 20 }, (_, n) => site!.url(`/story/${n}`));
    const app = await buildApp({ store, queues: { fetch: producer.fetch, moderate: producer.moderate }, token: null, allowPrivate: ['127.0.0.1'] });
    try {
      const response = await app.inject({
        method: 'POST',
        url: '/v1/pages',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ pages: urls.map((url) => ({ url })) }),
      });
      expect(response.statusCode).toBe(202);
      expect(response.json().pages.map((page: { status: string }) => page.status)).toEqual(urls.map(() => 'queued'));
    } finally {
      await app.close();
    }
    expect(await producer.fetch.getJobCountByTypes('waiting')).toBe(20);

    // A new redis-server on the same port, without persistence: every queued job is gone.
    await env.redis.restart();
    await until('the producer to reconnect', () => producer.connection.status === 'ready');
    expect(await producer.fetch.getJobCountByTypes('waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed')).toBe(0);

    const out = new PassThrough();
    const summary = await requeuePendingCommand({ olderThan: '0s', config: { redisUrl: env.redis.url, queuePrefix: producer.prefix }, store, stdout: out });
    expect(summary.requeued.sort()).toEqual([...urls].sort());
    expect(String(out.read())).toContain('20 pending, 20 requeued');

    await startWorkers();
    await until('all 20 fetch jobs to complete', async () => (await producer.fetch.getCompletedCount()) === 20, 60_000);

    for (const url of urls) {
      const { pageId } = (await producer.fetch.getJob(fetchJobId(url)))!.returnvalue;
      expect(await store.getPage(pageId), url).toMatchObject({ url, source: 'url', status: 'fetched' });
      expect(Buffer.from((await store.getRawPage(pageId))!).toString('utf8')).toBe(PAGE);
    }
    expect(await producer.fetch.getFailedCount()).toBe(0);
    expect(await producer.moderate.getJobCountByTypes('waiting')).toBe(20);
    expect(await store.listPendingSubmissions({ olderThan: future() })).toEqual([]);
    expect(site.seen.map((seen) => seen.path).sort()).toEqual(urls.map((url) => new URL(url).pathname).sort());
  }, 90_000);
});
