import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredArticle } from '../../src/storage/store.js';
import { LABELS, type Label, type LabeledBlock } from '../../src/types.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { AUTH, TOKEN } from './helpers.js';
import { openReviewApi, storeFixturePage, type ReviewFixture } from './review-support.js';

const FEATURED_URL = 'https://creati-ai-news.com/ai-news/featured-rail';
const GERMAN_URL = 'https://zeitung.example.de/politik/artikel';
const RECIPE_URL = 'https://recipes.example.org/bread';

let redis: TestRedis;
let api: ReviewFixture;
let featured: StoredArticle;
let german: StoredArticle;

beforeAll(async () => {
  redis = await startRedis();
  api = await openReviewApi(redis.url);
  featured = await storeFixturePage(api.store, 'ai-news-featured-1', FEATURED_URL);
  german = await storeFixturePage(api.store, 'news-de-1', GERMAN_URL);
  await storeFixturePage(api.store, 'recipe-blog-1', RECIPE_URL);
});

afterAll(async () => {
  await api?.close();
  await redis?.stop();
});

const get = (url: string, headers: Record<string, string> = AUTH) => api.app.inject({ method: 'GET', url, headers });
const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
  api.app.inject({ method: 'POST', url, payload: payload as object, headers: { ...AUTH, 'content-type': 'application/json', ...headers } });
const correct = (article: StoredArticle, corrections: unknown[], reviewer = 'Ana') =>
  post(`/v1/review/articles/${article.id}/corrections`, { reviewer, corrections });

/** Another label than `label`, so a correction changes something. */
const other = (label: Label): Label => LABELS.find((candidate) => candidate !== label)!;

async function correctionCount(): Promise<number> {
  return (await api.store.listCorrections({ limit: 10_000 })).length;
}

async function reviewBlocks(article: StoredArticle): Promise<(LabeledBlock & { modelLabel: Label; review: Record<string, unknown> | null })[]> {
  const response = await get(`/v1/review/articles/${article.id}`);
  expect(response.statusCode).toBe(200);
  return response.json().blocks;
}

/** The largest listing on the page: every block of it, in order. */
function largestListing(article: StoredArticle): LabeledBlock[] {
  const listings = new Map<string, LabeledBlock[]>();
  for (const block of article.blocks) {
    if (block.listingKey === null) continue;
    listings.set(block.listingKey, [...(listings.get(block.listingKey) ?? []), block]);
  }
  return [...listings.values()].sort((a, b) => b.length - a.length)[0] ?? [];
}

describe('GET /v1/review/articles', () => {
  it('lists stored articles with how many of their blocks were reviewed', async () => {
    const response = await get('/v1/review/articles');
    expect(response.statusCode).toBe(200);
    const { articles } = response.json();
    expect(articles).toHaveLength(3);
    const row = articles.find((article: { id: string }) => article.id === featured.id);
    expect(row).toMatchObject({ pageId: featured.pageId, url: FEATURED_URL, model: featured.model, blockCount: featured.blocks.length, reviewedBlocks: 0 });
    expect(row).not.toHaveProperty('blocks');
  });

  it('filters by site, label and model, and pages', async () => {
    const ids = async (query: string) => (await get(`/v1/review/articles?${query}`)).json().articles.map((article: { id: string }) => article.id);
    expect(await ids('site=zeitung.example.de')).toEqual([german.id]);
    expect(await ids('site=nowhere.example')).toEqual([]);
    expect(await ids(`model=${encodeURIComponent(featured.model)}`)).toHaveLength(3);
    expect(await ids('model=nb-other')).toEqual([]);
    const promoPages = await ids('label=promo');
    expect(promoPages).toContain(featured.id);
    expect(await ids('limit=1')).toHaveLength(1);
    expect(await ids('limit=2&offset=2')).toHaveLength(1);
  });

  it('answers 400 to a bad filter', async () => {
    for (const query of ['label=ads', 'limit=0', 'limit=1001', 'offset=-1', 'colour=red']) {
      const response = await get(`/v1/review/articles?${query}`);
      if (query === 'colour=red') {
        // Unknown query fields are dropped, not refused (as on /v1/articles).
        expect(response.statusCode, query).toBe(200);
        continue;
      }
      expect(response.statusCode, query).toBe(400);
      expect(response.json()).toMatchObject({ code: 'WINNOW_ERR_VALIDATION' });
    }
  });
});

