import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadModel } from '../../src/classify/model.js';
import { moderate } from '../../src/pipeline.js';
import { UnrecoverableError, Worker } from 'bullmq';
import { createWorkerConnection, FETCH_QUEUE, fetchJobId, moderateJobId, type FetchJobData } from '../../workers/queues.js';
import { FIXTURE_PAGES, until } from '../queue/harness.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { AUTH, openApi, type ApiFixture } from './helpers.js';

const MiB = 1024 * 1024;
const SEED = join(FIXTURE_PAGES, 'ai-news-featured-1', 'page.html');

let redis: TestRedis;
let api: ApiFixture;

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  await redis?.stop();
});

beforeEach(async () => {
  api = await openApi(redis.url);
});

afterEach(async () => {
  await api?.close();
});

function post(payload: unknown, headers: Record<string, string> = {}) {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  return api.app.inject({ method: 'POST', url: '/v1/pages', headers: { ...AUTH, 'content-type': 'application/json', ...headers }, payload: body });
}

async function jobCounts(): Promise<number> {
  const fetch = await api.queues.fetch.getJobCountByTypes('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized');
  const moderateCount = await api.queues.moderate.getJobCountByTypes('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized');
  return fetch + moderateCount;
}

describe('POST /v1/pages', () => {
  it('queues a valid URL under the `winnow enqueue` job id, and reports the same URL again as a duplicate', async () => {
    const url = 'https://news.example.com/a?utm_source=x&b=2';
    const first = await post({ url });
    expect(first.statusCode).toBe(202);
    expect(first.json()).toEqual({ pages: [{ id: fetchJobId(url), url, status: 'queued' }] });
    const job = await api.queues.fetch.getJob(fetchJobId(url));
    expect(job?.data).toEqual({ url });

    const second = await post({ url: 'https://NEWS.example.com/a?b=2#top' });
    expect(second.statusCode).toBe(202);
    expect(second.json().pages[0]).toMatchObject({ id: fetchJobId(url), status: 'duplicate' });
    expect(await api.queues.fetch.getJobCountByTypes('waiting')).toBe(1);
  });

  it('records a URL submission in the database as a pending page before queueing it, once per URL', async () => {
    const url = 'https://news.example.com/ledger?utm_source=x';
    const inAMinute = new Date(Date.now() + 60_000).toISOString();
    expect((await post({ url })).statusCode).toBe(202);
    expect((await post({ url: 'https://news.example.com/ledger' })).json().pages[0].status).toBe('duplicate');
    const pending = await api.store.listPendingSubmissions({ olderThan: inAMinute });
    expect(pending.map((page) => [page.url, page.source, page.status])).toEqual([[url, 'api', 'pending']]);
    expect(await api.queues.fetch.getJobCountByTypes('waiting')).toBe(1);
  });

  it('answers 503 and queues nothing when the database cannot record a URL submission', async () => {
    await api.store.close();
    const response = await post({ pages: [{ url: 'https://a.example/1' }, { url: 'https://a.example/2' }] });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ code: 'WINNOW_ERR_QUEUE_UNAVAILABLE', item: 0, message: expect.stringMatching(/database/) });
    expect(await jobCounts()).toBe(0);
  });

  it('queues a batch and reports duplicates inside it', async () => {
    const response = await post({ pages: [{ url: 'https://a.example/1' }, { url: 'https://a.example/2' }, { url: 'https://a.example/1' }] });
    expect(response.statusCode).toBe(202);
    expect(response.json().pages.map((page: { status: string }) => page.status)).toEqual(['queued', 'queued', 'duplicate']);
    expect(await api.queues.fetch.getJobCountByTypes('waiting')).toBe(2);
  });

  it('refuses a whole batch with one javascript: URL, naming the item, and queues nothing', async () => {
    const response = await post({ pages: [{ url: 'https://a.example/1' }, { url: 'javascript:alert(1)' }, { url: 'https://a.example/3' }] });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'WINNOW_ERR_BAD_URL', item: 1 });
    expect(response.json().message).toMatch(/^pages\[1\]: scheme javascript: is not allowed/);
    expect(await jobCounts()).toBe(0);
  });

  for (const url of ['file:///etc/passwd', 'javascript:alert(1)', 'data:text/html,<script>alert(1)</script>', 'ftp://example.com/a', 'gopher://example.com/', 'not a url', '/relative/path']) {
    it(`refuses ${url} with 400`, async () => {
      const response = await post({ url });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ code: 'WINNOW_ERR_BAD_URL', item: 0 });
      expect(response.json().message).toMatch(/^url: /);
      expect(await jobCounts()).toBe(0);
    });
  }

  it('refuses blocked address literals and credentials (SSRF guard, before anything is queued)', async () => {
    for (const url of ['http://127.0.0.1/', 'http://[::1]/', 'http://169.254.169.254/latest/meta-data/', 'http://2130706433/', 'http://user:pw@example.com/', 'http://example.com:8080/']) {
      const response = await post({ url });
      expect(response.statusCode, url).toBe(400);
    }
    expect(await jobCounts()).toBe(0);
  });

  it('answers 413 to a JSON body over 1 MiB', async () => {
    const pages = Array.from({ length: 200 }, (_, n) => ({ url: `https://a.example/${n}?pad=${'x'.repeat(6000)}` }));
    const response = await post({ pages });
    expect(response.statusCode).toBe(413);
    expect(response.json()).toMatchObject({ code: 'WINNOW_ERR_BODY_TOO_LARGE' });
    expect(await jobCounts()).toBe(0);
  });

  it('answers 413 to raw HTML over 10 MiB, both within and past the route body limit', async () => {
    const just = await post({ url: 'https://a.example/big', html: `<p>${'a'.repeat(10 * MiB)}</p>` });
    expect(just.statusCode).toBe(413);
    expect(just.json()).toMatchObject({ code: 'WINNOW_ERR_HTML_TOO_LARGE', item: 0 });
    const huge = await post({ url: 'https://a.example/big', html: 'a'.repeat(12 * MiB) });
    expect(huge.statusCode).toBe(413);
    expect(huge.json()).toMatchObject({ code: 'WINNOW_ERR_BODY_TOO_LARGE' });
    expect(await jobCounts()).toBe(0);
  });

  it('accepts raw HTML over 1 MiB (up to 10 MiB)', async () => {
    const response = await post({ url: 'https://a.example/long', html: `<html><body><p>${'word '.repeat(400_000)}</p></body></html>` });
    expect(response.statusCode).toBe(202);
  });

  it('answers 415 to text/plain and other non-JSON bodies', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'text/html']) {
      const response = await post('url=https://a.example/', { 'content-type': type });
      expect(response.statusCode, type).toBe(415);
      expect(response.json()).toMatchObject({ code: 'WINNOW_ERR_UNSUPPORTED_MEDIA_TYPE' });
    }
  });

  it('answers 400 to malformed JSON and to an empty body', async () => {
    const malformed = await post('{"url": "https://a.example/",');
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toMatchObject({ code: 'WINNOW_ERR_BAD_JSON' });
    const empty = await post('');
    expect(empty.statusCode).toBe(400);
  });

  it('answers 400 to a batch of 1001', async () => {
    const response = await post({ pages: Array.from({ length: 1001 }, (_, n) => ({ url: `https://a.example/${n}` })) });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'WINNOW_ERR_BATCH_TOO_LARGE' });
    expect(await jobCounts()).toBe(0);
  });

  it('answers 400 to a body that is neither {url}, {url, html} nor {pages}', async () => {
    for (const body of [{}, { html: '<p>x</p>' }, { url: 'https://a.example/', pages: [{ url: 'https://a.example/' }] }, { pages: [] }, { url: 42 }, []]) {
      const response = await post(body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      expect(response.json().code).toMatch(/^WINNOW_ERR_/);
    }
    expect((await post({ html: '<p>x</p>' })).json().message).toBe('body must be {url}, {url, html} or {pages: [{url} | {url, html}, ...]}');
    expect(await jobCounts()).toBe(0);
  });

  it('stores {url, html} as an api page and queues a moderate job for it', async () => {
    const html = readFileSync(SEED, 'utf8');
    const url = 'https://news.example.com/seed';
    const response = await post({ url, html });
    expect(response.statusCode).toBe(202);
    const [item] = response.json().pages as Array<{ id: string; pageId: string; status: string }>;
    expect(item).toMatchObject({ url, status: 'queued', id: moderateJobId(item.pageId) });
    const page = await api.store.getPage(item.pageId);
    expect(page).toMatchObject({ url, source: 'api', status: 'fetched' });
    expect(Buffer.from((await api.store.getRawPage(item.pageId))!).equals(Buffer.from(html, 'utf8'))).toBe(true);
    expect((await api.queues.moderate.getJob(item.id))?.data).toEqual({ pageId: item.pageId });

    const again = await post({ url, html });
    expect(again.json().pages[0]).toMatchObject({ id: item.id, pageId: item.pageId, status: 'duplicate' });
    // Nothing to fetch, so no pending submission.
    expect(await api.store.listPendingSubmissions({ olderThan: new Date(Date.now() + 60_000).toISOString() })).toEqual([]);
  });
});

