import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../src/classify/model.js';
import { moderate } from '../../src/pipeline.js';
import type { StoredArticle } from '../../src/storage/store.js';
import type { Article } from '../../src/types.js';
import { FIXTURE_PAGES } from '../queue/harness.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { AUTH, openApi, type ApiFixture } from './helpers.js';

const URL_A = 'https://news.example.com/seed';

let redis: TestRedis;
let api: ApiFixture;
let article: Article;
let stored: StoredArticle;

beforeAll(async () => {
  redis = await startRedis();
  api = await openApi(redis.url);
  const html = readFileSync(join(FIXTURE_PAGES, 'ai-news-featured-1', 'page.html'), 'utf8');
  article = moderate(html, { url: URL_A, engine: 'linkedom', model: loadModel() });
  const { page } = await api.store.putPage({ url: URL_A, source: 'api', raw: Buffer.from(html) });
  stored = await api.store.saveArticle(page.id, article);
});

afterAll(async () => {
  await api?.close();
  await redis?.stop();
});

const get = (url: string) => api.app.inject({ method: 'GET', url, headers: AUTH });

describe('GET /v1/articles', () => {
  it('lists a stored article as a summary', async () => {
    const response = await get('/v1/articles');
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({ limit: 50, offset: 0 });
    expect(body.articles).toHaveLength(1);
    expect(body.articles[0]).toMatchObject({
      id: stored.id,
      pageId: stored.pageId,
      url: URL_A,
      title: article.title,
      model: article.model,
      blockCount: article.blocks.length,
      counts: article.counts,
    });
    expect(body.articles[0]).not.toHaveProperty('blocks');
  });

  it('filters by site, label and model, and pages', async () => {
    const count = async (query: string) => (await get(`/v1/articles?${query}`)).json().articles.length;
    expect(await count('site=news.example.com')).toBe(1);
    expect(await count('site=other.example')).toBe(0);
    expect(await count(`model=${encodeURIComponent(article.model)}`)).toBe(1);
    expect(await count('model=nope')).toBe(0);
    expect(await count('label=editorial')).toBe(1);
    expect(await count('limit=1&offset=1')).toBe(0);
  });

  it('answers 400 to a bad label, limit or offset', async () => {
    for (const query of ['label=ads', 'limit=0', 'limit=1001', 'limit=x', 'offset=-1']) {
      const response = await get(`/v1/articles?${query}`);
      expect(response.statusCode, query).toBe(400);
      expect(response.json()).toMatchObject({ code: 'WINNOW_ERR_VALIDATION' });
    }
  });
});

describe('GET /v1/articles/:id', () => {
  it('returns the whole stored article, blocks included, by article id and by page id', async () => {
    for (const id of [stored.id, stored.pageId]) {
      const response = await get(`/v1/articles/${id}`);
      expect(response.statusCode).toBe(200);
      const body = response.json();
      expect(body).toMatchObject({ id: stored.id, pageId: stored.pageId, text: article.text, html: article.html, markdown: article.markdown });
      expect(body.blocks).toHaveLength(article.blocks.length);
      expect(body.blocks[0]).toEqual(JSON.parse(JSON.stringify(stored.blocks[0])));
    }
  });

  it('answers 404 to an unknown id', async () => {
    const response = await get('/v1/articles/no-such-article');
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: 'WINNOW_ERR_NOT_FOUND' });
  });
});