describe('GET /v1/review/articles/:id', () => {
  it('returns every block with the model label as the effective label before any review', async () => {
    for (const id of [german.id, german.pageId]) {
      const response = await get(`/v1/review/articles/${id}`);
      expect(response.statusCode).toBe(200);
      const { article, blocks } = response.json();
      expect(article).toEqual({
        id: german.id,
        pageId: german.pageId,
        url: GERMAN_URL,
        title: german.title,
        siteName: german.siteName,
        model: german.model,
        createdAt: german.createdAt,
        html: german.html,
        fallback: false,
      });
      expect(blocks).toHaveLength(german.blocks.length);
      blocks.forEach((block: LabeledBlock & { modelLabel: Label; review: unknown }, n: number) => {
        expect(block).toMatchObject({ index: german.blocks[n].index, path: german.blocks[n].path, text: german.blocks[n].text, label: german.blocks[n].label });
        expect(block.modelLabel).toBe(german.blocks[n].label);
        expect(block.review).toBeNull();
      });
    }
  });

  it('answers 404 to an unknown article and 400 to an id that cannot be one', async () => {
    const unknown = await get('/v1/review/articles/no-such-article');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ code: 'WINNOW_ERR_NOT_FOUND' });
    const bad = await get(`/v1/review/articles/${encodeURIComponent('../../etc/passwd')}`);
    expect(bad.statusCode).toBe(400);
  });
});