describe('GET /v1/pages/:id', () => {
  const get = (id: string) => api.app.inject({ method: 'GET', url: `/v1/pages/${id}`, headers: AUTH });

  it('reports a queued URL as waiting', async () => {
    const url = 'https://news.example.com/queued';
    const { id } = (await post({ url })).json().pages[0];
    const response = await get(id);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ id, url, pageId: null, state: 'waiting', error: null, article: null });
  });

  it('reports submitted HTML as waiting, by job id and by page id', async () => {
    const { id, pageId } = (await post({ url: 'https://news.example.com/h', html: '<p>hello</p>' })).json().pages[0];
    for (const ref of [id, pageId]) {
      const response = await get(ref);
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ pageId, url: 'https://news.example.com/h', state: 'waiting', error: null, article: null });
    }
  });

  it('answers 404 with state unknown for an id nobody knows', async () => {
    for (const id of [fetchJobId('https://never.example/'), 'p-nope', 'no-such-page']) {
      const response = await get(id);
      expect(response.statusCode).toBe(404);
      expect(response.json()).toMatchObject({ id, state: 'unknown', article: null });
    }
  });

  it('answers 400 to an id with characters no id has', async () => {
    expect((await get('a:b')).statusCode).toBe(400);
  });

  it('reports a failed page with the reason recorded in the store', async () => {
    const { id, pageId } = (await post({ url: 'https://news.example.com/bin', html: '<p>x</p>' })).json().pages[0];
    await api.store.saveFailure(pageId, { code: 'not_text', message: 'page is binary, not text' });
    const response = await get(id);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ id, pageId, state: 'failed', error: { code: 'not_text', message: 'page is binary, not text' }, article: null });
  });

  it('reports a failed fetch job with the reason the fetch stage stored under its URL', async () => {
    const url = 'https://news.example.com/gone';
    const { id } = (await post({ url })).json().pages[0];
    // A fetch stage that fails permanently, as workers/processors/fetch.ts does: record, then fail the job.
    const connection = createWorkerConnection(redis.url);
    const worker = new Worker<FetchJobData>(
      FETCH_QUEUE,
      async (job) => {
        const { page } = await api.store.putPage({ url: job.data.url, source: 'url', raw: new Uint8Array(0) });
        await api.store.saveFailure(page.id, { code: 'http_error', message: 'HTTP 404' });
        throw new UnrecoverableError('http_error: HTTP 404');
      },
      { connection, prefix: api.prefix },
    );
    try {
      await until('the fetch job to fail', async () => (await api.queues.fetch.getJobState(id)) === 'failed', 10_000);
    } finally {
      await worker.close();
      await connection.quit();
    }
    const response = await get(id);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ id, url, state: 'failed', error: { code: 'http_error', message: 'HTTP 404' }, article: null });
  });

  it('reports a done page with its article summary and text', async () => {
    const html = readFileSync(SEED, 'utf8');
    const url = 'https://news.example.com/done';
    const { id, pageId } = (await post({ url, html })).json().pages[0];
    const article = moderate(html, { url, engine: 'linkedom', model: loadModel() });
    const stored = await api.store.saveArticle(pageId, article);
    const response = await get(id);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      id,
      pageId,
      state: 'done',
      error: null,
      article: { id: stored.id, pageId, title: article.title, text: article.text, blockCount: article.blocks.length, model: article.model },
    });
  });
});