describe('POST /v1/review/articles/:id/corrections', () => {
  it('records a relabel and shows it as the effective label, with the model label kept', async () => {
    const block = german.blocks[1];
    const label = other(block.label);
    const response = await correct(german, [{ blockIndex: block.index, label, expected: block.label }], 'Ana');
    expect(response.statusCode).toBe(201);
    const [correction] = response.json().corrections;
    expect(correction).toMatchObject({
      pageId: german.pageId,
      articleId: german.id,
      blockIndex: block.index,
      path: block.path,
      previousLabel: block.label,
      label,
      reviewer: 'Ana',
      model: german.model,
      undoes: null,
    });

    const shown = (await reviewBlocks(german))[block.index];
    expect(shown.label).toBe(label);
    expect(shown.modelLabel).toBe(block.label);
    expect(shown.review).toMatchObject({ label, correctionId: correction.id, reviewer: 'Ana' });

    const listed = (await get('/v1/review/articles?site=zeitung.example.de')).json().articles[0];
    expect(listed.reviewedBlocks).toBe(1);
  });

  it('refuses a stale decision with 409 and the block as it is now, writing nothing', async () => {
    const block = german.blocks[1];
    const before = await correctionCount();
    // Bea still sees the model's label; Ana changed it meanwhile. The other block in the batch is fine.
    const response = await correct(
      german,
      [
        { blockIndex: german.blocks[2].index, label: other(german.blocks[2].label), expected: german.blocks[2].label },
        { blockIndex: block.index, label: block.label, expected: block.label },
      ],
      'Bea',
    );
    expect(response.statusCode).toBe(409);
    const body = response.json();
    expect(body).toMatchObject({ statusCode: 409, code: 'WINNOW_ERR_CONFLICT', error: 'Conflict' });
    expect(body.current).toEqual([
      expect.objectContaining({ blockIndex: block.index, path: block.path, expected: block.label, label: other(block.label), reviewer: 'Ana' }),
    ]);
    expect(await correctionCount()).toBe(before);
    expect((await reviewBlocks(german))[2].review).toBeNull();
  });

  it('undoes a decision by restoring the label it replaced and taking the decision back', async () => {
    const block = german.blocks[1];
    const [shown] = (await reviewBlocks(german)).filter((candidate) => candidate.index === block.index);
    const undone = shown.review!.correctionId as number;
    const response = await correct(german, [{ blockIndex: block.index, label: block.label, expected: shown.label, undoes: undone }], 'Ana');
    expect(response.statusCode).toBe(201);
    expect(response.json().corrections[0]).toMatchObject({ undoes: undone, label: block.label, previousLabel: shown.label });
    const after = (await reviewBlocks(german))[block.index];
    expect(after.label).toBe(block.label);
    // Undo is not a confirmation: the block is unreviewed again.
    expect(after.review).toBeNull();
  });

  it('relabels a whole listing in one request', async () => {
    const listing = largestListing(featured);
    expect(listing.length).toBeGreaterThan(10);
    const label = other(listing[0].label);
    const before = await correctionCount();
    const response = await correct(
      featured,
      listing.map((block) => ({ blockIndex: block.index, label, expected: block.label })),
      'Chen',
    );
    expect(response.statusCode).toBe(201);
    expect(response.json().corrections).toHaveLength(listing.length);
    expect(await correctionCount()).toBe(before + listing.length);
    const shown = await reviewBlocks(featured);
    for (const block of listing) expect(shown[block.index]).toMatchObject({ label, modelLabel: block.label, review: { label, reviewer: 'Chen' } });
  });

  it('refuses the whole listing when one of its blocks changed first', async () => {
    const listing = largestListing(featured);
    const shown = await reviewBlocks(featured);
    const before = await correctionCount();
    // The client still believes the model's labels for every block; all of them changed.
    const response = await correct(
      featured,
      listing.map((block) => ({ blockIndex: block.index, label: block.label, expected: block.label })),
      'Dana',
    );
    expect(response.statusCode).toBe(409);
    expect(response.json().current).toHaveLength(listing.length);
    expect(await correctionCount()).toBe(before);
    expect(await reviewBlocks(featured)).toEqual(shown);
  });

  it('validates reviewer names and bodies with clear 400s, writing nothing', async () => {
    const block = german.blocks[3];
    const good = { blockIndex: block.index, label: other(block.label), expected: block.label };
    const before = await correctionCount();
    const cases: [string, unknown][] = [
      ['no reviewer', { corrections: [good] }],
      ['empty reviewer', { reviewer: '', corrections: [good] }],
      ['reviewer with spaces around', { reviewer: ' Ana ', corrections: [good] }],
      ['reviewer with a control character', { reviewer: 'An\u0007a', corrections: [good] }],
      ['reviewer with a newline', { reviewer: 'Ana\nroot', corrections: [good] }],
      ['reviewer too long', { reviewer: 'x'.repeat(65), corrections: [good] }],
      ['reviewer not a string', { reviewer: { name: 'Ana' }, corrections: [good] }],
      ['no corrections', { reviewer: 'Ana', corrections: [] }],
      ['too many corrections', { reviewer: 'Ana', corrections: Array.from({ length: 501 }, (_, n) => ({ ...good, blockIndex: n })) }],
      ['unknown label', { reviewer: 'Ana', corrections: [{ ...good, label: 'ads' }] }],
      ['unknown expected label', { reviewer: 'Ana', corrections: [{ ...good, expected: 'spam' }] }],
      ['negative block index', { reviewer: 'Ana', corrections: [{ ...good, blockIndex: -1 }] }],
      ['fractional block index', { reviewer: 'Ana', corrections: [{ ...good, blockIndex: 1.5 }] }],
      ['block twice', { reviewer: 'Ana', corrections: [good, good] }],
      ['block out of range', { reviewer: 'Ana', corrections: [{ ...good, blockIndex: german.blocks.length + 5 }] }],
      ['undo of nothing', { reviewer: 'Ana', corrections: [{ ...good, undoes: 999_999 }] }],
      ['not an object', ['Ana']],
    ];
    for (const [what, body] of cases) {
      const response = await post(`/v1/review/articles/${german.id}/corrections`, body);
      expect(response.statusCode, what).toBe(400);
      expect(response.json().code, what).toMatch(/^WINNOW_ERR_(VALIDATION|BAD_JSON)$/);
      expect(response.json().message, what).not.toBe('');
    }
    expect(await correctionCount()).toBe(before);
  });

  it('answers 404 for an unknown article and 415 for a body that is not JSON', async () => {
    const unknown = await post('/v1/review/articles/no-such-article/corrections', {
      reviewer: 'Ana',
      corrections: [{ blockIndex: 0, label: 'promo', expected: 'editorial' }],
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ code: 'WINNOW_ERR_NOT_FOUND' });
    const form = await api.app.inject({
      method: 'POST',
      url: `/v1/review/articles/${german.id}/corrections`,
      headers: { ...AUTH, 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'reviewer=Ana',
    });
    expect(form.statusCode).toBe(415);
  });
});

describe('GET /v1/review/articles after review', () => {
  it('counts distinct reviewed blocks per article: none, one block decided twice, a whole listing', async () => {
    // By now: German block 1 was relabelled, then undone (2 corrections, 1 block); a listing of the
    // featured page was relabelled in one batch; the recipe page has no decision.
    expect((await api.store.listCorrections({ pageId: german.pageId })).map((correction) => correction.path)).toEqual([
      german.blocks[1].path,
      german.blocks[1].path,
    ]);
    const response = await get('/v1/review/articles');
    expect(response.statusCode).toBe(200);
    const { articles } = response.json() as { articles: { id: string; pageId: string; url: string; reviewedBlocks: number }[] };
    expect(Object.fromEntries(articles.map((article) => [article.url, article.reviewedBlocks]))).toEqual({
      [FEATURED_URL]: largestListing(featured).length,
      [GERMAN_URL]: 0,
      [RECIPE_URL]: 0,
    });
    for (const article of articles) expect(article.reviewedBlocks, article.url).toBe((await api.store.blockReviews(article.pageId)).size);

    // The same rows, in the same order, as /v1/articles lists, plus the count and nothing else.
    const plain = (await get('/v1/articles')).json().articles as { id: string }[];
    expect(articles).toEqual(plain.map((row, n) => ({ ...row, reviewedBlocks: articles[n].reviewedBlocks })));
    for (const article of articles) {
      expect(Object.keys(article).sort()).toEqual(
        ['blockCount', 'counts', 'createdAt', 'id', 'minConfidence', 'model', 'pageId', 'reviewedBlocks', 'siteName', 'title', 'url'],
      );
    }

    const paged = (await get('/v1/review/articles?site=zeitung.example.de&limit=1')).json().articles;
    expect(paged).toEqual([articles.find((article) => article.id === german.id)]);
  });
});

describe('GET /v1/review/stats and /v1/review/queue', () => {
  it('reports what was reviewed and by whom', async () => {
    const response = await get('/v1/review/stats');
    expect(response.statusCode).toBe(200);
    const stats = response.json();
    expect(stats).toEqual(await api.store.reviewStats());
    expect(stats.corrections).toBe(await correctionCount());
    expect(stats.byReviewer.map((row: { reviewer: string }) => row.reviewer).sort()).toEqual(['Ana', 'Chen']);
    // The German page's only decision was undone: it is not a reviewed page.
    expect(stats.reviewedPages).toBe(1);
  });

  it('ranks doubtful blocks not reviewed yet, at most two per listing, with the stats', async () => {
    const response = await get('/v1/review/queue?limit=40');
    expect(response.statusCode).toBe(200);
    const { items, stats } = response.json();
    expect(stats).toEqual(await api.store.reviewStats());
    expect(items.length).toBeGreaterThan(0);
    expect(items.length).toBeLessThanOrEqual(40);
    const reviewed = new Set<string>();
    for (const pageId of [featured.pageId, german.pageId]) for (const path of (await api.store.blockReviews(pageId)).keys()) reviewed.add(`${pageId} ${path}`);
    const perListing = new Map<string, number>();
    for (const item of items) {
      for (const reason of item.reasons) expect(['low_confidence', 'readability_disagrees', 'smoothed', 'listing_disagrees', 'audit']).toContain(reason);
      expect(item.why.length, item.path).toBeGreaterThan(0);
      expect(typeof item.priority).toBe('number');
      expect(reviewed.has(`${item.pageId} ${item.path}`)).toBe(false);
      if (item.listingKey !== null) {
        const key = `${item.articleId} ${item.listingKey}`;
        perListing.set(key, (perListing.get(key) ?? 0) + 1);
      }
    }
    for (const count of perListing.values()) expect(count).toBeLessThanOrEqual(2);
    // A tenth of the queue, by default, is drawn at random among blocks the model was sure of.
    const audits = items.filter((item: { audit: boolean }) => item.audit);
    expect(audits.length).toBeGreaterThan(0);
    for (const item of audits) expect(item.reasons).toContain('audit');
    expect((await get('/v1/review/queue?limit=40&audit=0')).json().items.some((item: { audit: boolean }) => item.audit)).toBe(false);
    const priorities = items.map((item: { priority: number }) => item.priority);
    expect(priorities[0]).toBe(Math.max(...priorities));
  });

  it('filters the queue by label and site and refuses a bad limit', async () => {
    const promo = (await get('/v1/review/queue?label=promo')).json().items;
    for (const item of promo) expect(item.label).toBe('promo');
    const site = (await get('/v1/review/queue?site=recipes.example.org')).json().items;
    for (const item of site) expect(item.url).toBe(RECIPE_URL);
    for (const query of ['limit=0', 'limit=501', 'label=ads']) expect((await get(`/v1/review/queue?${query}`)).statusCode, query).toBe(400);
  });
});

describe('POST /v1/review/export', () => {
  it('writes every reviewed page as a fixture folder in the fixtures dir', async () => {
    const response = await post('/v1/review/export', {});
    expect(response.statusCode).toBe(200);
    const { written, skipped } = response.json();
    expect(skipped).toEqual([]);
    // The German page had one relabel, undone: nothing of it is exported.
    expect(written.map((row: { pageId: string }) => row.pageId)).toEqual([featured.pageId]);
    const row = written.find((entry: { pageId: string }) => entry.pageId === featured.pageId);
    expect(row.dir).toBe(join(api.fixturesDir, row.slug));
    expect(row.corrected).toBe(largestListing(featured).length);
    const meta = JSON.parse(readFileSync(join(row.dir, 'meta.json'), 'utf8'));
    expect(meta).toMatchObject({ url: FEATURED_URL, source: 'review-export' });
    expect(readFileSync(join(row.dir, 'page.html'), 'utf8')).toContain('data-winnow-label=');
    expect(readdirSync(api.fixturesDir).sort()).toEqual(written.map((entry: { slug: string }) => entry.slug).sort());
  });

  it('exports only the pages asked for, and skips an unknown page or one without standing decisions with a reason', async () => {
    const response = await post('/v1/review/export', { pageIds: [featured.pageId, german.pageId, 'no-such-page'] });
    expect(response.statusCode).toBe(200);
    const { written, skipped } = response.json();
    expect(written.map((row: { pageId: string }) => row.pageId)).toEqual([featured.pageId]);
    expect(skipped).toEqual([
      { pageId: german.pageId, reason: expect.stringContaining('no review decisions') },
      { pageId: 'no-such-page', reason: expect.stringContaining('no-such-page') },
    ]);
    for (const body of [{ pageIds: ['../x'] }, { pageIds: [{}] }, { pageIds: Array.from({ length: 1001 }, (_, n) => `p${n}`) }]) {
      expect((await post('/v1/review/export', body)).statusCode).toBe(400);
    }
  });
});

describe('GET /v1/review/articles/:id/page', () => {
  it('returns the stored page with nothing that runs or loads, each block element marked', async () => {
    const response = await get(`/v1/review/articles/${featured.id}/page`);
    expect(response.statusCode).toBe(200);
    const { html } = response.json() as { html: string };
    expect(html).not.toMatch(/<(script|iframe|object|embed|form|link|meta|base|style|svg)\b/i);
    expect(html).not.toMatch(/\s(on[a-z]+|src|srcset|srcdoc|href|action|style)\s*=/i);
    const marked = new Set([...html.matchAll(/data-winnow-block="(\d+)"/g)].map((match) => Number(match[1])));
    // Loose text of one container shares the container's mark.
    const elements = new Set(featured.blocks.map((block) => block.path.replace(/::run\(\d+\)$/, '')));
    expect(marked.size).toBe(elements.size);
    expect((await get('/v1/review/articles/no-such-article/page')).statusCode).toBe(404);
  });
});

describe('reading never changes state', () => {
  it('leaves corrections, fixtures, jobs and models alone on every GET', async () => {
    const before = {
      corrections: await correctionCount(),
      stats: await api.store.reviewStats(),
      fixtures: readdirSync(api.fixturesDir).sort(),
      models: (await get('/v1/review/models')).json(),
    };
    const urls = [
      '/v1/review/articles',
      `/v1/review/articles/${featured.id}`,
      '/v1/review/queue',
      '/v1/review/stats',
      '/v1/review/train',
      '/v1/review/models',
      // Paths of state-changing routes, read with GET: no such route.
      `/v1/review/articles/${featured.id}/corrections?reviewer=Eve&blockIndex=0&label=promo&expected=editorial`,
      '/v1/review/export',
      '/v1/review/models/rollback',
      `/v1/review/models/${before.models.current}/promote?reviewer=Eve`,
      `/v1/review/models/${before.models.current}/discard?reviewer=Eve`,
      '/v1/review/reprocess?reviewer=Eve',
    ];
    const statuses: Record<string, number> = {};
    for (const url of urls) {
      for (const method of ['GET', 'HEAD'] as const) statuses[`${method} ${url}`] = (await api.app.inject({ method, url, headers: AUTH })).statusCode;
    }
    for (const url of urls.slice(0, 6)) expect(statuses[`GET ${url}`], url).toBe(200);
    for (const url of urls.slice(6)) expect(statuses[`GET ${url}`], url).toBe(404);
    expect(await correctionCount()).toBe(before.corrections);
    expect(await api.store.reviewStats()).toEqual(before.stats);
    expect(readdirSync(api.fixturesDir).sort()).toEqual(before.fixtures);
    expect((await get('/v1/review/models')).json()).toEqual(before.models);
    expect((await get('/v1/review/train')).json()).toEqual({ job: null });
    expect(await api.reprocessQueue.getJobCounts()).toEqual(expect.objectContaining({ waiting: 0, active: 0, completed: 0 }));
  });
});

/** Every review route with a body that would pass validation. */
function reviewRoutes(): { method: 'GET' | 'POST'; url: string; payload?: object }[] {
  const block = german.blocks[4];
  const version = 'nb-f1-0000000000';
  return [
    { method: 'GET', url: '/v1/review/articles' },
    { method: 'GET', url: `/v1/review/articles/${german.id}` },
    { method: 'POST', url: `/v1/review/articles/${german.id}/corrections`, payload: { reviewer: 'Eve', corrections: [{ blockIndex: block.index, label: other(block.label), expected: block.label }] } },
    { method: 'GET', url: '/v1/review/queue' },
    { method: 'GET', url: '/v1/review/stats' },
    { method: 'POST', url: '/v1/review/export', payload: {} },
    { method: 'POST', url: '/v1/review/train', payload: { reviewer: 'Eve' } },
    { method: 'GET', url: '/v1/review/train' },
    { method: 'GET', url: '/v1/review/train/some-job' },
    { method: 'GET', url: '/v1/review/models' },
    { method: 'GET', url: `/v1/review/models/${version}/report` },
    { method: 'POST', url: `/v1/review/models/${version}/promote`, payload: { reviewer: 'Eve' } },
    { method: 'POST', url: '/v1/review/models/rollback', payload: { reviewer: 'Eve' } },
    { method: 'POST', url: `/v1/review/models/${version}/discard`, payload: { reviewer: 'Eve' } },
    { method: 'POST', url: '/v1/review/reprocess', payload: { reviewer: 'Eve' } },
    { method: 'GET', url: '/v1/review/reprocess/r-some-model' },
  ];
}

describe('authentication', () => {
  it('answers 401 on every review route without the token or with a wrong one, changing nothing', async () => {
    const before = { corrections: await correctionCount(), fixtures: readdirSync(api.fixturesDir).sort() };
    const wrong = `Bearer ${TOKEN.slice(0, -1)}${TOKEN.endsWith('0') ? '1' : '0'}`;
    for (const route of reviewRoutes()) {
      for (const authorization of [undefined, wrong, `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}`]) {
        const headers: Record<string, string> = route.payload ? { 'content-type': 'application/json' } : {};
        if (authorization) headers.authorization = authorization;
        const response = await api.app.inject({ method: route.method, url: route.url, headers, payload: route.payload });
        expect(response.statusCode, `${route.method} ${route.url} ${authorization ?? 'none'}`).toBe(401);
        expect(response.json()).toMatchObject({ code: 'WINNOW_ERR_UNAUTHORIZED' });
      }
    }
    expect(await correctionCount()).toBe(before.corrections);
    expect(readdirSync(api.fixturesDir).sort()).toEqual(before.fixtures);
    expect((await get('/v1/review/train')).json()).toEqual({ job: null });
  });

  it('serves the review page and its assets without the token', async () => {
    for (const url of ['/review', '/review/assets/review.css', '/review/assets/main.js', '/review/assets/purify.js']) {
      const response = await api.app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(200);
    }
  });
});

describe('cross-origin requests', () => {
  it('refuses a state-changing request from another origin with 403, before anything is written', async () => {
    const before = await correctionCount();
    const block = german.blocks[5];
    const body = { reviewer: 'Mallory', corrections: [{ blockIndex: block.index, label: other(block.label), expected: block.label }] };
    const url = `/v1/review/articles/${german.id}/corrections`;
    const foreign: Record<string, string>[] = [
      { origin: 'https://evil.test' },
      { origin: 'http://localhost:8080' },
      { origin: 'https://localhost:80' },
      { origin: 'null' },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
      { origin: 'http://localhost:80', 'sec-fetch-site': 'cross-site' },
    ];
    for (const headers of foreign) {
      const response = await post(url, body, headers);
      expect(response.statusCode, JSON.stringify(headers)).toBe(403);
      expect(response.json()).toMatchObject({ statusCode: 403, code: 'WINNOW_ERR_CROSS_ORIGIN', error: 'Forbidden' });
    }
    // A form post from another site is refused as cross-origin before its body is even parsed.
    const form = await api.app.inject({
      method: 'POST',
      url,
      headers: { ...AUTH, origin: 'https://evil.test', 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'reviewer=Mallory',
    });
    expect(form.statusCode).toBe(403);
    // Without the token as well: the origin check comes first.
    const anonymous = await api.app.inject({ method: 'POST', url, headers: { origin: 'https://evil.test', 'content-type': 'application/json' }, payload: body });
    expect(anonymous.statusCode).toBe(403);
    expect(await correctionCount()).toBe(before);
  });

  it('applies app-wide, not only to review routes', async () => {
    const response = await post('/v1/pages', { url: 'https://news.example.com/x' }, { origin: 'https://evil.test' });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ code: 'WINNOW_ERR_CROSS_ORIGIN' });
  });

  it('lets same-origin requests, clients without Origin, and reads from anywhere through', async () => {
    const block = german.blocks[5];
    const sameOrigin = await post(
      `/v1/review/articles/${german.id}/corrections`,
      { reviewer: 'Ana', corrections: [{ blockIndex: block.index, label: other(block.label), expected: block.label }] },
      { origin: 'http://localhost:80', 'sec-fetch-site': 'same-origin' },
    );
    expect(sameOrigin.statusCode).toBe(201);
    const noOrigin = await post('/v1/review/export', { pageIds: [] });
    expect(noOrigin.statusCode).toBe(200);
    const userTyped = await post('/v1/review/export', { pageIds: [] }, { 'sec-fetch-site': 'none' });
    expect(userTyped.statusCode).toBe(200);
    const read = await get('/v1/review/stats', { ...AUTH, origin: 'https://evil.test', 'sec-fetch-site': 'cross-site' });
    expect(read.statusCode).toBe(200);
  });
});

describe('OpenAPI description', () => {
  it('describes every review route and hides the page routes', async () => {
    const response = await get('/v1/openapi.json');
    expect(response.statusCode).toBe(200);
    const paths = Object.keys(response.json().paths);
    for (const path of [
      '/v1/review/articles',
      '/v1/review/articles/{id}',
      '/v1/review/articles/{id}/corrections',
      '/v1/review/queue',
      '/v1/review/stats',
      '/v1/review/export',
      '/v1/review/train',
      '/v1/review/train/{jobId}',
      '/v1/review/models',
      '/v1/review/models/{version}/report',
      '/v1/review/models/{version}/promote',
      '/v1/review/models/rollback',
      '/v1/review/models/{version}/discard',
      '/v1/review/reprocess',
      '/v1/review/reprocess/{id}',
    ]) {
      expect(paths, path).toContain(path);
    }
    expect(paths.filter((path) => path.startsWith('/review'))).toEqual([]);
  });
});

describe('security headers', () => {
  it('gives JSON answers, errors included, a policy that loads nothing and is never framed', async () => {
    for (const response of [await get('/v1/review/stats'), await get('/v1/review/stats', {}), await get('/v1/review/nothing-here')]) {
      expect(response.headers['content-security-policy']).toBe("default-src 'none';frame-ancestors 'none'");
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['x-frame-options']).toBe('DENY');
      expect(response.headers['referrer-policy']).toBe('no-referrer');
    }
  });

  it('serves no fixture folder, file or directory listing through the asset route', async () => {
    expect(existsSync(join(api.fixturesDir))).toBe(true);
    for (const url of ['/review/assets/', '/review/assets/..%2F..%2Fpackage.json', '/review/assets/%2e%2e%2fpackage.json', '/review/assets/index.html', '/review/assets/.hidden.js']) {
      const response = await api.app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(404);
      expect(response.body, url).not.toContain('"name": "winnow"');
    }
  });
});
